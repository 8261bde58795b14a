package io.tla.topology.quality;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.Translation;
import io.tla.topology.glossary.GlossaryTerm;
import io.tla.topology.language.LanguageDetection;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The checks on the language evaluation corpus (src/test/resources/language/corpus.tsv: translated UI strings of
 * 29 languages), in four scenarios: a right answer, an answer in another language, the message echoed, a required
 * term dropped. Each prints its figures (docs/quality.md quotes them); the floors and ceilings are those figures
 * with a little room, so a change that makes the checks worse fails here.
 */
class VerificationScenariosTest {

    private static final TranslationVerifier VERIFIER = TranslationVerifier.of(16);
    private static final Map<String, List<String>> TEXTS = new LinkedHashMap<>();
    private static final List<String> LANGUAGES = new ArrayList<>();

    @BeforeAll
    static void readCorpus() throws IOException {
        try (InputStream in = VerificationScenariosTest.class.getResourceAsStream("/language/corpus.tsv")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] fields = line.split("\t", 2);
                if (fields.length == 2 && LanguageDetection.LANGUAGES.contains(fields[0])) {
                    TEXTS.computeIfAbsent(fields[0], language -> new ArrayList<>()).add(fields[1]);
                }
            }
        }
        LANGUAGES.addAll(TEXTS.keySet());
    }

    /** How one scenario went: answers checked, how many could be judged, and how many were failed. */
    record Figures(String scenario, int answers, int judged, int failed) {
        double failedShareOfJudged() {
            return judged == 0 ? 0 : (double) failed / judged;
        }

        void print() {
            System.out.printf("quality-scenario %s: answers=%d judged=%d (%.1f %%) failed=%d (%.2f %% of judged)%n",
                    scenario, answers, judged, 100.0 * judged / answers, failed, 100.0 * failedShareOfJudged());
        }
    }

    /** Whether the text keeps enough letters to be judged (the checks' own rule, with no words shared). */
    private static boolean judgeable(String text) {
        return TranslationVerifier.weight(text.replaceAll("https?://\\S+|`[^`]*`|@\\S+", " ")) >= 16;
    }

    /** A source message for a target: a text of another language, so no target is dropped. */
    private static String sourceFor(String target, int i) {
        String language = LANGUAGES.get((LANGUAGES.indexOf(target) + 1 + i % (LANGUAGES.size() - 1)) % LANGUAGES.size());
        List<String> texts = TEXTS.get(language);
        return language + "\t" + texts.get(i % texts.size());
    }

    @Test
    void rightAnswersAreAlmostNeverFailed() {
        int answers = 0;
        int judged = 0;
        int failed = 0;
        for (String target : LANGUAGES) {
            List<String> texts = TEXTS.get(target);
            for (int i = 0; i < texts.size(); i++) {
                String[] source = sourceFor(target, i).split("\t", 2);
                answers++;
                judged += judgeable(texts.get(i)) ? 1 : 0;
                List<Problem> problems = VERIFIER.check(source[1], source[0], List.of(target), List.of(),
                        List.of(new Translation(target, texts.get(i))));
                failed += problems.isEmpty() ? 0 : 1;
            }
        }
        Figures figures = new Figures("right-answer", answers, judged, failed);
        figures.print();
        assertThat(figures.failedShareOfJudged()).as("false alarms").isLessThanOrEqualTo(0.02);
    }

    @Test
    void answersInAnotherLanguageAreCaughtWhenThereIsEnoughToJudge() {
        int answers = 0;
        int judged = 0;
        int failed = 0;
        for (String written : LANGUAGES) {
            List<String> texts = TEXTS.get(written);
            for (int i = 0; i < texts.size(); i++) {
                // asked for the next language that is not a close one, answered in the text's own
                String target = LANGUAGES.get((LANGUAGES.indexOf(written) + 1 + i % 7) % LANGUAGES.size());
                if (TranslationVerifier.close(written, target)) {
                    continue;
                }
                answers++;
                if (judgeable(texts.get(i))) {
                    judged++;
                    List<Problem> problems = VERIFIER.check("", null, List.of(target), List.of(),
                            List.of(new Translation(target, texts.get(i))));
                    failed += problems.stream().anyMatch(p -> p.check() == Check.WRONG_LANGUAGE) ? 1 : 0;
                }
            }
        }
        Figures figures = new Figures("wrong-language", answers, judged, failed);
        figures.print();
        assertThat(figures.failedShareOfJudged()).as("caught").isGreaterThanOrEqualTo(0.85);
    }

    @Test
    void theMessageEchoedIsCaughtWhenThereIsEnoughToJudge() {
        int answers = 0;
        int judged = 0;
        int failed = 0;
        for (String written : LANGUAGES) {
            List<String> texts = TEXTS.get(written);
            for (int i = 0; i < texts.size(); i++) {
                String target = written.equals("en") ? "de" : "en";
                answers++;
                if (judgeable(texts.get(i))) {
                    judged++;
                    List<Problem> problems = VERIFIER.check(texts.get(i), written, List.of(target), List.of(),
                            List.of(new Translation(target, texts.get(i))));
                    failed += problems.stream().anyMatch(p -> p.check() == Check.UNCHANGED) ? 1 : 0;
                }
            }
        }
        Figures figures = new Figures("unchanged", answers, judged, failed);
        figures.print();
        assertThat(figures.failedShareOfJudged()).as("caught").isGreaterThanOrEqualTo(0.995);
    }

    @Test
    void aDroppedRequiredTermIsAlwaysCaughtAndAKeptOneNeverIs() {
        int answers = 0;
        int failedWhenDropped = 0;
        int failedWhenKept = 0;
        for (String target : LANGUAGES) {
            for (String text : TEXTS.get(target)) {
                // the longest word (letters only, at least 4) that occurs once: a term one can drop cleanly
                String lower = text.toLowerCase(java.util.Locale.ROOT);
                String term = java.util.Arrays.stream(text.split("[^\\p{L}]+"))
                        .filter(word -> word.length() >= 4)
                        .filter(word -> lower.indexOf(word.toLowerCase(java.util.Locale.ROOT))
                                == lower.lastIndexOf(word.toLowerCase(java.util.Locale.ROOT)))
                        .max(java.util.Comparator.comparingInt(String::length)).orElse(null);
                if (term == null) {
                    continue;
                }
                GlossaryTerm required = new GlossaryTerm("source term", target, term, true, GlossaryEntry.Scope.TENANT);
                String dropped = text.replace(term, "").trim();
                if (dropped.isEmpty()) {
                    continue; // the term was the whole text (a CJK text has no spaces to split words on)
                }
                answers++;
                if (!VERIFIER.check("source term", null, List.of(target), List.of(required),
                        List.of(new Translation(target, dropped))).isEmpty()) {
                    failedWhenDropped++;
                }
                if (VERIFIER.check("source term", null, List.of(target), List.of(required),
                        List.of(new Translation(target, text))).stream().anyMatch(p -> p.check() == Check.GLOSSARY_MISS)) {
                    failedWhenKept++;
                }
            }
        }
        new Figures("glossary-miss", answers, answers, failedWhenDropped).print();
        assertThat(failedWhenDropped).isEqualTo(answers);
        assertThat(failedWhenKept).isZero();
    }
}
