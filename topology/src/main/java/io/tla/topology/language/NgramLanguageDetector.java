package io.tla.topology.language;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The detector the pipeline uses: the script of the letters first, then, for the scripts several supported
 * languages share (Latin, Cyrillic), a character n-gram model ({@link NgramModel}).
 *
 * <ol>
 *   <li>URLs, e-mail addresses and {@code <at>} mentions are set aside; fewer than {@link #MIN_LETTERS} letters
 *       left is {@code und}. Only the first {@link #MAX_CHARS} characters are looked at.</li>
 *   <li>The letters are counted per script, a Han, kana or Hangul letter as {@link #CJK_WEIGHT} (one carries
 *       about a syllable or a word, so "Teamsの会議" is Japanese). Unless one script has at least
 *       {@link #MIN_SCRIPT_SHARE} of the count, the text is {@code und}. Kana settles Japanese, Han alone Chinese
 *       (Japanese written in kanji only comes out Chinese, as it did with Lingua), Hangul Korean, and Thai,
 *       Arabic, Hebrew, Devanagari and Greek the one supported language each is used for.</li>
 *   <li>Latin and Cyrillic words are scored by each language of that script: per letter, the log-probability of
 *       that letter after up to three letters before it in the word, backing off to fewer letters of context at
 *       {@link #BACKOFF} nat per step when the language's model lacks the n-gram, and {@link NgramModel#FLOOR}
 *       when it lacks the letter. The text is the likeliest language's only when it leads the runner-up by
 *       {@link #MIN_MARGIN} nat or more, and when no other language gains {@link #MIXED_EVIDENCE} nat or more
 *       over it on the words (of 3 letters or more) it prefers: that is mixed-language text
 *       ("Thanks, das passt so").</li>
 * </ol>
 *
 * <p>Thread-safe: the model is read-only after loading, and a detection keeps its scratch arrays to itself.
 */
public final class NgramLanguageDetector implements LanguageDetector {

    /** Fewer letters than this (after URLs, e-mail addresses, digits and symbols are set aside) is "und". */
    static final int MIN_LETTERS = 3;
    /** Text beyond this many characters is not looked at: a chat message's language shows in its beginning. */
    static final int MAX_CHARS = 160;
    static final int CJK_WEIGHT = 3;
    static final double MIN_SCRIPT_SHARE = 0.6;
    static final float BACKOFF = 1.0f;
    /**
     * The lead over the runner-up, in nat (e^7.5, about 1 800 to one under the model), below which the answer is
     * "und". Chosen on a sample of 7 353 texts disjoint from the evaluation corpus: from 7.0 up the detector made
     * no wrong answer there, and 7.5 also matches Lingua's wrong-skip count on the corpus (see docs/benchmarks.md).
     */
    static final float MIN_MARGIN = 7.5f;
    /** Evidence (nat) for another language on some of the words that makes a text mixed-language, "und". */
    static final float MIXED_EVIDENCE = 8f;
    private static final int MIXED_MIN_WORD = 3;

    private static final Pattern NOT_LANGUAGE = Pattern.compile(
            "(?:https?://|www\\.)\\S+|\\S+@\\S+\\.\\S+|<at>.*?</at>", Pattern.CASE_INSENSITIVE);

    private enum Script { HAN, KANA, HANGUL, THAI, ARABIC, HEBREW, DEVANAGARI, GREEK, LATIN, CYRILLIC, OTHER }

    private static final Script[] SCRIPTS = Script.values();

    private final NgramModel model;
    private final int[] latin;
    private final int[] cyrillic;

    NgramLanguageDetector(NgramModel model) {
        this.model = model;
        this.latin = languagesWritten(model, "Latin");
        this.cyrillic = languagesWritten(model, "Cyrillic");
    }

    /** The detector with the model shipped in this module: about a second to load, about 10 MB of heap. */
    public static NgramLanguageDetector load() {
        return new NgramLanguageDetector(NgramModel.load());
    }

    @Override
    public String detect(String text) {
        if (text == null || text.isEmpty()) {
            return LanguageDetection.UNDETERMINED;
        }
        String language = stripNonLanguage(truncate(text));
        int[] counts = new int[SCRIPTS.length];
        int letters = 0;
        for (int i = 0; i < language.length(); ) {
            int c = language.codePointAt(i);
            i += Character.charCount(c);
            if (Character.isLetter(c)) {
                letters++;
                counts[scriptOf(c).ordinal()]++;
            }
        }
        if (letters < MIN_LETTERS) {
            return LanguageDetection.UNDETERMINED;
        }
        Script script = dominantScript(counts);
        if (script == null) {
            return LanguageDetection.UNDETERMINED;
        }
        return switch (script) {
            case HAN, KANA -> counts[Script.KANA.ordinal()] > 0 ? "ja" : "zh";
            case HANGUL -> "ko";
            case THAI -> "th";
            case ARABIC -> "ar";
            case HEBREW -> "he";
            case DEVANAGARI -> "hi";
            case GREEK -> "el";
            case LATIN -> byModel(language, Script.LATIN, latin);
            case CYRILLIC -> byModel(language, Script.CYRILLIC, cyrillic);
            case OTHER -> LanguageDetection.UNDETERMINED;
        };
    }

    /** The approximate heap the model takes. */
    public long modelSizeInBytes() {
        return model.sizeInBytes();
    }

    private static Script dominantScript(int[] counts) {
        int total = 0;
        int best = -1;
        int bestCount = 0;
        for (Script script : SCRIPTS) {
            int weighted = counts[script.ordinal()] * weight(script);
            total += weighted;
            if (weighted > bestCount) {
                best = script.ordinal();
                bestCount = weighted;
            }
        }
        // Han and kana together are Japanese text
        int cjk = (counts[Script.HAN.ordinal()] + counts[Script.KANA.ordinal()]) * CJK_WEIGHT;
        if (cjk > bestCount) {
            best = Script.HAN.ordinal();
            bestCount = cjk;
        }
        return best < 0 || bestCount < MIN_SCRIPT_SHARE * total ? null : SCRIPTS[best];
    }

    private static int weight(Script script) {
        return script == Script.HAN || script == Script.KANA || script == Script.HANGUL ? CJK_WEIGHT : 1;
    }

    private String byModel(String text, Script script, int[] candidates) {
        int languages = model.languageCount();
        float[] scores = new float[languages];
        float[] total = new float[languages];
        // per word, each language's score (for the mixed-language check), and its letters
        float[] wordScores = new float[8 * languages];
        int[] wordLetters = new int[8];
        int wordCount = 0;
        float[] word = new float[languages];
        int scored = 0;
        int i = 0;
        int length = text.length();
        while (i < length) {
            // one word: a run of letters, all of the text's script
            int start = i;
            boolean sameScript = true;
            while (i < length) {
                int c = text.codePointAt(i);
                if (!Character.isLetter(c)) {
                    break;
                }
                sameScript &= scriptOf(c) == script;
                i += Character.charCount(c);
            }
            if (i == start) {
                i += Character.charCount(text.codePointAt(i));
                continue;
            }
            if (!sameScript) {
                continue;
            }
            Arrays.fill(word, 0f);
            long context = 0;
            int letters = 0;
            for (int at = start; at < i; at++) {
                char c = Character.toLowerCase(text.charAt(at));
                context = (context << 16) | c;
                letters++;
                int order = Math.min(NgramModel.MAX_ORDER, letters);
                for (int language : candidates) {
                    scores[language] = NgramModel.FLOOR;
                }
                // shorter n-grams first: a longer one the language knows overwrites the backed-off value
                for (int n = 1; n <= order; n++) {
                    long key = n == 4 ? context : context & ((1L << (16 * n)) - 1);
                    int slot = model.find(key);
                    if (slot >= 0) {
                        model.apply(slot, -BACKOFF * (order - n), scores);
                    }
                }
                for (int language : candidates) {
                    word[language] += scores[language];
                }
            }
            for (int language : candidates) {
                total[language] += word[language];
            }
            scored += letters;
            if (wordCount == wordLetters.length) {
                wordLetters = Arrays.copyOf(wordLetters, wordCount * 2);
                wordScores = Arrays.copyOf(wordScores, wordCount * 2 * languages);
            }
            System.arraycopy(word, 0, wordScores, wordCount * languages, languages);
            wordLetters[wordCount++] = letters;
        }
        if (scored < MIN_LETTERS) {
            return LanguageDetection.UNDETERMINED;
        }
        int best = -1;
        int second = -1;
        for (int language : candidates) {
            if (best < 0 || total[language] > total[best]) {
                second = best;
                best = language;
            } else if (second < 0 || total[language] > total[second]) {
                second = language;
            }
        }
        if (total[best] - total[second] < MIN_MARGIN) {
            return LanguageDetection.UNDETERMINED;
        }
        for (int other : candidates) {
            if (other == best) {
                continue;
            }
            float evidence = 0;
            for (int w = 0; w < wordCount; w++) {
                if (wordLetters[w] >= MIXED_MIN_WORD) {
                    evidence += Math.max(0f, wordScores[w * languages + other] - wordScores[w * languages + best]);
                }
            }
            if (evidence >= MIXED_EVIDENCE) {
                return LanguageDetection.UNDETERMINED;
            }
        }
        return model.tag(best);
    }

    private static Script scriptOf(int codePoint) {
        if (codePoint == 0x30FC || codePoint == 0xFF70) {
            return Script.KANA; // the prolonged sound mark, a kana letter of script "Common"
        }
        return switch (Character.UnicodeScript.of(codePoint)) {
            case HAN -> Script.HAN;
            case HIRAGANA, KATAKANA -> Script.KANA;
            case HANGUL -> Script.HANGUL;
            case THAI -> Script.THAI;
            case ARABIC -> Script.ARABIC;
            case HEBREW -> Script.HEBREW;
            case DEVANAGARI -> Script.DEVANAGARI;
            case GREEK -> Script.GREEK;
            case LATIN -> Script.LATIN;
            case CYRILLIC -> Script.CYRILLIC;
            default -> Script.OTHER;
        };
    }

    private static int[] languagesWritten(NgramModel model, String script) {
        List<Integer> languages = new ArrayList<>();
        for (int language = 0; language < model.languageCount(); language++) {
            if (model.script(language).equals(script)) {
                languages.add(language);
            }
        }
        if (languages.size() < 2) {
            throw new IllegalStateException("the language model has fewer than two " + script + " languages");
        }
        return languages.stream().mapToInt(Integer::intValue).toArray();
    }

    private static String stripNonLanguage(String text) {
        // most messages have nothing to strip: skip the regular expression then
        if (text.indexOf('/') < 0 && text.indexOf('@') < 0 && text.indexOf('<') < 0
                && !containsIgnoreCase(text, "www.")) {
            return text;
        }
        return NOT_LANGUAGE.matcher(text).replaceAll(" ");
    }

    private static boolean containsIgnoreCase(String text, String part) {
        for (int i = 0; i + part.length() <= text.length(); i++) {
            if (text.regionMatches(true, i, part, 0, part.length())) {
                return true;
            }
        }
        return false;
    }

    /** At most {@link #MAX_CHARS} characters, never splitting a surrogate pair. */
    private static String truncate(String text) {
        if (text.length() <= MAX_CHARS) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(MAX_CHARS - 1)) ? MAX_CHARS - 1 : MAX_CHARS;
        return text.substring(0, end);
    }
}
