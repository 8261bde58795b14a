package io.tla.topology.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.ComplianceConfig;
import io.tla.platform.testing.MutableClock;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Translation;
import io.tla.topology.StageOutput;
import io.tla.topology.TopologyHarness;
import io.tla.topology.TranslationRequest;
import io.tla.topology.budget.BudgetRefusals;
import io.tla.topology.budget.BudgetReservation;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** The refusal of the personal-data policy: in the sender's language, naming the kinds of data found. */
class PiiRefusalsTest {

    private static final List<String> ALL_KINDS = List.of("email", "phone", "card", "national-id", "iban");

    @Test
    void hasARefusalNamingEveryKindInEveryLanguageOfTheBudgetRefusals() {
        assertThat(PiiRefusals.languages()).containsExactlyInAnyOrderElementsOf(BudgetRefusals.languages());
        for (String language : PiiRefusals.languages()) {
            Translation refusal = PiiRefusals.refusal(language, ALL_KINDS);
            assertThat(refusal.language()).isEqualTo(language);
            assertThat(refusal.text()).as(language).isNotBlank().contains("IBAN").doesNotContain("%s")
                    .doesNotContain("national-id");
            // each kind by a name of its own
            assertThat(ALL_KINDS.stream().map(kind -> PiiRefusals.refusal(language, List.of(kind)).text()).distinct())
                    .as(language).hasSize(ALL_KINDS.size());
        }
    }

    @Test
    void namesTheKindsInTheOrderGiven() {
        assertThat(PiiRefusals.refusal("en", List.of("iban", "email")).text())
                .isEqualTo("This message was not translated: it contains personal data (IBAN, email address), which "
                        + "your organisation does not send to the translation service.");
        assertThat(PiiRefusals.refusal("ja", List.of("email", "phone")).text()).contains("（メールアドレス、電話番号）");
    }

    @ParameterizedTest
    @ValueSource(strings = {"fr", "fr-CA", "FR", "fr_BE"})
    void usesThePrimaryLanguageSubtag(String tag) {
        assertThat(PiiRefusals.refusal(tag, List.of("phone")).text())
                .isEqualTo("Ce message n'a pas été traduit : il contient des données personnelles (numéro de "
                        + "téléphone) que votre organisation n'envoie pas au service de traduction.");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"und", "sw"})
    void fallsBackToEnglish(String tag) {
        assertThat(PiiRefusals.refusal(tag, List.of("card")).language()).isEqualTo("en");
    }

    // --- the guard alone, with the language it is told ---------------------------------------------------------

    private final List<String> languageAsked = new ArrayList<>();

    private StageOutput screen(String policy, String detected, String text) {
        MockProcessorContext<String, StageOutput> context = new MockProcessorContext<>();
        PiiGuard guard = new PiiGuard(new ComplianceConfig(policy, ComplianceConfig.RULES, Map.of()),
                new MutableClock(Instant.parse("2026-11-25T10:15:30Z")), new SimpleMeterRegistry(), t -> {
                    languageAsked.add(t);
                    return detected;
                });
        guard.init(context);
        NormalizedMessage message = TopologyHarness.message("tenant-a", "conv-1", "m-1", text);
        guard.process(new Record<>("tenant-a", new TranslationRequest(message, List.of("en"),
                new BudgetReservation("2026-11-25", 10, 100, BigDecimal.ZERO), List.of()), 0L));
        return context.forwarded().get(0).record().value();
    }

    @Test
    void wordsTheRefusalInTheLanguageItIsToldAndMarksTheReplyWithIt() {
        StageOutput output = screen("refuse", "fr", "Mon IBAN est FR14 2004 1010 0505 0001 3M02 606, merci.");

        ReplyEvent reply = output.replies().get(0);
        assertThat(reply.kind()).isEqualTo(ReplyKind.FAILED);
        assertThat(reply.sourceLanguage()).isEqualTo("fr");
        assertThat(reply.translations()).containsExactly(PiiRefusals.refusal("fr", List.of("iban")));
        assertThat(languageAsked).containsExactly("Mon IBAN est FR14 2004 1010 0505 0001 3M02 606, merci.");
    }

    @Test
    void asksForNoLanguageWhenItRedacts() {
        StageOutput output = screen("redact", "fr", "Mon IBAN est FR14 2004 1010 0505 0001 3M02 606, merci.");

        assertThat(output.next().orElseThrow().message().text()).isEqualTo("Mon IBAN est [iban], merci.");
        assertThat(languageAsked).isEmpty();
    }
}
