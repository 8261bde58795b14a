package io.tla.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LanguagePreferenceTest {

    private static final Instant AT = Instant.parse("2026-11-25T10:15:30Z");
    private static final String CHANNEL = "19:d8a1c2e3f4b5a6978812ab34cd56ef78@thread.tacv2";

    @Test
    void tagsAreCanonicalisedInAnyCaseAndWithUnderscores() {
        assertThat(LanguageTag.canonical("FR")).isEqualTo("fr");
        assertThat(LanguageTag.canonical("pt_br")).isEqualTo("pt-BR");
        assertThat(LanguageTag.canonical(" zh-hant-tw ")).isEqualTo("zh-Hant-TW");
        assertThat(LanguageTag.canonical("es-419")).isEqualTo("es-419");
        assertThat(LanguageTag.canonical("fil")).isEqualTo("fil");
        assertThat(LanguageTag.canonical("de-CH-1996")).isEqualTo("de-CH-1996");
    }

    @Test
    void invalidOrUnknownTagsAreRefused() {
        assertThat(LanguageTag.canonical("xx")).as("no such language").isNull();
        assertThat(LanguageTag.canonical("qqq")).isNull();
        assertThat(LanguageTag.canonical("french")).as("a name, not a tag").isNull();
        assertThat(LanguageTag.canonical("f")).isNull();
        assertThat(LanguageTag.canonical("fr-")).isNull();
        assertThat(LanguageTag.canonical("fr-x")).isNull();
        assertThat(LanguageTag.canonical("und")).isNull();
        assertThat(LanguageTag.canonical("")).isNull();
        assertThat(LanguageTag.canonical(null)).isNull();
        assertThat(LanguageTag.isValid("de")).isTrue();
    }

    @Test
    void englishNamesHintAtTheirTag() {
        assertThat(LanguageTag.forEnglishName("French")).isEqualTo("fr");
        assertThat(LanguageTag.forEnglishName("german")).isEqualTo("de");
        assertThat(LanguageTag.forEnglishName("klingonish")).isNull();
    }

    @Test
    void keyIsTenantScopeAndIdAndLanguagesAreCanonicalAndDistinct() {
        LanguagePreference channel = new LanguagePreference("t1", LanguagePreference.Scope.CHANNEL, CHANNEL,
                List.of("FR", "de", "fr", "pt_br"), AT, "cli:ops");
        assertThat(channel.storeKey()).isEqualTo("t1/channel/" + CHANNEL);
        assertThat(channel.storeKey()).startsWith(LanguagePreference.keyPrefix("t1", LanguagePreference.Scope.CHANNEL))
                .startsWith(LanguagePreference.keyPrefix("t1"));
        assertThat(channel.languages()).containsExactly("fr", "de", "pt-BR");
        assertThat(new LanguagePreference("t1", LanguagePreference.Scope.USER, "aad-anna", List.of("it"), AT,
                "teams:aad-anna").storeKey()).isEqualTo("t1/user/aad-anna");
    }

    @Test
    void refusesWhatCouldNotBeAChoice() {
        assertThatThrownBy(() -> new LanguagePreference("t/1", LanguagePreference.Scope.USER, "u", List.of("fr"), AT, "x"))
                .hasMessageContaining("may not contain '/'");
        assertThatThrownBy(() -> new LanguagePreference("t1", LanguagePreference.Scope.USER, " ", List.of("fr"), AT, "x"))
                .hasMessageContaining("id (the person's AAD object id) is required");
        assertThatThrownBy(() -> new LanguagePreference("t1", LanguagePreference.Scope.USER, "u", List.of(), AT, "x"))
                .hasMessageContaining("may not be empty");
        assertThatThrownBy(() -> new LanguagePreference("t1", LanguagePreference.Scope.USER, "u", List.of("xx"), AT, "x"))
                .hasMessageContaining("not a language tag").hasMessageContaining("xx");
        List<String> eleven = List.of("fr", "de", "it", "es", "pt", "nl", "sv", "da", "fi", "pl", "cs");
        assertThatThrownBy(() -> new LanguagePreference("t1", LanguagePreference.Scope.USER, "u", eleven, AT, "x"))
                .hasMessageContaining("at most 10");
        assertThatThrownBy(() -> new LanguagePreference("t1", LanguagePreference.Scope.USER, "u", List.of("fr"), AT, ""))
                .hasMessageContaining("updatedBy is required");
        assertThatThrownBy(() -> LanguagePreference.Scope.fromWireName("team"))
                .hasMessageContaining("unknown language scope: team");
    }

    @Test
    void jsonRoundTripsAndSatisfiesTheSchema() throws Exception {
        LanguagePreference preference = new LanguagePreference("t1", LanguagePreference.Scope.USER,
                "b1e0c4d2-7f3a-4a8e-9c1d-2e5f6a7b8c9d", List.of("fr", "zh-Hant"), AT, "teams:b1e0c4d2");
        byte[] json = Topics.LANGUAGES.valueSerde().serializer().serialize(Topics.LANGUAGES.name(), preference);
        JsonNode node = Json.mapper().readTree(json);
        assertThat(node.get("scope").asText()).isEqualTo("user");
        assertThat(node.has("storeKey")).isFalse();
        assertThat(ContractSchema.LANGUAGE_PREFERENCE.violations(node)).isEmpty();
        assertThat(Topics.LANGUAGES.valueSerde().deserializer().deserialize(Topics.LANGUAGES.name(), json))
                .isEqualTo(preference);
    }

    @Test
    void schemaRejectsAnEmptyListAndAnUnknownScope() throws Exception {
        JsonNode empty = Json.mapper().readTree("""
                {"tenantId":"t1","scope":"user","id":"u","languages":[],"updatedAt":"2026-11-25T10:15:30Z",
                 "updatedBy":"cli:ops"}""");
        assertThat(ContractSchema.LANGUAGE_PREFERENCE.violations(empty)).isNotEmpty();
        JsonNode team = Json.mapper().readTree("""
                {"tenantId":"t1","scope":"team","id":"u","languages":["fr"],"updatedAt":"2026-11-25T10:15:30Z",
                 "updatedBy":"cli:ops"}""");
        assertThat(ContractSchema.LANGUAGE_PREFERENCE.violations(team)).isNotEmpty();
    }

    @Test
    void languagesTopicIsCompactedAndCreatedWithTheRequiredTopics() {
        assertThat(Topics.LANGUAGES.name()).isEqualTo("tla.languages.v1");
        assertThat(Topics.isCompacted("tla.languages.v1")).isTrue();
        assertThat(Topics.creationConfigs("tla.languages.v1")).containsEntry("cleanup.policy", "compact");
        assertThat(Topics.REQUIRED).contains(Topics.LANGUAGES);
        assertThat(Topics.COMPACTED).contains(Topics.LANGUAGES);
        assertThat(Topics.ALL).doesNotContain(Topics.LANGUAGES);
    }

    @Test
    void confirmationIsAReplyKindTheReplySchemaAccepts() throws Exception {
        assertThat(ReplyKind.fromWireName("confirmation")).isEqualTo(ReplyKind.CONFIRMATION);
        ReplyEvent reply = new ReplyEvent("r1", "t1", "conv-1", "m1", ReplyKind.CONFIRMATION, "en",
                List.of(new Translation("en", "Your languages are now: French (fr).")), "language-commands", null,
                null, AT, ConversationType.CHANNEL, null, CHANNEL, null, null, AT, "aad-anna");
        assertThat(ContractSchema.REPLY_EVENT.violationsOf(reply)).isEmpty();
        assertThat(Json.mapper().valueToTree(reply).get("kind").asText()).isEqualTo("confirmation");
    }
}
