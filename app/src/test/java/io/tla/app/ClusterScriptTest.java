package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tla.platform.config.KafkaSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ops/cluster/cluster.sh} starts three real Kafka nodes: the product's topics get three replicas and
 * min.insync.replicas 2, and a produce with acks=all still succeeds while one node is SIGKILLed; the node then
 * rejoins.
 */
class ClusterScriptTest {

    @TempDir
    static Path tmp;

    static ClusterScript cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new ClusterScript(tmp.resolve("cluster"), Map.of());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void threeNodesKeepAcceptingAcksAllWritesWhileOneIsKilled() throws Exception {
        ClusterScript.Run started = cluster.ok("start");
        assertThat(started.lastLine()).isEqualTo(cluster.bootstrap());
        assertThat(cluster.ok("bootstrap").lastLine()).isEqualTo(cluster.bootstrap());
        // start is idempotent while the cluster runs
        assertThat(cluster.ok("start").lastLine()).isEqualTo(cluster.bootstrap());

        KafkaSettings settings = KafkaSettings.from(TlaConfig.of(Map.of("kafka.bootstrap.servers", cluster.bootstrap(),
                "topics.replication-factor", "3", "topics.partitions", "3")));
        KafkaClients clients = KafkaClients.of(settings, cluster.bootstrap());
        try (Admin admin = Admin.create(clients.properties("cluster-test"))) {
            assertThat(admin.describeCluster().nodes().get(10, TimeUnit.SECONDS)).hasSize(3);
            TopicAdmin.ensureTopics(clients, Topics.REQUIRED, settings.partitions(), settings.replicationFactor(),
                    Duration.ofSeconds(30));
            List<String> names = Topics.REQUIRED.stream().<String>map(t -> t.name()).toList();
            // a topic just created may not be known yet to the broker asked: ask again until all are
            Map<String, TopicDescription> topics = await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS), Objects::nonNull);
            assertThat(topics.values()).allSatisfy(t -> assertThat(t.partitions())
                    .allSatisfy(p -> assertThat(p.replicas()).hasSize(3)));
            ConfigResource messages = new ConfigResource(ConfigResource.Type.TOPIC, Topics.MESSAGES.name());
            Config config = admin.describeConfigs(Set.of(messages)).all().get(10, TimeUnit.SECONDS).get(messages);
            assertThat(config.get("min.insync.replicas").value()).isEqualTo("2");
            assertThat(TopicAdmin.replicationBelow(admin, names, (short) 3, Duration.ofSeconds(10))).isEmpty();
        }

        cluster.ok("kill", "2");
        assertThat(cluster.ok("status").out()).anyMatch(line -> line.startsWith("node 2 ") && line.contains(" dead"))
                .filteredOn(line -> line.contains(" alive")).hasSize(2);

        Map<String, Object> props = clients.properties("cluster-test-producer");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                sent.add(producer.send(new ProducerRecord<>(Topics.MESSAGES.name(), "conversation-" + i, "{}")));
            }
            for (Future<RecordMetadata> f : sent) {
                assertThat(f.get(70, TimeUnit.SECONDS).offset()).isGreaterThanOrEqualTo(0);
            }
        }

        cluster.ok("start-node", "2");
        assertThat(cluster.ok("status").out()).filteredOn(line -> line.contains(" alive")).hasSize(3);
        List<String> leaders = cluster.ok("leaders").out();
        assertThat(leaders).hasSize(3).allMatch(line -> line.matches("[1-3] \\d+"));
        assertThat(leaders.stream().mapToInt(line -> Integer.parseInt(line.split(" ")[1])).sum())
                .as("every partition of the contract topics has a leader").isGreaterThanOrEqualTo(3 * Topics.REQUIRED.size());

        cluster.ok("stop");
        assertThat(cluster.ok("status").out()).allMatch(line -> line.contains(" dead"));
    }
}
