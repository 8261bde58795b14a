package io.tla.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TelemetryEventTest {

    private static final Instant AT = Instant.parse("2026-11-25T10:00:01Z");

    private static TelemetryEvent decode(String json) {
        return Topics.TELEMETRY.valueSerde().deserializer().deserialize(Topics.TELEMETRY.name(),
                json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aProcessedEventReadsBackAsTheSeparateEventsOfTheTypesItCarries() {
        TelemetryEvent event = decode("""
                {"eventId":"message.processed:t1:m-1","type":"message.processed","tenantId":"t1",
                 "conversationId":"c1","messageId":"m-1","at":"2026-11-25T10:00:01Z","attributes":{
                   "budget.decision":{"at":"2026-11-25T10:00:00.010Z","decision":"allowed","estimatedTokens":152},
                   "reply.emitted":{"at":"2026-11-25T10:00:01Z","kind":"translation","endToEndMs":990.5}}}
                """);

        assertThat(event.perType()).satisfiesExactly(
                decision -> {
                    assertThat(decision.eventId()).isEqualTo("budget.decision:t1:m-1");
                    assertThat(decision.type()).isEqualTo("budget.decision");
                    assertThat(decision.tenantId()).isEqualTo("t1");
                    assertThat(decision.conversationId()).isEqualTo("c1");
                    assertThat(decision.messageId()).isEqualTo("m-1");
                    assertThat(decision.at()).isEqualTo(Instant.parse("2026-11-25T10:00:00.010Z"));
                    assertThat(decision.attributes()).isEqualTo(Map.of("decision", "allowed", "estimatedTokens", 152));
                },
                reply -> {
                    assertThat(reply.eventId()).isEqualTo("reply.emitted:t1:m-1");
                    assertThat(reply.at()).isEqualTo(AT);
                    assertThat(reply.attributes()).isEqualTo(Map.of("kind", "translation", "endToEndMs", 990.5));
                });
        assertThat(event.facts("reply.emitted").orElseThrow()).containsEntry("kind", "translation");
        assertThat(event.facts("model.call")).isEmpty();
        assertThat(ContractSchema.TELEMETRY_EVENT.violations(Json.mapper().valueToTree(event))).isEmpty();
    }

    @Test
    void aFactWithoutAUsableTimeTakesTheEventsAndAnAttributeThatIsNoObjectIsSkipped() {
        TelemetryEvent event = decode("""
                {"eventId":"message.processed:t1:m-1","type":"message.processed","tenantId":"t1","messageId":"m-1",
                 "at":"2026-11-25T10:00:01Z","attributes":{"model.call":{"at":"yesterday","outcome":"ok"},
                 "note":"not a fact","context.retrieved":{"turns":2}}}
                """);

        assertThat(event.perType()).extracting(e -> e.type() + "@" + e.at())
                .containsExactly("context.retrieved@" + AT, "model.call@" + AT);
    }

    @Test
    void anyOtherEventStandsForItself() {
        TelemetryEvent posted = new TelemetryEvent("reply.posted:r1", "reply.posted", "t1", "c1", "m-1", AT,
                Map.of("sink", "outbox"));

        assertThat(posted.perType()).containsExactly(posted);
        assertThat(posted.facts("reply.posted").orElseThrow()).containsEntry("sink", "outbox");
        assertThat(posted.facts("reply.emitted")).isEmpty();
    }

    @Test
    void derivedViewsAreNotSerialised() throws Exception {
        TelemetryEvent posted = new TelemetryEvent("reply.posted:r1", "reply.posted", "t1", "c1", "m-1", AT, Map.of());

        assertThat(Json.mapper().writeValueAsString(posted)).doesNotContain("perType").doesNotContain("facts");
    }

    @Test
    void theSchemaWantsAProcessedEventsMessageAndEachOfItsFactsAnObject() throws Exception {
        var withoutMessage = Json.mapper().readTree("""
                {"eventId":"message.processed:t1:m","type":"message.processed","tenantId":"t1",
                 "at":"2026-11-25T10:00:01Z","attributes":{"model.call":{"outcome":"ok"}}}""");
        var factNotAnObject = Json.mapper().readTree("""
                {"eventId":"message.processed:t1:m","type":"message.processed","tenantId":"t1","messageId":"m",
                 "at":"2026-11-25T10:00:01Z","attributes":{"model.call":"ok"}}""");
        var otherTypeWithPlainAttributes = Json.mapper().readTree("""
                {"eventId":"model.call:t1:m","type":"model.call","tenantId":"t1",
                 "at":"2026-11-25T10:00:01Z","attributes":{"outcome":"ok"}}""");

        assertThat(ContractSchema.TELEMETRY_EVENT.violations(withoutMessage)).isNotEmpty();
        assertThat(ContractSchema.TELEMETRY_EVENT.violations(factNotAnObject)).isNotEmpty();
        assertThat(ContractSchema.TELEMETRY_EVENT.violations(otherTypeWithPlainAttributes)).isEmpty();
    }
}
