package io.tla.topology.tone;

import java.util.Objects;

/**
 * The tone template a message is translated with, and where it came from: its channel's, its tenant's, or none.
 * Telemetry reports the {@link Scope}, never the text.
 *
 * @param text the template, null for {@link Scope#NONE}
 */
public record ToneTemplate(String text, Scope scope) {

    /** No template applies. */
    public static final ToneTemplate NONE = new ToneTemplate(null, Scope.NONE);

    public ToneTemplate {
        Objects.requireNonNull(scope, "scope");
        if ((scope == Scope.NONE) != (text == null)) {
            throw new IllegalArgumentException("a template has text exactly when its scope is not none");
        }
    }

    /** Where the template applied to a message was set. */
    public enum Scope {
        CHANNEL("channel"), TENANT("tenant"), NONE("none");

        private final String wireName;

        Scope(String wireName) {
            this.wireName = wireName;
        }

        /** As the {@code toneTemplate} attribute of {@code model.call} says it. */
        public String wireName() {
            return wireName;
        }
    }
}
