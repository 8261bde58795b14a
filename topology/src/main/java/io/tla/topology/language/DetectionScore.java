package io.tla.topology.language;

import java.util.List;

/**
 * How a detector did on texts of known language, in the terms that matter here: a right answer saves a
 * translation, {@code und} costs one (the message is translated as usual), and a wrong answer that equals a
 * configured target makes us skip a translation someone needs.
 *
 * @param texts       texts scored
 * @param right       answered with their language
 * @param undetermined answered {@code und}
 * @param wrong       answered with another language
 * @param wrongSkips  (text, target) pairs, over {@link #TARGETS}, where the answer was the target but the text is
 *                    not in it: a translation into the target is skipped although it is needed
 * @param needed      (text, target) pairs where the text is not in the target: translations that are needed
 */
public record DetectionScore(int texts, int right, int undetermined, int wrong, int wrongSkips, int needed) {

    /** A realistic set of targets: a tenant translating into the languages its people read most. */
    public static final List<String> TARGETS = List.of("en", "de", "fr", "es", "ja");

    /** A text in {@code language} and the detector's answer. */
    public record Answer(String language, String answer) {
    }

    public static DetectionScore of(List<Answer> answers) {
        int right = 0;
        int undetermined = 0;
        int wrong = 0;
        int wrongSkips = 0;
        int needed = 0;
        for (Answer answer : answers) {
            if (answer.answer().equals(answer.language())) {
                right++;
            } else if (answer.answer().equals(LanguageDetection.UNDETERMINED)) {
                undetermined++;
            } else {
                wrong++;
            }
            // the text's own language as a target needs nothing, so only the others count
            for (String target : TARGETS) {
                if (!target.equals(answer.language())) {
                    needed++;
                    if (target.equals(answer.answer())) {
                        wrongSkips++;
                    }
                }
            }
        }
        return new DetectionScore(answers.size(), right, undetermined, wrong, wrongSkips, needed);
    }

    public double accuracy() {
        return ratio(right, texts);
    }

    public double undeterminedRate() {
        return ratio(undetermined, texts);
    }

    public double wrongRate() {
        return ratio(wrong, texts);
    }

    /** Needed translations skipped because of a wrong answer, of all needed translations. */
    public double wrongSkipRate() {
        return ratio(wrongSkips, needed);
    }

    private static double ratio(int part, int whole) {
        return whole == 0 ? 0 : (double) part / whole;
    }
}
