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

    /**
     * The translated text is shown, never interpreted: Teams renders some HTML inside markdown text, so {@code & < >}
     * become entities (no {@code <at>} mention, no tag, no {@code <url>} autolink), and every markdown punctuation
     * character is backslash-escaped (CommonMark), so a model cannot make a link ({@code [x](y)}), an image,
     * emphasis, code, a heading, a list or a table that was not in the source. Line breaks stay.
     */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '\\', '`', '*', '_', '[', ']', '(', ')', '{', '}', '#', '+', '-', '.', '!', '|', '~', '=', ':' ->
                        out.append('\\').append(c);
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
