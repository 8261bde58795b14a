package io.tla.topology.language;

/**
 * Tells the language a chat message is written in. Implementations are thread-safe and hold no per-call state.
 */
@FunctionalInterface
public interface LanguageDetector {

    /**
     * The language {@code text} is written in, as a lower-case BCP-47 primary tag ({@code de}, {@code nb},
     * {@code zh}), or {@link LanguageDetection#UNDETERMINED} when the answer would be a guess. Never null; a null
     * or empty text is {@code und}.
     */
    String detect(String text);
}
