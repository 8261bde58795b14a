package io.tla.dashboard.feed;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.dashboard.store.StoredEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TelemetryDecoderTest {

    static TelemetryDecoder.Decoded decode(String json) {
        return TelemetryDecoder.decode(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void extractsTheFieldsTheQueriesReadFromAModelCall() {
        TelemetryDecoder.Decoded decoded = decode("""
                {"eventId":"model.call:t1:m1:0","type":"model.call","tenantId":"t1","conversationId":"c1",
                 "messageId":"m1","at":"2026-11-25T15:00:00.123Z","attributes":{"provider":"offline",
                 "model":"offline-echo","outcome":"ok","latencyMs":0.4,"inputTokens":12,"outputTokens":14,"costUsd":0.002}}""");

        assertThat(decoded.ok()).isTrue();
        StoredEvent event = decoded.events().get(0);
        assertThat(decoded.events()).hasSize(1);
        assertThat(event.eventId()).isEqualTo("model.call:t1:m1:0");
        assertThat(event.atMillis()).isEqualTo(Instant.parse("2026-11-25T15:00:00.123Z").toEpochMilli());
        assertThat(event.provider()).isEqualTo("offline");
        assertThat(event.outcome()).isEqualTo("ok");
        assertThat(event.latencyMs()).isEqualTo(0.4);
        assertThat(event.costUsd()).isEqualTo(0.002);
        assertThat(event.inputTokens()).isEqualTo(12L);
        assertThat(event.outputTokens()).isEqualTo(14L);
        assertThat(event.attributesJson()).contains("\"model\":\"offline-echo\"");
    }

    @Test
    void acceptsUnknownTypesAndAttributesOfUnexpectedTypes() {
        TelemetryDecoder.Decoded decoded = decode("""
                {"eventId":"x1","type":"cache.evicted","tenantId":"t1","at":"2026-11-25T15:00:00Z",
                 "attributes":{"costUsd":"a lot","endToEndMs":null,"kind":7}}""");

        assertThat(decoded.ok()).isTrue();
        assertThat(decoded.events().get(0).type()).isEqualTo("cache.evicted");
        assertThat(decoded.events().get(0).costUsd()).isNull();
        assertThat(decoded.events().get(0).endToEndMs()).isNull();
        assertThat(decoded.events().get(0).kind()).isNull();
    }

    @Test
    void neverKeepsMessageTextEvenIfAProducerSendsIt() {
        TelemetryDecoder.Decoded decoded = decode("""
                {"eventId":"x2","type":"reply.emitted","tenantId":"t1","at":"2026-11-25T15:00:00Z",
                 "attributes":{"kind":"translation","Text":"bonjour tout le monde","endToEndMs":3}}""");

        assertThat(decoded.events().get(0).attributesJson()).doesNotContain("bonjour").contains("\"kind\":\"translation\"");
    }

    @Test
    void rejectsMalformedJsonWithAPositionAndNoContent() {
        TelemetryDecoder.Decoded decoded = decode("{\"eventId\": secret-looking-garbage");

        assertThat(decoded.ok()).isFalse();
        assertThat(decoded.reason()).startsWith("malformed JSON at line 1").doesNotContain("secret");
    }

    @Test
    void rejectsAnEventWithoutTenantNamingTheField() {
        TelemetryDecoder.Decoded decoded = decode("""
                {"eventId":"x3","type":"model.call","at":"2026-11-25T15:00:00Z","attributes":{}}""");

        assertThat(decoded.ok()).isFalse();
        assertThat(decoded.reason()).isEqualTo("missing required field tenantId");
    }

    @Test
    void rejectsAnUnparsableTimestampNamingTheField() {
        TelemetryDecoder.Decoded decoded = decode("""
                {"eventId":"x4","type":"model.call","tenantId":"t1","at":"yesterday","attributes":{}}""");

        assertThat(decoded.ok()).isFalse();
        assertThat(decoded.reason()).startsWith("invalid field at").doesNotContain("yesterday");
    }

    @Test
    void rejectsATombstoneAndJsonNull() {
        assertThat(TelemetryDecoder.decode(null).reason()).isEqualTo("null value");
        assertThat(decode("null").ok()).isFalse();
        assertThat(decode("""
                {"eventId":" ","type":"model.call","tenantId":"t1","at":"2026-11-25T15:00:00Z"}""").ok()).isFalse();
    }

    @Test
    void storesAMessagesOneEventAsTheRowsOfTheTypesItCarries() {
        TelemetryDecoder.Decoded decoded = decode("""
                {"eventId":"message.processed:t1:m1","type":"message.processed","tenantId":"t1","conversationId":"c1",
                 "messageId":"m1","at":"2026-11-25T15:00:01Z","attributes":{
                   "budget.decision":{"at":"2026-11-25T15:00:00.010Z","decision":"refused","limit":"daily-usd"},
                   "reply.emitted":{"at":"2026-11-25T15:00:01Z","kind":"budget-exceeded","endToEndMs":12.5,
                                    "text":"never stored","replyId":"r1"}}}""");

        assertThat(decoded.ok()).isTrue();
        assertThat(decoded.events()).satisfiesExactly(
                decision -> {
                    assertThat(decision.eventId()).isEqualTo("budget.decision:t1:m1");
                    assertThat(decision.type()).isEqualTo("budget.decision");
                    assertThat(decision.decision()).isEqualTo("refused");
                    assertThat(decision.atMillis()).isEqualTo(Instant.parse("2026-11-25T15:00:00.010Z").toEpochMilli());
                    assertThat(decision.attributesJson()).isEqualTo("{\"decision\":\"refused\",\"limit\":\"daily-usd\"}");
                },
                reply -> {
                    assertThat(reply.eventId()).isEqualTo("reply.emitted:t1:m1");
                    assertThat(reply.kind()).isEqualTo("budget-exceeded");
                    assertThat(reply.endToEndMs()).isEqualTo(12.5);
                    assertThat(reply.audit().replyId()).isEqualTo("r1");
                    assertThat(reply.attributesJson()).doesNotContain("never stored");
                });
    }

    @Test
    void rejectsAMessagesOneEventWithoutTheMessageItsRowsAreNamedFor() {
        TelemetryDecoder.Decoded decoded = decode("""
                {"eventId":"message.processed:t1:","type":"message.processed","tenantId":"t1",
                 "at":"2026-11-25T15:00:01Z","attributes":{"budget.decision":{"decision":"allowed"}}}""");

        assertThat(decoded.ok()).isFalse();
        assertThat(decoded.reason()).isEqualTo("message.processed without messageId");
    }
}
