package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.platform.config.KafkaSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The long form of {@link ClusterScriptTest} (several minutes, {@code -Preliability}): a rolling restart of all
 * three nodes with {@code stop-node N; start-node N} while a producer writes with acks=all and idempotence loses
 * no acknowledged record and fails no send.
 */
@Tag("reliability")
class ClusterRollingRestartTest {

    @TempDir
    static Path tmp;

    static ClusterScript cluster;

    @BeforeAll
    static void createCluster() throws Exception {
        cluster = new ClusterScript(tmp.resolve("cluster"), Map.of());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aRollingRestartLosesNoAcknowledgedWrite() throws Exception {
        cluster.ok("start");
        KafkaSettings settings = KafkaSettings.from(TlaConfig.of(Map.of("kafka.bootstrap.servers", cluster.bootstrap(),
                "topics.replication-factor", "3", "topics.partitions", "3")));
        KafkaClients clients = KafkaClients.of(settings, cluster.bootstrap());
        TopicAdmin.ensureTopics(clients, List.of(Topics.MESSAGES), 3, (short) 3, Duration.ofSeconds(60));

        Map<String, Object> props = clients.properties("rolling-restart-producer");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong acknowledged = new AtomicLong();
        ConcurrentLinkedQueue<Exception> failures = new ConcurrentLinkedQueue<>();
        Thread writer = new Thread(() -> {
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                    new StringSerializer())) {
                for (long i = 0; writing.get(); i++) {
                    producer.send(new ProducerRecord<>(Topics.MESSAGES.name(), "conversation-" + (i % 97), "{}"),
                            (metadata, error) -> {
                                if (error == null) {
                                    acknowledged.incrementAndGet();
                                } else {
                                    failures.add(error);
                                }
                            });
                    Thread.sleep(5);
                }
                producer.flush();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "rolling-restart-writer");
        writer.start();
        for (int node = 1; node <= 3; node++) {
            cluster.ok("stop-node", Integer.toString(node));
            Thread.sleep(2_000);
            cluster.ok("start-node", Integer.toString(node));
        }
        writing.set(false);
        writer.join(180_000);
        assertThat(failures).as("failed sends").isEmpty();
        assertThat(acknowledged.get()).isPositive();

        Map<String, Object> consumerProps = clients.properties("rolling-restart-reader");
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> partitions = List.of(0, 1, 2).stream()
                    .map(p -> new TopicPartition(Topics.MESSAGES.name(), p)).toList();
            long stored = consumer.endOffsets(partitions, Duration.ofSeconds(30)).values().stream()
                    .mapToLong(Long::longValue).sum();
            assertThat(stored).as("records on the topic").isEqualTo(acknowledged.get());
        }
        assertThat(cluster.ok("leaders").out()).hasSize(3);
    }
}
