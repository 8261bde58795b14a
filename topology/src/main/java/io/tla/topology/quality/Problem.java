package io.tla.topology.quality;

/**
 * One failed check of one translation: {@code language} is the target it concerns (null when the whole answer is
 * malformed); {@code detail} says what was found: the language detected for {@link Check#WRONG_LANGUAGE}, the
 * missing target term for {@link Check#GLOSSARY_MISS}, what was wrong for {@link Check#MALFORMED}.
 */
public record Problem(Check check, String language, String detail) {

    public static Problem malformed(String detail) {
        return new Problem(Check.MALFORMED, null, detail);
    }
}
