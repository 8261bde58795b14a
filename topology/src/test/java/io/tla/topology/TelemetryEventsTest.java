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
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
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

        TelemetryEvent event = TelemetryEvents.replyEmitted(message, reply, Instant.parse("2026-11-25T10:00:00.250Z"));

        assertThat(event.attributes())
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
        assertThat(event.attributes().values()).noneMatch(value -> String.valueOf(value).contains("Release sprechen"));
    }
}
