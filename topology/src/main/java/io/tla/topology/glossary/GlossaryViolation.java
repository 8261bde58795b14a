package io.tla.topology.glossary;

/**
 * A glossary term the model did not honour: the translation into {@code term.targetLanguage()} does not contain
 * {@code term.targetTerm()}.
 */
public record GlossaryViolation(GlossaryTerm term) {

    /** The deterministic note appended to the translation in strict mode, e.g. {@code  [glossary: API → Schnittstelle expected]}. */
    public String flag() {
        return " [glossary: " + term.sourceTerm() + " → " + term.targetTerm() + " expected]";
    }
}
