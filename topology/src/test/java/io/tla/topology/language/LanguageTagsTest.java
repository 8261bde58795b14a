package io.tla.topology.language;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LanguageTagsTest {

    @Test
    void shouldTreatARegionalVariantAsTheSameLanguage() {
        assertThat(LanguageTags.sameLanguage("de", "de")).isTrue();
        assertThat(LanguageTags.sameLanguage("en", "en-GB")).isTrue();
        assertThat(LanguageTags.sameLanguage("pt", "pt-BR")).isTrue();
        assertThat(LanguageTags.sameLanguage("de", "en")).isFalse();
    }

    @Test
    void shouldNeverMatchATargetWithAScriptBecauseConvertingScriptsIsATranslation() {
        assertThat(LanguageTags.sameLanguage("zh", "zh-Hant")).isFalse();
        assertThat(LanguageTags.sameLanguage("zh", "zh-Hant-TW")).isFalse();
        assertThat(LanguageTags.sameLanguage("zh", "zh-TW")).isTrue();
    }

    @Test
    void shouldCountBokmalAsNorwegian() {
        assertThat(LanguageTags.sameLanguage("nb", "no")).isTrue();
        assertThat(LanguageTags.sameLanguage("nb", "nb-NO")).isTrue();
    }

    @Test
    void shouldNeverMatchAnUndeterminedSource() {
        assertThat(LanguageTags.sameLanguage("und", "und")).isFalse();
        assertThat(LanguageTags.sameLanguage(null, "en")).isFalse();
        assertThat(LanguageTags.remainingTargets("und", List.of("de", "en"))).containsExactly("de", "en");
    }

    @Test
    void shouldDropOnlyTheTargetsInTheSourceLanguage() {
        assertThat(LanguageTags.remainingTargets("de", List.of("en", "de", "fr", "de-CH"))).containsExactly("en", "fr");
    }

    @Test
    void shouldDescribeALanguageByItsEnglishNameAndTag() {
        assertThat(LanguageTags.describe("de")).isEqualTo("German (de)");
        assertThat(LanguageTags.describe("pt-BR")).isEqualTo("Portuguese (Brazil) (pt-BR)");
    }

    @Test
    void shouldReadAConfiguredToneAndFallBackToBusiness() {
        assertThat(Tone.of("casual")).isEqualTo(Tone.CASUAL);
        assertThat(Tone.of(" Technical ")).isEqualTo(Tone.TECHNICAL);
        assertThat(Tone.of(null)).isEqualTo(Tone.BUSINESS);
        assertThat(Tone.of("sarcastic")).isEqualTo(Tone.BUSINESS);
    }
}
