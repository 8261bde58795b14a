package io.tla.platform.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TopicAdmin} against a real broker: the contract topics are created once and found again after a restart. */
class TopicAdminTest {

    @TempDir
    Path dataDir;

    @Test
    void createsTheContractTopicsAndKeepsThemAcrossARestart() throws Exception {
        Path logDir = dataDir.resolve("kafka");
        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(logDir, 0, 0).start()) {
            KafkaClients clients = new KafkaClients(broker.bootstrapServers(), Map.of());
            assertThat(TopicAdmin.ensureTopics(clients, Topics.ALL, 3, (short) 1, Duration.ofSeconds(30)))
                    .containsExactlyInAnyOrder("teams.messages.v1", "teams.replies.v1", "tla.telemetry.v1",
                            "teams.messages.dlq.v1", "teams.replies.dlq.v1");
        }
        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(logDir, 0, 0).start()) {
            KafkaClients clients = new KafkaClients(broker.bootstrapServers(), Map.of());
            assertThat(TopicAdmin.ensureTopics(clients, Topics.ALL, 3, (short) 1, Duration.ofSeconds(30))).isEmpty();
            try (Admin admin = Admin.create(clients.properties("test"))) {
                Set<String> names = admin.listTopics().names().get();
                assertThat(names).contains("teams.replies.v1");
                assertThat(admin.describeTopics(Set.of("teams.replies.v1")).allTopicNames().get()
                        .get("teams.replies.v1").partitions()).hasSize(3);
                // a single broker's topics are below a configured factor of 3, and not below 1
                assertThat(TopicAdmin.replicationBelow(admin, List.of("teams.replies.v1", "no.such.topic"), (short) 3,
                        Duration.ofSeconds(10))).containsExactly(Map.entry("teams.replies.v1", 1));
                assertThat(TopicAdmin.replicationBelow(admin, List.of("teams.replies.v1"), (short) 1,
                        Duration.ofSeconds(10))).isEmpty();
            }
        }
    }
}
