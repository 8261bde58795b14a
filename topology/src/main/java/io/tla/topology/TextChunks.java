package io.tla.topology;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits a long text on sentence boundaries (the JDK's locale-aware {@link BreakIterator}) into chunks that each
 * fit a token bound, so every chunk can be translated in its own call and the translations joined in order. A
 * single sentence longer than the bound is split on word boundaries, and a word longer than that by length.
 */
public final class TextChunks {

    private TextChunks() {
    }

    public static List<String> split(String text, int maxTokens) {
        if (Tokens.estimate(text) <= maxTokens) {
            return List.of(text);
        }
        List<String> chunks = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String sentence : pieces(text, BreakIterator.getSentenceInstance(Locale.ROOT))) {
            for (String piece : Tokens.estimate(sentence) <= maxTokens ? List.of(sentence) : words(sentence, maxTokens)) {
                if (current.length() > 0 && Tokens.estimate(current + piece) > maxTokens) {
                    chunks.add(current.toString().strip());
                    current.setLength(0);
                }
                current.append(piece);
            }
        }
        if (!current.toString().isBlank()) {
            chunks.add(current.toString().strip());
        }
        return chunks;
    }

    private static List<String> words(String sentence, int maxTokens) {
        List<String> pieces = new ArrayList<>();
        int maxChars = maxTokens * 4;
        for (String word : pieces(sentence, BreakIterator.getWordInstance(Locale.ROOT))) {
            for (int i = 0; i < word.length(); i += maxChars) {
                pieces.add(word.substring(i, Math.min(word.length(), i + maxChars)));
            }
        }
        return pieces;
    }

    private static List<String> pieces(String text, BreakIterator iterator) {
        iterator.setText(text);
        List<String> pieces = new ArrayList<>();
        for (int start = iterator.first(), end = iterator.next(); end != BreakIterator.DONE; start = end, end = iterator.next()) {
            pieces.add(text.substring(start, end));
        }
        return pieces;
    }
}
