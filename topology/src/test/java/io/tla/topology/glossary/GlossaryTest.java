package io.tla.topology.glossary;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.GlossaryEntry.Scope;
import io.tla.schemas.Translation;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class GlossaryTest {

    private static final Instant AT = Instant.parse("2026-11-25T10:15:30Z");
    private static final String TENANT = "t1";
    private static final String CHANNEL = "19:general@thread.tacv2";
    private static final String USER = "aad-anna";

    private static GlossaryEntry entry(Scope scope, String scopeId, String source, String language, String target) {
        return new GlossaryEntry(TENANT, scope, scopeId, source, language, target, false, AT);
    }

    private static GlossaryEntry strict(String source, String language, String target) {
        return new GlossaryEntry(TENANT, Scope.TENANT, null, source, language, target, true, AT);
    }

    private static List<GlossaryTerm> terms(List<GlossaryEntry> entries, String text, String... languages) {
        return Glossary.applicableTerms(entries, TENANT, CHANNEL, USER, text, List.of(languages));
    }

    @Test
    void userEntryBeatsChannelEntryWhichBeatsTenantEntryForTheSameTermAndLanguage() {
        List<GlossaryEntry> entries = List.of(
                entry(Scope.TENANT, null, "deploy", "de", "ausrollen"),
                entry(Scope.CHANNEL, CHANNEL, "Deploy", "de", "bereitstellen"),
                entry(Scope.USER, USER, "DEPLOY", "de", "deployen"),
                entry(Scope.TENANT, null, "release", "de", "Veröffentlichung"),
                entry(Scope.CHANNEL, CHANNEL, "release", "de", "Freigabe"));

        assertThat(terms(entries, "We deploy the release today", "de"))
                .extracting(GlossaryTerm::sourceTerm, GlossaryTerm::targetTerm, GlossaryTerm::scope)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("DEPLOY", "deployen", Scope.USER),
                        org.assertj.core.groups.Tuple.tuple("release", "Freigabe", Scope.CHANNEL));
    }

    @Test
    void precedenceIsPerLanguageSoATenantEntryStillAppliesToAnotherLanguage() {
        List<GlossaryEntry> entries = List.of(
                entry(Scope.TENANT, null, "deploy", "fr", "déployer"),
                entry(Scope.USER, USER, "deploy", "de", "deployen"));
        assertThat(terms(entries, "deploy now", "de", "fr"))
                .extracting(GlossaryTerm::targetLanguage, GlossaryTerm::targetTerm)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("de", "deployen"),
                        org.assertj.core.groups.Tuple.tuple("fr", "déployer"));
    }

    @Test
    void channelAndUserEntriesOfOtherChannelsUsersAndTenantsDoNotApply() {
        List<GlossaryEntry> entries = List.of(
                entry(Scope.CHANNEL, "19:other@thread.tacv2", "deploy", "de", "other channel"),
                entry(Scope.USER, "aad-bob", "deploy", "de", "bob"),
                new GlossaryEntry("t2", Scope.TENANT, null, "deploy", "de", "other tenant", false, AT),
                entry(Scope.TENANT, null, "deploy", "de", "ausrollen"));
        assertThat(terms(entries, "deploy", "de")).extracting(GlossaryTerm::targetTerm).containsExactly("ausrollen");
    }

    @Test
    void aChatHasNoChannelSoOnlyTenantAndUserEntriesApply() {
        List<GlossaryEntry> entries = List.of(
                entry(Scope.CHANNEL, CHANNEL, "deploy", "de", "channel"),
                entry(Scope.TENANT, null, "deploy", "de", "tenant"));
        assertThat(Glossary.applicableTerms(entries, TENANT, null, USER, "deploy", List.of("de")))
                .extracting(GlossaryTerm::targetTerm).containsExactly("tenant");
    }

    @Test
    void onlyEntriesForTheRequestedTargetLanguagesApplyComparedCaseInsensitively() {
        List<GlossaryEntry> entries = List.of(
                entry(Scope.TENANT, null, "invoice", "pt-BR", "nota fiscal"),
                entry(Scope.TENANT, null, "invoice", "pt", "fatura"),
                entry(Scope.TENANT, null, "invoice", "ja", "請求書"));
        assertThat(terms(entries, "Send the invoice", "pt-br", "en"))
                .extracting(GlossaryTerm::targetTerm, GlossaryTerm::targetLanguage)
                .as("the term carries the request's spelling of the language")
                .containsExactly(org.assertj.core.groups.Tuple.tuple("nota fiscal", "pt-br"));
    }

    @Test
    void termMatchesWholeWordsOnlySoApiIsNotFoundInRapid() {
        assertThat(Glossary.occursIn("API", "a rapid response")).isFalse();
        assertThat(Glossary.occursIn("API", "the capitalised APIs")).isFalse();
        assertThat(Glossary.occursIn("API", "call the api, please")).isTrue();
        assertThat(Glossary.occursIn("API", "(API)")).isTrue();
        assertThat(Glossary.occursIn("API", "API-Gateway")).isTrue();
        assertThat(Glossary.occursIn("API", "MY_API_KEY")).isFalse();
        assertThat(Glossary.occursIn("C++", "we write C++ here")).isTrue();
        assertThat(Glossary.occursIn("API", "a rapid API")).as("a later occurrence counts").isTrue();
    }

    @Test
    void multiWordTermsMatchAcrossAnyWhiteSpaceButNotInsideLongerWords() {
        assertThat(Glossary.occursIn("pull request", "open a Pull\n  Request today")).isTrue();
        assertThat(Glossary.occursIn("pull request", "open a pull\u00A0request")).as("no-break space from Teams").isTrue();
        assertThat(Glossary.occursIn("pull request", "pull requests")).isFalse();
        assertThat(Glossary.occursIn("pull request", "pull the request")).isFalse();
    }

    @Test
    void germanUmlautsAndSharpSAreMatchedCaseInsensitivelyAsWholeWords() {
        assertThat(Glossary.occursIn("Übergabe", "die ÜBERGABE ist morgen")).isTrue();
        assertThat(Glossary.occursIn("Straße", "GROSSE STRASSE")).isTrue();
        assertThat(Glossary.occursIn("Maß", "Maßnahme")).as("umlauts and ß are letters, not boundaries").isFalse();
        assertThat(Glossary.occursIn("Öl", "Motoröl")).isFalse();
        assertThat(Glossary.occursIn("Öl", "das Öl.")).isTrue();
        assertThat(Glossary.occursIn("café", "un cafe\u0301 noir")).as("decomposed accents are normalised").isTrue();
    }

    @Test
    void japaneseWithoutSpacesIsMatchedAsASubstring() {
        assertThat(Glossary.occursIn("サーバー", "サーバーを再起動してください")).isTrue();
        assertThat(Glossary.occursIn("請求書", "来月の請求書を送ります")).isTrue();
        assertThat(Glossary.occursIn("API", "APIキーを更新")).as("Latin term next to Japanese").isTrue();
        assertThat(Glossary.occursIn("API", "ＡＰＩキー")).as("full-width Latin is folded").isTrue();
        assertThat(Glossary.occursIn("サーバー", "クライアントを再起動")).isFalse();

        List<GlossaryEntry> entries = List.of(entry(Scope.TENANT, null, "請求書", "en", "invoice"));
        assertThat(terms(entries, "来月の請求書を送ります", "en")).extracting(GlossaryTerm::targetTerm).containsExactly("invoice");
    }

    @Test
    void termsThatDoNotOccurInTheTextDoNotApply() {
        List<GlossaryEntry> entries = List.of(entry(Scope.TENANT, null, "API", "de", "Schnittstelle"));
        assertThat(terms(entries, "a rapid reply", "de")).isEmpty();
        assertThat(terms(entries, "", "de")).isEmpty();
        assertThat(terms(entries, "the API", "de")).hasSize(1);
    }

    @Test
    void strictTermMissingFromItsTranslationIsAViolationCaseInsensitively() {
        List<GlossaryTerm> terms = List.of(
                GlossaryTerm.of(strict("API", "de", "Schnittstelle")),
                GlossaryTerm.of(strict("invoice", "fr", "facture")),
                GlossaryTerm.of(entry(Scope.TENANT, null, "deploy", "de", "ausrollen")),
                GlossaryTerm.of(strict("pull request", "ja", "プルリクエスト")));
        List<Translation> translations = List.of(
                new Translation("de", "Die API ist bereit, wir deployen morgen."),
                new Translation("FR", "La FACTURES est envoyée."));

        List<GlossaryViolation> violations = Glossary.violations(terms, translations);
        assertThat(violations).extracting(v -> v.term().sourceTerm()).containsExactly("API");
        assertThat(Glossary.misses(terms, translations)).extracting(v -> v.term().sourceTerm())
                .containsExactly("API", "deploy");
    }

    @Test
    void flagAppendsADeterministicNoteToTheViolatedLanguageOnly() {
        List<GlossaryViolation> violations = List.of(
                new GlossaryViolation(GlossaryTerm.of(strict("API", "de", "Schnittstelle"))),
                new GlossaryViolation(GlossaryTerm.of(strict("deploy", "de", "ausrollen"))));
        List<Translation> flagged = Glossary.flag(List.of(new Translation("en", "Hello"),
                new Translation("de", "Die API ist bereit.")), violations);
        assertThat(flagged).containsExactly(new Translation("en", "Hello"), new Translation("de",
                "Die API ist bereit. [glossary: API → Schnittstelle expected] [glossary: deploy → ausrollen expected]"));
        assertThat(Glossary.flag(flagged, List.of())).isSameAs(flagged);
    }

    @Test
    void promptSectionListsEachTermQuotedAndMarksStrictOnes() {
        List<GlossaryTerm> terms = List.of(
                GlossaryTerm.of(strict("API", "de", "Schnittstelle")),
                GlossaryTerm.of(entry(Scope.TENANT, null, "say \"hi\"", "de", "sag hallo")));
        assertThat(Glossary.promptSection(terms)).isEqualTo("""
                Glossary: translate these terms exactly as given.
                - "API" → de: "Schnittstelle" (required)
                - "say \\"hi\\"" → de: "sag hallo"
                """);
        assertThat(Glossary.promptSection(List.of())).isEmpty();
    }
}
