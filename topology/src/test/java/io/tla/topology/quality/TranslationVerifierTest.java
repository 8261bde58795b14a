package io.tla.topology.quality;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.Translation;
import io.tla.topology.glossary.GlossaryTerm;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checks with the pipeline's own language detector. */
class TranslationVerifierTest {

    private static final String GERMAN = "Guten Morgen zusammen, die Lieferung kommt heute Nachmittag an.";
    private final TranslationVerifier verifier = TranslationVerifier.of(16);

    private List<Problem> check(String text, String source, List<String> targets, Translation... answer) {
        return verifier.check(text, source, targets, List.of(), List.of(answer));
    }

    @Test
    void aTranslationInItsTargetLanguagePasses() {
        assertThat(check(GERMAN, "de", List.of("en", "fr"),
                new Translation("en", "Good morning everyone, the delivery arrives this afternoon."),
                new Translation("fr", "Bonjour à tous, la livraison arrive cet après-midi."))).isEmpty();
    }

    @Test
    void aTranslationInAnotherLanguageIsWrongLanguageNamingWhatItReadAs() {
        assertThat(check(GERMAN, "de", List.of("en"),
                new Translation("en", "Bonjour à tous, la livraison arrive cet après-midi.")))
                .containsExactly(new Problem(Check.WRONG_LANGUAGE, "en", "fr"));
    }

    @Test
    void theMessageReturnedUnchangedIsUnchangedEvenWithOtherSpacingAndPunctuation() {
        assertThat(check(GERMAN, "de", List.of("en"), new Translation("en",
                "guten morgen zusammen die Lieferung kommt heute Nachmittag an")))
                .containsExactly(new Problem(Check.UNCHANGED, "en", "de"));
    }

    @Test
    void textTooShortToJudgePassesEvenWhenItIsTheMessage() {
        assertThat(check("Danke!", "de", List.of("en"), new Translation("en", "Danke!"))).isEmpty();
        assertThat(check("Merci @Anna 👍", "fr", List.of("de"), new Translation("de", "Merci @Anna 👍"))).isEmpty();
    }

    @Test
    void urlsCodeMentionsAndWordsKeptFromTheMessageDoNotDecideTheLanguage() {
        String message = "Bitte deploy `kubectl rollout restart deployment/checkout-service` auf https://ops.example.com/runbook "
                + "heute, @Anna Kowalski";
        // names, code and the URL stay as written; what is left is the translated sentence, too short to judge
        assertThat(check(message, "de", List.of("en"), new Translation("en", "Please deploy `kubectl rollout restart "
                + "deployment/checkout-service` on https://ops.example.com/runbook today, @Anna Kowalski"))).isEmpty();
        // the same kept parts in a French answer: judged on the French words alone
        assertThat(check(message + " und schreibt danach kurz in den Kanal, ob alles läuft.", "de", List.of("en"),
                new Translation("en", "Veuillez déployer `kubectl rollout restart deployment/checkout-service` sur "
                        + "https://ops.example.com/runbook aujourd'hui, @Anna Kowalski, puis écrivez brièvement dans le "
                        + "canal si tout fonctionne.")))
                .containsExactly(new Problem(Check.WRONG_LANGUAGE, "en", "fr"));
    }

    @Test
    void languagesTheDetectorConfusesCountAsTheSame() {
        assertThat(TranslationVerifier.close("da", "nb")).isTrue();
        assertThat(TranslationVerifier.close("sk", "cs")).isTrue();
        assertThat(TranslationVerifier.close("fr", "es")).isFalse();
        assertThat(check(GERMAN, "de", List.of("no"),
                new Translation("no", "God morgen alle sammen, leveransen kommer i ettermiddag."))).isEmpty();
    }

    @Test
    void regionalAndScriptTargetsAreJudgedByTheirLanguage() {
        assertThat(check(GERMAN, "de", List.of("pt-BR"),
                new Translation("pt-BR", "Bom dia a todos, a entrega chega hoje à tarde."))).isEmpty();
        assertThat(check(GERMAN, "de", List.of("zh-Hant"), new Translation("zh-Hant", "大家早安，貨物今天下午到達。")))
                .isEmpty();
    }

    @Test
    void aTargetTheDetectorDoesNotKnowFailsOnlyWhenTheTextReadsAsTheMessagesLanguage() {
        assertThat(check(GERMAN, "de", List.of("ca"),
                new Translation("ca", "Bon dia a tothom, el lliurament arriba aquesta tarda."))).isEmpty();
        assertThat(check(GERMAN, "de", List.of("ca"),
                new Translation("ca", "Guten Morgen allerseits, das Paket wird heute Nachmittag geliefert.")))
                .extracting(Problem::check).containsExactly(Check.WRONG_LANGUAGE);
    }

    @Test
    void aMissingRequiredGlossaryTermIsAGlossaryMissNamingTheTerm() {
        GlossaryTerm term = new GlossaryTerm("Lieferung", "en", "shipment", true, GlossaryEntry.Scope.TENANT);
        List<Problem> problems = verifier.check(GERMAN, "de", List.of("en"), List.of(term),
                List.of(new Translation("en", "Good morning everyone, the delivery arrives this afternoon.")));
        assertThat(problems).containsExactly(new Problem(Check.GLOSSARY_MISS, "en", "shipment"));
        assertThat(verifier.check(GERMAN, "de", List.of("en"), List.of(term),
                List.of(new Translation("en", "Good morning everyone, the shipment arrives this afternoon."))))
                .isEmpty();
    }

    @Test
    void aMissingOrBlankLanguageIsMalformed() {
        assertThat(check(GERMAN, "de", List.of("en", "fr"),
                new Translation("en", "Good morning everyone, the delivery arrives this afternoon.")))
                .extracting(Problem::check).containsExactly(Check.MALFORMED);
        assertThat(check(GERMAN, "de", List.of("en"), new Translation("en", " ")))
                .extracting(Problem::check).containsExactly(Check.MALFORMED);
    }

    @Test
    void anUnknownSourceLanguageNeverMakesAnAnswerUnchanged() {
        assertThat(check(GERMAN, "und", List.of("de"), new Translation("de", GERMAN))).isEmpty();
    }
}
