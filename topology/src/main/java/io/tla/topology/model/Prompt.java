package io.tla.topology.model;

import java.util.List;
import java.util.Objects;

/**
 * A provider-neutral prompt for one translation request: the system instructions, the earlier turns of the
 * conversation as context messages (oldest first, marked as context, not to translate), the message to
 * translate, and the JSON Schema the answer must follow. A provider maps it onto its own API (OpenAI-style
 * chat messages: system, then {@link #context()} in order, then {@link #user()}; the schema as structured output
 * where the API supports it).
 */
public record Prompt(String system, List<Message> context, String user, String outputSchema) {

    public Prompt {
        Objects.requireNonNull(system, "system");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(outputSchema, "outputSchema");
        context = context == null ? List.of() : List.copyOf(context);
    }

    /** Who a context message is from: the conversation ({@code USER}) or our earlier answer ({@code ASSISTANT}). */
    public enum Role { USER, ASSISTANT }

    public record Message(Role role, String text) {
        public Message {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(text, "text");
        }
    }

    /**
     * A glossary entry: {@code source} (as it appears in messages) is rendered as {@code target} in
     * {@code targetLanguage} (a BCP-47 tag; a bare language such as {@code en} also covers {@code en-GB}).
     * {@code strict} terms must be used exactly; the others are preferred renderings.
     */
    public record Term(String source, String targetLanguage, String target, boolean strict) {
        public Term {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(targetLanguage, "targetLanguage");
            Objects.requireNonNull(target, "target");
        }
    }
}
