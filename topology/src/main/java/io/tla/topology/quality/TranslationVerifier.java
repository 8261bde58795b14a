package io.tla.topology.quality;

import io.tla.schemas.Translation;
import io.tla.topology.glossary.Glossary;
import io.tla.topology.glossary.GlossaryTerm;
import io.tla.topology.glossary.GlossaryViolation;
import io.tla.topology.language.LanguageDetection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Checks a provider's answer before it becomes a reply. Per target language, in this order:
 *
 * <ol>
 *   <li><b>Well-formed</b> ({@link Check#MALFORMED}): exactly the target languages, each once, each with text.</li>
 *   <li><b>Not the message unchanged</b> ({@link Check#UNCHANGED}): when the message's detected language differs
 *       from the target and the message has enough to judge (below), a translation equal to it (ignoring case,
 *       spacing and punctuation) was not translated.</li>
 *   <li><b>In the target language</b> ({@link Check#WRONG_LANGUAGE}): the translation's language is detected on
 *       what is left once URLs, e-mail addresses, @mentions, code, numbers, emoji and punctuation are set aside,
 *       and once every word that also occurs in the message is (names, product terms and code identifiers stay as
 *       written in a good translation, so they say nothing about its language). Text too short or too mixed to
 *       judge passes: fewer than {@code minLetters} letters left (a CJK character counts as
 *       {@value #CJK_WEIGHT}), or the detector answers {@code und}. Languages the detector confuses with each other
 *       ({@link #CLOSE}) count as the same. A target the detector does not know is failed only when the text reads
 *       as the message's own language.</li>
 *   <li><b>Required glossary terms</b> ({@link Check#GLOSSARY_MISS}): each strict term for the target is present
 *       ({@link Glossary#violations}).</li>
 * </ol>
 *
 * Pure and cheap (one detection per translation, microseconds): it runs on the provider's completion thread.
 */
public final class TranslationVerifier {

    static final int CJK_WEIGHT = 3;

    /** Groups of languages a character n-gram detector tells apart unreliably on short text. */
    static final List<Set<String>> CLOSE = List.of(Set.of("nb", "da", "no"), Set.of("cs", "sk"),
            Set.of("hr", "sr", "bs", "sl"), Set.of("id", "ms"));

    private static final Pattern SET_ASIDE = Pattern.compile(
            "```.*?```|`[^`\\n]*`|<at>.*?</at>|(?:https?|ftp)://\\S+|www\\.\\S+"
                    + "|[\\p{L}\\p{N}._%+-]+@[\\p{L}\\p{N}-]+(?:\\.[\\p{L}\\p{N}-]+)+|@[\\p{L}\\p{N}._-]+",
            Pattern.DOTALL);

    private final Function<String, String> languageOf;
    private final int minLetters;

    /**
     * @param languageOf the detector: a lower-case primary tag or {@code und}
     * @param minLetters letters a text must keep to be judged
     */
    public TranslationVerifier(Function<String, String> languageOf, int minLetters) {
        this.languageOf = languageOf;
        this.minLetters = minLetters;
    }

    /** The pipeline's verifier: {@link LanguageDetection#detect}. */
    public static TranslationVerifier of(int minLetters) {
        return new TranslationVerifier(LanguageDetection::detect, minLetters);
    }

    /**
     * The problems of {@code translations}, answering {@code text} (detected as {@code sourceLanguage}, null or
     * {@code und} when unknown) for {@code targets}, where {@code glossary} are the terms that apply; empty when
     * it passed.
     */
    public List<Problem> check(String text, String sourceLanguage, List<String> targets, List<GlossaryTerm> glossary,
                               List<Translation> translations) {
        List<String> languages = translations.stream().map(Translation::language).toList();
        if (languages.size() != targets.size() || !languages.containsAll(targets)
                || translations.stream().anyMatch(t -> t.text() == null || t.text().isBlank())) {
            return List.of(Problem.malformed("expected one translation for each of " + targets + ", got "
                    + languages));
        }
        String source = known(sourceLanguage) ? primary(sourceLanguage) : null;
        Set<String> sourceWords = words(setAside(text == null ? "" : text));
        boolean sourceJudgeable = weight(String.join(" ", sourceWords)) >= minLetters;
        List<Problem> problems = new ArrayList<>();
        for (Translation translation : translations) {
            String target = translation.language();
            boolean differs = source != null && !close(source, primary(target));
            if (differs && sourceJudgeable && normalised(translation.text()).equals(normalised(text))) {
                problems.add(new Problem(Check.UNCHANGED, target, source));
                continue;
            }
            String detected = judge(translation.text(), sourceWords);
            if (detected != null && !close(detected, primary(target))
                    && (LanguageDetection.LANGUAGES.contains(primary(target)) || detected.equals(source))) {
                problems.add(new Problem(Check.WRONG_LANGUAGE, target, detected));
            }
        }
        Set<String> answered = new HashSet<>(languages);
        List<GlossaryTerm> terms = glossary == null ? List.of()
                : glossary.stream().filter(term -> answered.contains(term.targetLanguage())).toList();
        for (GlossaryViolation violation : Glossary.violations(terms, translations)) {
            problems.add(new Problem(Check.GLOSSARY_MISS, violation.term().targetLanguage(),
                    violation.term().targetTerm()));
        }
        return List.copyOf(problems);
    }

    /** The language the text reads as, or null when it cannot be judged. */
    private String judge(String translated, Set<String> sourceWords) {
        StringBuilder left = new StringBuilder();
        for (String word : wordsInOrder(setAside(translated))) {
            if (!sourceWords.contains(word)) {
                left.append(word).append(' ');
            }
        }
        if (weight(left) < minLetters) {
            return null;
        }
        String detected = languageOf.apply(left.toString());
        return known(detected) ? primary(detected) : null;
    }

    private static boolean known(String language) {
        return language != null && !language.isBlank() && !LanguageDetection.UNDETERMINED.equals(language);
    }

    /** Same language, or two the detector cannot tell apart reliably. */
    static boolean close(String detected, String target) {
        if (detected.equals(target)) {
            return true;
        }
        for (Set<String> group : CLOSE) {
            if (group.contains(detected) && group.contains(target)) {
                return true;
            }
        }
        return false;
    }

    /** The primary subtag, lower case: {@code pt-BR} is {@code pt}, {@code zh-Hant} is {@code zh}, {@code no} is {@code nb}. */
    static String primary(String tag) {
        String lower = tag.toLowerCase(Locale.ROOT);
        int dash = lower.indexOf('-');
        String primary = dash < 0 ? lower : lower.substring(0, dash);
        return primary.equals("no") ? "nb" : primary;
    }

    private static String setAside(String text) {
        return SET_ASIDE.matcher(text).replaceAll(" ");
    }

    /** Runs of letters (and the marks that belong to them), lower-cased: what a text says in some language. */
    private static List<String> wordsInOrder(String text) {
        List<String> words = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= text.length(); i++) {
            boolean letter = i < text.length() && (Character.isLetter(text.charAt(i))
                    || start >= 0 && Character.getType(text.charAt(i)) == Character.NON_SPACING_MARK
                    || start >= 0 && Character.getType(text.charAt(i)) == Character.COMBINING_SPACING_MARK);
            if (letter && start < 0) {
                start = i;
            } else if (!letter && start >= 0) {
                words.add(text.substring(start, i).toLowerCase(Locale.ROOT));
                start = -1;
            }
        }
        return words;
    }

    private static Set<String> words(String text) {
        return new HashSet<>(wordsInOrder(text));
    }

    /** Letters, a CJK character counting as {@value #CJK_WEIGHT}: one carries about as much as a short word. */
    static int weight(CharSequence text) {
        int weight = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!Character.isLetter(c)) {
                continue;
            }
            Character.UnicodeScript script = Character.UnicodeScript.of(c);
            weight += script == Character.UnicodeScript.HAN || script == Character.UnicodeScript.HIRAGANA
                    || script == Character.UnicodeScript.KATAKANA || script == Character.UnicodeScript.HANGUL
                    ? CJK_WEIGHT : 1;
        }
        return weight;
    }

    /** Letters and digits only, lower case: "Hello, world!" equals "hello world". */
    static String normalised(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().filter(Character::isLetterOrDigit).map(Character::toLowerCase).forEach(out::appendCodePoint);
        return out.toString();
    }
}
