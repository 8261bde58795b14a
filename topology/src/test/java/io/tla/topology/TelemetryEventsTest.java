package io.tla.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.ConversationType;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Sender;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.tla.schemas.ContractSchema;
import io.tla.schemas.JsonSerde;
import io.tla.topology.budget.BudgetReservation;
import io.tla.topology.model.PendingCall;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TelemetryEventsTest {

    private static final String TEXT = "Können wir morgen über das Release sprechen?";

    @Test
    void replyEmittedIsAnAuditRecordWithTheTextOnlyAsItsSha256() {
        NormalizedMessage message = new NormalizedMessage("1732540000000", "tenant-1", "19:abc@thread.v2",
                ConversationType.GROUP_CHAT, new Sender("29:1xyz", "Alice", "a11ce000-0000-4000-8000-000000000001"),
                TEXT, null, null, null, null, Instant.parse("2026-11-25T10:00:00Z"));
        ReplyEvent reply = ReplyEvent.answering(message, "reply-1", ReplyKind.TRANSLATION, "de",
                List.of(new Translation("en", "Can we talk about the release tomorrow?"), new Translation("fr", "…")),
                "primary", "gpt-4o-mini", new Usage(41, 23, new BigDecimal("0.000021")),
                Instant.parse("2026-11-25T10:00:00.250Z"));

        Map<String, Object> attributes = TelemetryEvents.replyEmitted(message, reply,
                Instant.parse("2026-11-25T10:00:00.250Z"));

        assertThat(attributes)
                .containsEntry("senderId", "a11ce000-0000-4000-8000-000000000001")
                .containsEntry("languages", "en,fr")
                .containsEntry("sourceLanguage", "de")
                .containsEntry("provider", "primary")
                .containsEntry("model", "gpt-4o-mini")
                .containsEntry("inputTokens", 41L)
                .containsEntry("outputTokens", 23L)
                .containsEntry("costUsd", new BigDecimal("0.000021"))
                .containsEntry("endToEndMs", 250.0)
                // computed independently: printf '%s' 'Können wir morgen über das Release sprechen?' | sha256sum
                .containsEntry("textSha256", "9c113dbdefbf5f730670eb92fc7e418568a7c788a248f781969e0bcaa0dd2401");
        assertThat(attributes.values()).noneMatch(value -> String.valueOf(value).contains("Release sprechen"));
    }

    @Test
    void theMessagesOneEventCarriesEachStagesFactsByTypeWithTheTimeTheStageObservedThem() {
        NormalizedMessage message = new NormalizedMessage("m-1", "tenant-1", "conv-1", ConversationType.PERSONAL,
                new Sender("29:1xyz", "Alice", null), TEXT, null, null, null, null, Instant.parse("2026-11-25T10:00:00Z"));
        Instant decided = Instant.parse("2026-11-25T10:00:00.010Z");
        Instant answered = Instant.parse("2026-11-25T10:00:00.400Z");
        TranslationRequest request = new TranslationRequest(message, List.of("en"),
                new BudgetReservation("2026-11-25", 10, 100, new BigDecimal("0.00011")), List.of())
                .withFact("budget.decision", Map.of("decision", "allowed", "estimatedCostUsd", new BigDecimal("0.00011")),
                        decided)
                .withFact("model.call", Map.of("provider", "offline", "outcome", "ok"), answered);

        TelemetryEvent event = TelemetryEvents.processed(request, answered);

        assertThat(event.eventId()).isEqualTo("message.processed:tenant-1:m-1");
        assertThat(event.type()).isEqualTo(TelemetryEvent.Types.MESSAGE_PROCESSED);
        assertThat(event.at()).isEqualTo(answered);
        assertThat(event.attributes()).containsOnlyKeys("budget.decision", "model.call");
        assertThat(ContractSchema.TELEMETRY_EVENT.violationsOf(event)).isEmpty();
        assertThat(event.perType()).extracting(e -> e.eventId() + "@" + e.at()).containsExactly(
                "budget.decision:tenant-1:m-1@" + decided, "model.call:tenant-1:m-1@" + answered);
        assertThat(event.facts("budget.decision").orElseThrow())
                .isEqualTo(Map.of("decision", "allowed", "estimatedCostUsd", new BigDecimal("0.00011")));
    }

    @Test
    void theFactsSurviveThePendingStoreSoARestartedCallSendsTheSameEvent() {
        NormalizedMessage message = new NormalizedMessage("m-1", "tenant-1", "conv-1", ConversationType.PERSONAL,
                new Sender("29:1xyz", "Alice", null), TEXT, null, null, null, null, Instant.parse("2026-11-25T10:00:00Z"));
        Instant at = Instant.parse("2026-11-25T10:00:00.010Z");
        TranslationRequest request = new TranslationRequest(message, List.of("en"),
                new BudgetReservation("2026-11-25", 10, 100, new BigDecimal("0.00011")), List.of())
                .withFact("budget.decision", Map.of("decision", "allowed", "estimatedCostUsd", new BigDecimal("0.00011"),
                        "estimatedTokens", 110L), at)
                .withFact("pii.detected", Map.of("rules", List.of("email"), "matches", Map.of("email", 1),
                        "action", "redacted"), at);
        JsonSerde<PendingCall> serde = new JsonSerde<>(PendingCall.class);

        PendingCall restored = serde.deserializer().deserialize("store",
                serde.serializer().serialize("store", new PendingCall(request, 1L).withoutContext()));

        assertThat(restored.request().facts()).containsOnlyKeys("budget.decision", "pii.detected");
        JsonSerde<TelemetryEvent> events = new JsonSerde<>(TelemetryEvent.class);
        Instant end = Instant.parse("2026-11-25T10:00:01Z");
        // as a consumer reads them (a number is a number, however it was written)
        assertThat(events.deserializer().deserialize("t", events.serializer().serialize("t",
                TelemetryEvents.processed(restored.request(), end)))).isEqualTo(events.deserializer().deserialize("t",
                events.serializer().serialize("t", TelemetryEvents.processed(request, end))));
    }

    @Test
    void aPendingRequestStoredBeforeFactsExistedHasNone() {
        NormalizedMessage message = new NormalizedMessage("m-1", "tenant-1", "conv-1", ConversationType.PERSONAL,
                new Sender("29:1xyz", "Alice", null), TEXT, null, null, null, null, Instant.parse("2026-11-25T10:00:00Z"));
        JsonSerde<PendingCall> serde = new JsonSerde<>(PendingCall.class);
        String stored = new String(serde.serializer().serialize("store", new PendingCall(new TranslationRequest(message,
                List.of("en"), null, List.of()), 1L)), StandardCharsets.UTF_8);

        PendingCall restored = serde.deserializer().deserialize("store",
                stored.replace(",\"facts\":{}", "").getBytes(StandardCharsets.UTF_8));

        assertThat(stored).contains("\"facts\":{}");
        assertThat(restored.request().facts()).isEmpty();
    }
}
