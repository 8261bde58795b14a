package io.tla.topology.glossary;

import io.tla.schemas.GlossaryEntry;
import java.util.Objects;

/**
 * A glossary term that applies to one message: translate {@code sourceTerm} into {@code targetLanguage} as
 * {@code targetTerm}. What goes into the prompt and travels with the request; {@code scope} says which entry won
 * ({@link Glossary} explains the precedence).
 */
public record GlossaryTerm(String sourceTerm, String targetLanguage, String targetTerm, boolean strict,
                           GlossaryEntry.Scope scope) {

    public GlossaryTerm {
        Objects.requireNonNull(sourceTerm, "sourceTerm");
        Objects.requireNonNull(targetLanguage, "targetLanguage");
        Objects.requireNonNull(targetTerm, "targetTerm");
        Objects.requireNonNull(scope, "scope");
    }

    public static GlossaryTerm of(GlossaryEntry entry) {
        return new GlossaryTerm(entry.sourceTerm(), entry.targetLanguage(), entry.targetTerm(), entry.strict(),
                entry.scope());
    }
}
