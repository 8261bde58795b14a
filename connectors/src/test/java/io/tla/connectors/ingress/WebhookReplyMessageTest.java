package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.ConversationType;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Translation;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The webhook answer of a confirmation (a language command's reply) closes with its own label. */
class WebhookReplyMessageTest {

    @Test
    void aConfirmationIsShownWithTheLanguageSettingsLabel() {
        ReplyEvent reply = new ReplyEvent("r-c", "t1", "19:chat@thread.v2", "m-1", ReplyKind.CONFIRMATION, "en",
                List.of(new Translation("en", "Done.\nYou: French (fr)")), "language-commands", null, null,
                Instant.parse("2026-11-25T10:15:30Z"), ConversationType.GROUP_CHAT, null, null, null,
                "https://smba.trafficmanager.net/emea/", Instant.parse("2026-11-25T10:15:29Z"), "aad-anna");

        Map<String, Object> body = WebhookReplyMessage.of(reply);

        assertThat(body).containsEntry("type", "message").containsEntry("textFormat", "markdown");
        assertThat((String) body.get("text")).contains("Done\\.\nYou\\: French \\(fr\\)")
                .endsWith("_Language settings_").doesNotContain("Translated by");
    }
}
