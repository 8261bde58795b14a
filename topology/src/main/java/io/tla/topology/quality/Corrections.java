package io.tla.topology.quality;

import io.tla.topology.language.LanguageTags;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The corrective instruction a provider gets when its answer failed a check: it is asked once more, told what was
 * wrong. Product wording only: a glossary term is quoted as data, the message's text is never repeated here.
 */
public final class Corrections {

    private Corrections() {
    }

    /** One sentence per problem, after a line saying the previous answer was rejected. */
    public static String instruction(List<Problem> problems) {
        Set<String> sentences = new LinkedHashSet<>();
        for (Problem problem : problems) {
            sentences.add(switch (problem.check()) {
                case WRONG_LANGUAGE -> "The " + problem.language() + " text was not written in "
                        + LanguageTags.describe(problem.language()) + " (it read as "
                        + LanguageTags.describe(problem.detail()) + "): write it in "
                        + LanguageTags.describe(problem.language()) + ".";
                case UNCHANGED -> "The " + problem.language() + " text repeated the message unchanged: translate it "
                        + "into " + LanguageTags.describe(problem.language()) + ".";
                case GLOSSARY_MISS -> "The " + problem.language() + " text did not use the required glossary term \""
                        + problem.detail().replace("\"", "'") + "\": use it exactly as written.";
                case MALFORMED -> "The answer was not the JSON object asked for, with exactly one entry per target "
                        + "language: answer with that JSON object only.";
            });
        }
        return "Your previous answer to this message was rejected by an automatic check. "
                + String.join(" ", sentences) + " Answer again, following every instruction above.";
    }
}
