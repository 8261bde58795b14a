package io.tla.topology.language;

import java.util.List;
import java.util.Locale;

/** Comparing a detected source language with configured BCP-47 target tags. */
public final class LanguageTags {

    private LanguageTags() {
    }

    /**
     * Whether a message detected as {@code source} (a primary tag such as {@code de}) is already in {@code target}
     * (a configured tag such as {@code de}, {@code de-CH} or {@code pt-BR}), so translating it there would only
     * echo it. Regional variants count as the same language: detection cannot tell them apart and a reader of
     * {@code en-GB} reads {@code en}. A target with a script subtag ({@code zh-Hant}) never matches, because
     * converting between scripts is a real translation and detection does not see the script. Norwegian
     * {@code no} covers Bokmål {@code nb}. An undetermined source matches nothing.
     */
    public static boolean sameLanguage(String source, String target) {
        if (source == null || target == null || LanguageDetection.UNDETERMINED.equals(source)) {
            return false;
        }
        String[] subtags = target.toLowerCase(Locale.ROOT).split("-");
        for (int i = 1; i < subtags.length; i++) {
            if (subtags[i].length() == 4 && Character.isLetter(subtags[i].charAt(0))) {
                return false;
            }
        }
        return normalise(subtags[0]).equals(normalise(primary(source)));
    }

    /** The targets a message in {@code source} still needs: {@code targets} less those already in its language. */
    public static List<String> remainingTargets(String source, List<String> targets) {
        return targets.stream().filter(target -> !sameLanguage(source, target)).toList();
    }

    /** "German (de)", "Portuguese (Brazil) (pt-BR)": how prompts name a language. */
    public static String describe(String tag) {
        String name = Locale.forLanguageTag(tag).getDisplayName(Locale.ENGLISH);
        return name.isBlank() || name.equalsIgnoreCase(tag) ? tag : name + " (" + tag + ")";
    }

    private static String primary(String tag) {
        int dash = tag.indexOf('-');
        return (dash < 0 ? tag : tag.substring(0, dash)).toLowerCase(Locale.ROOT);
    }

    private static String normalise(String primary) {
        return primary.equals("no") ? "nb" : primary;
    }
}
