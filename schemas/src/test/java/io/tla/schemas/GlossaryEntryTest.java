package io.tla.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class GlossaryEntryTest {

    private static final Instant AT = Instant.parse("2026-11-25T10:15:30Z");
    private static final ContractSchema SCHEMA = ContractSchema.load("glossary-entry");

    @Test
    void keyIsTenantScopeScopeIdFoldedTermAndLowerCaseLanguage() {
        GlossaryEntry entry = new GlossaryEntry("t1", GlossaryEntry.Scope.CHANNEL, "19:abc@thread.tacv2",
                "  Pull  Request ", "pt-BR", "solicitação de pull", true, AT);
        assertThat(entry.sourceTerm()).isEqualTo("Pull  Request");
        assertThat(entry.storeKey()).isEqualTo("t1|channel|19:abc@thread.tacv2|pull request|pt-br");
        assertThat(entry.storeKey()).startsWith(GlossaryEntry.keyPrefix("t1", GlossaryEntry.Scope.CHANNEL, "19:abc@thread.tacv2"))
                .startsWith(GlossaryEntry.keyPrefix("t1"));
        assertThat(new GlossaryEntry("t1", GlossaryEntry.Scope.TENANT, null, "API", "de", "Schnittstelle", false, AT)
                .storeKey()).isEqualTo("t1|tenant||api|de");
    }

    @Test
    void sameTermInAnotherCaseOrWidthHasTheSameKey() {
        GlossaryEntry upper = new GlossaryEntry("t1", GlossaryEntry.Scope.TENANT, null, "STRASSE", "en", "street", false, AT);
        GlossaryEntry lower = new GlossaryEntry("t1", GlossaryEntry.Scope.TENANT, null, "straße", "EN", "street", false, AT);
        GlossaryEntry fullWidth = new GlossaryEntry("t1", GlossaryEntry.Scope.TENANT, null, "ＳＴＲＡＳＳＥ", "en", "street", false, AT);
        assertThat(upper.storeKey()).isEqualTo(lower.storeKey()).isEqualTo(fullWidth.storeKey());
    }

    @Test
    void scopeIdIsRequiredForChannelAndUserAndRefusedForTenant() {
        assertThatThrownBy(() -> new GlossaryEntry("t1", GlossaryEntry.Scope.USER, null, "a", "en", "b", false, AT))
                .hasMessageContaining("scopeId");
        assertThatThrownBy(() -> new GlossaryEntry("t1", GlossaryEntry.Scope.TENANT, "x", "a", "en", "b", false, AT))
                .hasMessageContaining("scopeId must be empty");
        assertThatThrownBy(() -> new GlossaryEntry("t|1", GlossaryEntry.Scope.TENANT, null, "a", "en", "b", false, AT))
                .hasMessageContaining("may not contain '|'");
        assertThatThrownBy(() -> new GlossaryEntry("t1", GlossaryEntry.Scope.TENANT, null, "a", "english", "b", false, AT))
                .hasMessageContaining("language tag");
        assertThatThrownBy(() -> new GlossaryEntry("t1", GlossaryEntry.Scope.TENANT, null, " ", "en", "b", false, AT))
                .hasMessageContaining("sourceTerm is required");
    }

    @Test
    void jsonRoundTripsAndSatisfiesTheSchema() throws Exception {
        GlossaryEntry entry = new GlossaryEntry("t1", GlossaryEntry.Scope.USER, "b1e0c4d2-7f3a-4a8e-9c1d-2e5f6a7b8c9d",
                "Kafka", "ja", "カフカ", true, AT);
        byte[] json = Topics.GLOSSARY.valueSerde().serializer().serialize(Topics.GLOSSARY.name(), entry);
        JsonNode node = Json.mapper().readTree(json);
        assertThat(node.get("scope").asText()).isEqualTo("user");
        assertThat(node.has("storeKey")).isFalse();
        assertThat(SCHEMA.violations(node)).isEmpty();
        assertThat(Topics.GLOSSARY.valueSerde().deserializer().deserialize(Topics.GLOSSARY.name(), json)).isEqualTo(entry);

        GlossaryEntry tenantWide = new GlossaryEntry("t1", GlossaryEntry.Scope.TENANT, null, "Kafka", "ja", "カフカ", false, AT);
        JsonNode tenantNode = Json.mapper().valueToTree(tenantWide);
        assertThat(tenantNode.has("scopeId")).isFalse();
        assertThat(SCHEMA.violations(tenantNode)).isEmpty();
    }

    @Test
    void schemaRejectsAChannelEntryWithoutScopeId() throws Exception {
        JsonNode node = Json.mapper().readTree("""
                {"tenantId":"t1","scope":"channel","sourceTerm":"a","targetLanguage":"en","targetTerm":"b",
                 "strict":false,"updatedAt":"2026-11-25T10:15:30Z"}""");
        assertThat(SCHEMA.violations(node)).isNotEmpty();
    }

    @Test
    void glossaryTopicIsCompactedAndNotAmongTheLogTopics() {
        assertThat(Topics.GLOSSARY.name()).isEqualTo("tla.glossary.v1");
        assertThat(Topics.isCompacted("tla.glossary.v1")).isTrue();
        assertThat(Topics.isCompacted("teams.messages.v1")).isFalse();
        assertThat(Topics.ALL).doesNotContain(Topics.GLOSSARY);
    }
}
