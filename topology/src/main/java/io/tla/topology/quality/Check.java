package io.tla.topology.quality;

/** What a translation can fail: the checks of {@link TranslationVerifier}, named as metrics and telemetry name them. */
public enum Check {
    /** The text is in another language than the one asked for. */
    WRONG_LANGUAGE("wrong-language"),
    /** The text is the message returned as it was, although its language differs from the target. */
    UNCHANGED("unchanged"),
    /** A required (strict) glossary term of the target language is missing. */
    GLOSSARY_MISS("glossary-miss"),
    /** The answer is not the JSON asked for, or lacks a target language or its text. */
    MALFORMED("malformed");

    private final String wireName;

    Check(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
