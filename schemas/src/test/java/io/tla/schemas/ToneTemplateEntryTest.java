package io.tla.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ToneTemplateEntryTest {

    private static final Instant AT = Instant.parse("2026-11-25T10:15:30Z");
    private static final ContractSchema SCHEMA = ContractSchema.load("tone-template");
    private static final String CHANNEL = "19:d8a1c2e3f4b5a6978812ab34cd56ef78@thread.tacv2";

    @Test
    void keyIsTenantSlashStarForTheTenantAndTenantSlashChannelForAChannel() {
        assertThat(new ToneTemplateEntry("t1", null, "Formal.", AT).storeKey()).isEqualTo("t1/*");
        assertThat(new ToneTemplateEntry("t1", CHANNEL, "Formal.", AT).storeKey()).isEqualTo("t1/" + CHANNEL);
        assertThat(ToneTemplateEntry.storeKey("t1", null)).startsWith(ToneTemplateEntry.keyPrefix("t1"));
        assertThat(new ToneTemplateEntry("t1", null, "x", AT).tenantWide()).isTrue();
        assertThat(new ToneTemplateEntry("t1", CHANNEL, "x", AT).tenantWide()).isFalse();
    }

    @Test
    void idsAndTextAreChecked() {
        assertThatThrownBy(() -> new ToneTemplateEntry("a/b", null, "x", AT)).hasMessageContaining("may not contain '/'");
        assertThatThrownBy(() -> new ToneTemplateEntry("t1", "*", "x", AT)).hasMessageContaining("may not be '*'");
        assertThatThrownBy(() -> new ToneTemplateEntry(" ", null, "x", AT)).hasMessageContaining("tenantId is required");
        assertThatThrownBy(() -> new ToneTemplateEntry("t1", null, " \n ", AT)).hasMessageContaining("empty");
        assertThatThrownBy(() -> new ToneTemplateEntry("t1", null, "Formal.\u0007", AT))
                .hasMessageContaining("U+0007 at character 8");
        assertThat(new ToneTemplateEntry("t1", null, "Formal.\n\t- short sign-offs", AT).text())
                .isEqualTo("Formal.\n\t- short sign-offs");
    }

    @Test
    void lengthCountsCharactersNotUtf16Units() {
        assertThat(ToneTemplateEntry.length("😀ab")).isEqualTo(3);
    }

    @Test
    void jsonRoundTripsAndSatisfiesTheSchema() throws Exception {
        ToneTemplateEntry channel = new ToneTemplateEntry("t1", CHANNEL, "Sie-Form; \"Contoso\" bleibt Contoso.\n", AT);
        byte[] json = Topics.TONES.valueSerde().serializer().serialize(Topics.TONES.name(), channel);
        JsonNode node = Json.mapper().readTree(json);
        assertThat(node.has("storeKey")).isFalse();
        assertThat(node.has("tenantWide")).isFalse();
        assertThat(SCHEMA.violations(node)).isEmpty();
        assertThat(Topics.TONES.valueSerde().deserializer().deserialize(Topics.TONES.name(), json)).isEqualTo(channel);

        JsonNode tenantWide = Json.mapper().valueToTree(new ToneTemplateEntry("t1", null, "Formal.", AT));
        assertThat(tenantWide.has("channelId")).isFalse();
        assertThat(SCHEMA.violations(tenantWide)).isEmpty();
        assertThat(SCHEMA.violations(Json.mapper().readTree(
                "{\"tenantId\":\"t1\",\"channelId\":null,\"text\":\"x\",\"updatedAt\":\"2026-11-25T10:15:30Z\"}"))).isEmpty();
    }

    @Test
    void schemaRejectsControlCharactersASlashInAnIdAndAStarChannel() throws Exception {
        assertThat(SCHEMA.violations(Json.mapper().readTree(
                "{\"tenantId\":\"t1\",\"text\":\"a\\u0007b\",\"updatedAt\":\"2026-11-25T10:15:30Z\"}"))).isNotEmpty();
        assertThat(SCHEMA.violations(Json.mapper().readTree(
                "{\"tenantId\":\"t/1\",\"text\":\"a\",\"updatedAt\":\"2026-11-25T10:15:30Z\"}"))).isNotEmpty();
        assertThat(SCHEMA.violations(Json.mapper().readTree(
                "{\"tenantId\":\"t1\",\"channelId\":\"*\",\"text\":\"a\",\"updatedAt\":\"2026-11-25T10:15:30Z\"}"))).isNotEmpty();
        assertThat(SCHEMA.violations(Json.mapper().readTree(
                "{\"tenantId\":\"t1\",\"text\":\"line\\nbreak\\ttab\",\"updatedAt\":\"2026-11-25T10:15:30Z\"}"))).isEmpty();
    }

    @Test
    void tonesTopicIsCompactedAndCreatedWithTheRequiredTopics() {
        assertThat(Topics.TONES.name()).isEqualTo("tla.tones.v1");
        assertThat(Topics.isCompacted("tla.tones.v1")).isTrue();
        assertThat(Topics.creationConfigs("tla.tones.v1")).containsEntry("cleanup.policy", "compact");
        assertThat(Topics.REQUIRED).contains(Topics.TONES);
        assertThat(Topics.ALL).doesNotContain(Topics.TONES);
    }
}
