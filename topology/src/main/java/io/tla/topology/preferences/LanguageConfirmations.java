package io.tla.topology.preferences;

import io.tla.topology.language.LanguageTags;
import java.util.List;
import java.util.stream.Collectors;

/** How confirmations name languages: "French (fr)", in a list "English (en), French (fr)". */
final class LanguageConfirmations {

    private LanguageConfirmations() {
    }

    static String describe(String tag) {
        return LanguageTags.describe(tag);
    }

    static String list(List<String> tags, String whenEmpty) {
        return tags.isEmpty() ? whenEmpty
                : tags.stream().map(LanguageConfirmations::describe).collect(Collectors.joining(", "));
    }
}
