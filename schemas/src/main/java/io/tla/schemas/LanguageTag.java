package io.tla.schemas;

import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The one rule for target-language tags that people choose (per channel and per person, from configuration, the
 * {@code tla languages} command or a Teams message): the syntax {@code translation.target-languages} accepts
 * (a 2–3 letter primary language, then subtags of 2–8 letters or digits), written in any case and with {@code _}
 * or {@code -}, whose primary language the JVM knows by name (so {@code xx} or {@code qq} is refused). Tags are
 * kept in their canonical form: primary language lower case, script title case ({@code Hant}), region upper case
 * ({@code BR}), anything else lower case.
 */
public final class LanguageTag {

    private static final Pattern SYNTAX = Pattern.compile("[a-z]{2,3}(-[a-z0-9]{2,8})*");

    /** English language names ("french", "norwegian bokmål") to their two-letter tag, for hints. */
    private static volatile Map<String, String> byEnglishName;

    private LanguageTag() {
    }

    /**
     * The canonical form of {@code tag} ({@code PT_br} → {@code pt-BR}), or null when it is not a valid tag of a
     * known language.
     */
    public static String canonical(String tag) {
        if (tag == null) {
            return null;
        }
        String lower = tag.strip().replace('_', '-').toLowerCase(Locale.ROOT);
        if (!SYNTAX.matcher(lower).matches()) {
            return null;
        }
        String[] subtags = lower.split("-");
        if (!knownLanguage(subtags[0])) {
            return null;
        }
        StringBuilder canonical = new StringBuilder(subtags[0]);
        for (int i = 1; i < subtags.length; i++) {
            String subtag = subtags[i];
            canonical.append('-');
            if (subtag.length() == 4 && Character.isLetter(subtag.charAt(0))) {
                canonical.append(Character.toUpperCase(subtag.charAt(0))).append(subtag, 1, 4);
            } else if (subtag.length() == 2 || (subtag.length() == 3 && Character.isDigit(subtag.charAt(0)))) {
                canonical.append(subtag.toUpperCase(Locale.ROOT));
            } else {
                canonical.append(subtag);
            }
        }
        return canonical.toString();
    }

    /** Whether {@code tag} is a valid tag of a known language (in any case). */
    public static boolean isValid(String tag) {
        return canonical(tag) != null;
    }

    /**
     * The tag of the language an English name stands for ({@code French} → {@code fr}), or null: a hint for
     * someone who typed the name instead of the tag.
     */
    public static String forEnglishName(String name) {
        if (name == null) {
            return null;
        }
        Map<String, String> names = byEnglishName;
        if (names == null) {
            Map<String, String> built = new HashMap<>();
            for (String code : Locale.getISOLanguages()) {
                String english = Locale.forLanguageTag(code).getDisplayLanguage(Locale.ENGLISH);
                if (!english.isBlank() && knownLanguage(code)) {
                    built.putIfAbsent(english.toLowerCase(Locale.ROOT), code);
                }
            }
            names = Collections.unmodifiableMap(built);
            byEnglishName = names;
        }
        return names.get(name.strip().toLowerCase(Locale.ROOT));
    }

    // The JVM names a language it knows ("fil" → "Filipino") and echoes the code of one it does not.
    private static boolean knownLanguage(String primary) {
        String name = Locale.forLanguageTag(primary).getDisplayLanguage(Locale.ENGLISH);
        return !name.isBlank() && !name.equalsIgnoreCase(primary);
    }
}
