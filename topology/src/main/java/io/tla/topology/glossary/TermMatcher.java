package io.tla.topology.glossary;

import io.tla.schemas.GlossaryEntry;
import java.util.Set;

/**
 * Finds a glossary term in a text, both folded with {@link GlossaryEntry#foldTerm} (case-insensitive, NFKC, white
 * space collapsed). A match counts only at word boundaries, so {@code API} is not found in {@code rapid}: the
 * characters just outside the match must not both be word characters (letters, digits, combining marks,
 * {@code _}) of a script that separates words with spaces. Scripts written without spaces (Han, Hiragana,
 * Katakana, Hangul, Thai, Lao, Khmer, Myanmar) have no visible word boundaries, so a term edge next to, or made
 * of, such a character matches as a plain substring: {@code サーバー} is found in {@code サーバーを再起動}, and
 * {@code API} in {@code APIキー}.
 */
final class TermMatcher {

    private static final Set<Character.UnicodeScript> UNSPACED_SCRIPTS = Set.of(
            Character.UnicodeScript.HAN, Character.UnicodeScript.HIRAGANA, Character.UnicodeScript.KATAKANA,
            Character.UnicodeScript.HANGUL, Character.UnicodeScript.THAI, Character.UnicodeScript.LAO,
            Character.UnicodeScript.KHMER, Character.UnicodeScript.MYANMAR);
    private static final Set<Character.UnicodeBlock> UNSPACED_BLOCKS = Set.of(
            // the prolonged sound mark ー and the iteration marks are script COMMON but written inside Japanese words
            Character.UnicodeBlock.HIRAGANA, Character.UnicodeBlock.KATAKANA,
            Character.UnicodeBlock.KATAKANA_PHONETIC_EXTENSIONS, Character.UnicodeBlock.CJK_SYMBOLS_AND_PUNCTUATION);

    private TermMatcher() {
    }

    /** Whether {@code foldedTerm} occurs in {@code foldedText} as a whole word or phrase (both already folded). */
    static boolean occursIn(String foldedTerm, String foldedText) {
        if (foldedTerm.isEmpty()) {
            return false;
        }
        int from = 0;
        int at;
        while ((at = foldedText.indexOf(foldedTerm, from)) >= 0) {
            if (isBoundary(foldedText, at) && isBoundary(foldedText, at + foldedTerm.length())) {
                return true;
            }
            from = at + Character.charCount(foldedText.codePointAt(at));
        }
        return false;
    }

    private static boolean isBoundary(String text, int index) {
        if (index == 0 || index == text.length()) {
            return true;
        }
        int before = text.codePointBefore(index);
        int after = text.codePointAt(index);
        return !(isWordChar(before) && isWordChar(after)) || isUnspaced(before) || isUnspaced(after);
    }

    private static boolean isWordChar(int codePoint) {
        if (Character.isLetterOrDigit(codePoint) || codePoint == '_') {
            return true;
        }
        int type = Character.getType(codePoint);
        return type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
                || type == Character.ENCLOSING_MARK;
    }

    private static boolean isUnspaced(int codePoint) {
        return UNSPACED_SCRIPTS.contains(Character.UnicodeScript.of(codePoint))
                || UNSPACED_BLOCKS.contains(Character.UnicodeBlock.of(codePoint));
    }
}
