package io.tla.connectors.ingress;

import io.tla.connectors.graph.TeamsReplyRenderer;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.Translation;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The body of a 200 answer to Teams' outgoing-webhook call, which Teams shows as the reply in the thread: a Bot
 * Framework message activity whose markdown text holds each translation under its language, and the same closing
 * line as replies posted through Graph.
 */
public final class WebhookReplyMessage {

    private WebhookReplyMessage() {
    }

    public static Map<String, Object> of(ReplyEvent reply) {
        StringBuilder text = new StringBuilder();
        for (Translation translation : reply.translations()) {
            if (!text.isEmpty()) {
                text.append("\n\n");
            }
            text.append("**").append(TeamsReplyRenderer.heading(translation.language())).append("**\n\n")
                    .append(escape(translation.text() == null ? "" : translation.text()));
        }
        text.append("\n\n_").append(escape(TeamsReplyRenderer.label(reply))).append('_');
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "message");
        body.put("textFormat", "markdown");
        body.put("text", text.toString());
        return body;
    }

    /** Teams renders some HTML inside markdown text: the translated text is shown, never interpreted. */
    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
