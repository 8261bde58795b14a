package io.tla.topology.context;

import io.tla.schemas.Translation;
import io.tla.topology.Tokens;
import java.time.Instant;
import java.util.List;

/**
 * One earlier message of a conversation, as context for the model: who wrote what, when, in which language
 * ({@code und} or null when unknown), and, once the model answered it, how it was translated (empty until then,
 * and for a message that needed no translation).
 */
public record Turn(String messageId, String senderName, String text, Instant at, String sourceLanguage,
                   List<Translation> translations) {

    public Turn {
        translations = translations == null ? List.of() : List.copyOf(translations);
    }

    /** A turn as it is first recorded: the message, not yet translated. */
    public Turn(String messageId, String senderName, String text, Instant at) {
        this(messageId, senderName, text, at, null, List.of());
    }

    /** The same turn with the model's answer to it, and the language the message was found to be in (may be null). */
    public Turn withAnswer(String language, List<Translation> answer) {
        return new Turn(messageId, senderName, text, at, language == null ? sourceLanguage : language, answer);
    }

    /** What this turn adds to a prompt, estimated: the message and each of its translations. */
    public long estimatedTokens() {
        return Tokens.estimate(text) + translations.stream().mapToLong(t -> Tokens.estimate(t.text())).sum();
    }
}
