package io.tla.topology.budget;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.Translation;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class BudgetRefusalsTest {

    @Test
    void shouldHaveADistinctRefusalForEachLimitInEveryRequiredLanguage() {
        assertThat(BudgetRefusals.languages())
                .contains("en", "de", "fr", "es", "it", "pt", "nl", "ja", "zh", "ko", "pl");
        for (String language : BudgetRefusals.languages()) {
            Set<String> texts = new HashSet<>();
            for (BudgetLimit limit : BudgetLimit.values()) {
                Translation refusal = BudgetRefusals.refusal(language, limit);
                assertThat(refusal.language()).isEqualTo(language);
                assertThat(refusal.text()).isNotBlank().hasSizeLessThan(200);
                texts.add(refusal.text());
            }
            assertThat(texts).as(language).hasSize(BudgetLimit.values().length);
        }
    }

    @Test
    void shouldSayWhichLimitWasReachedInEnglish() {
        assertThat(BudgetRefusals.refusal("en", BudgetLimit.DAILY_USD).text()).contains("daily translation budget");
        assertThat(BudgetRefusals.refusal("en", BudgetLimit.MONTHLY_USD).text()).contains("monthly translation budget");
        assertThat(BudgetRefusals.refusal("en", BudgetLimit.DAILY_TOKENS).text()).contains("daily limit");
        assertThat(BudgetRefusals.refusal("en", BudgetLimit.MONTHLY_TOKENS).text()).contains("monthly limit")
                .contains("1st of next month");
    }

    @ParameterizedTest
    @ValueSource(strings = {"de", "de-AT", "DE", "de_CH", " de "})
    void shouldUseThePrimaryLanguageSubtag(String tag) {
        assertThat(BudgetRefusals.refusal(tag, BudgetLimit.MONTHLY_USD).language()).isEqualTo("de");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"und", "sw", "x-klingon"})
    void shouldFallBackToEnglish(String tag) {
        Translation refusal = BudgetRefusals.refusal(tag, BudgetLimit.DAILY_TOKENS);
        assertThat(refusal.language()).isEqualTo("en");
        assertThat(refusal.text()).isEqualTo(BudgetRefusals.refusal("en", BudgetLimit.DAILY_TOKENS).text());
    }
}
