package io.tla.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TeamDirectoryEntryTest {

    @Test
    void entryRoundTripsWithTheSourceAsItsWireName() throws Exception {
        TeamDirectoryEntry entry = new TeamDirectoryEntry("19:abc@thread.tacv2", "6f1c2a9e-0000-4000-8000-00000000aaaa",
                "0d9b8c7a-1111-4222-8333-444455556666", "Release team", TeamDirectoryEntry.Source.BOT_FRAMEWORK,
                Instant.parse("2026-11-26T01:00:00Z"));
        byte[] bytes = Topics.TEAM_DIRECTORY.valueSerde().serializer().serialize("t", entry);
        JsonNode node = Json.mapper().readTree(bytes);
        assertThat(node.get("source").asText()).isEqualTo("bot-framework");
        assertThat(node.get("resolvedAt").asText()).isEqualTo("2026-11-26T01:00:00Z");
        assertThat(Topics.TEAM_DIRECTORY.valueSerde().deserializer().deserialize("t", bytes)).isEqualTo(entry);
    }

    @Test
    void directoryTopicIsCompactedAndCreatedWithTheRequiredTopics() {
        assertThat(Topics.TEAM_DIRECTORY.name()).isEqualTo("tla.teams.directory.v1");
        assertThat(Topics.isCompacted("tla.teams.directory.v1")).isTrue();
        assertThat(Topics.creationConfigs("tla.teams.directory.v1")).containsEntry("cleanup.policy", "compact");
        assertThat(Topics.REQUIRED).contains(Topics.TEAM_DIRECTORY);
        assertThat(Topics.ALL).doesNotContain(Topics.TEAM_DIRECTORY);
    }
}
