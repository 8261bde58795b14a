package io.tla.topology;

/**
 * Token estimate used before a provider reports real usage: about four characters per token, the rule of thumb
 * OpenAI documents for English; it overestimates for most other scripts' byte-pair encodings, which errs on the
 * side of refusing rather than overspending.
 */
public final class Tokens {

    private Tokens() {
    }

    public static long estimate(String text) {
        return text == null || text.isEmpty() ? 0 : (text.length() + 3) / 4;
    }
}
