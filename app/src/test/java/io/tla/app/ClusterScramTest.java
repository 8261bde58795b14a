package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.tla.platform.config.KafkaSettings;
import io.tla.platform.config.StreamsSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.FileSecretStore;
import io.tla.platform.secrets.SecretStores;
import io.tla.schemas.Topics;
import io.tla.topology.TranslationStreamsApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A SCRAM cluster from {@code TLA_CLUSTER_AUTH=scram ops/cluster/cluster.sh start}: the product, configured with the
 * typed {@code kafka-auth.*} keys and the password in the file secret store the script wrote, creates its topics,
 * runs a role and a Kafka Streams app, produces and consumes; a wrong password is refused; neither password shows
 * in any log line of the product.
 */
class ClusterScramTest {

    @TempDir
    static Path tmp;

    static ClusterScript cluster;

    @BeforeAll
    static void createCluster() throws Exception {
        cluster = new ClusterScript(tmp.resolve("cluster"), Map.of("TLA_CLUSTER_AUTH", "scram"));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theProductAuthenticatesWithItsSecretAndAWrongPasswordIsRefused() throws Exception {
        assertThat(cluster.ok("start").lastLine()).isEqualTo(cluster.bootstrap());
        Path passwordFile = cluster.dir.resolve("secrets/kafka-password");
        assertThat(Files.getPosixFilePermissions(passwordFile)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        String password = Files.readString(passwordFile).trim();
        String wrong = "wrong-" + password.substring(0, 8) + "-pw";

        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger kafkaLogger = (Logger) LoggerFactory.getLogger("org.apache.kafka");
        Level kafkaLevel = kafkaLogger.getLevel();
        kafkaLogger.setLevel(Level.INFO); // the clients' config dumps are INFO: check them too
        logs.start();
        root.addAppender(logs);
        try {
            // data.dir is the cluster dir: the script wrote the password where the file store looks for it
            Map<String, String> keys = new HashMap<>(Map.of("kafka.bootstrap.servers", cluster.bootstrap(),
                    "kafka-auth.mode", "scram-sha-512", "kafka-auth.username", "tla", "secrets.provider", "file",
                    "data.dir", cluster.dir.toString(), "topics.replication-factor", "3", "topics.partitions", "3",
                    "http.port", "0", "management.port", "0"));
            TlaConfig config = TlaConfig.of(keys);
            KafkaSettings settings = KafkaSettings.from(config);

            // a tla process (replies role): creates the contract topics and consumes over SCRAM
            try (TlaRuntime runtime = new TlaRuntime()) {
                runtime.start(config, EnumSet.of(Role.REPLIES), Map.of());
            }
            KafkaClients clients = KafkaClients.of(settings, cluster.bootstrap(), SecretStores.create(config, Map.of()));
            try (Admin admin = Admin.create(clients.properties("scram-test"))) {
                assertThat(TopicAdmin.replicationBelow(admin, List.of(Topics.MESSAGES.name()), (short) 3,
                        Duration.ofSeconds(10))).isEmpty();
            }
            produceAndConsume(clients);
            streamsRuns(clients, tmp.resolve("state"));

            // the same keys with a wrong password in another file store: refused
            FileSecretStore wrongStore = new FileSecretStore(tmp.resolve("wrong-secrets"));
            wrongStore.create("kafka-password", wrong);
            KafkaClients refused = KafkaClients.of(settings, cluster.bootstrap(), wrongStore);
            try (Admin admin = Admin.create(refused.properties("scram-test-wrong"))) {
                assertThatThrownBy(() -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SaslAuthenticationException.class)
                        .satisfies(e -> assertThat(e.getCause().getMessage()).doesNotContain(wrong));
            }
            assertThatThrownBy(() -> TopicAdmin.ensureTopics(refused, List.of(Topics.MESSAGES), 3, (short) 3,
                    Duration.ofSeconds(15)))
                    .isInstanceOf(IllegalStateException.class).hasMessageNotContaining(wrong);
        } finally {
            root.detachAppender(logs);
            kafkaLogger.setLevel(kafkaLevel);
        }
        // nor in the brokers' own logs
        for (int n = 1; n <= 3; n++) {
            assertThat(Files.readString(cluster.dir.resolve("node" + n + "/server.log"))).doesNotContain(password);
        }
        assertThat(logs.list).as("log lines captured").isNotEmpty();
        assertThat(logs.list).anyMatch(e -> e.getFormattedMessage().contains("sasl.jaas.config = [hidden]"));
        for (ILoggingEvent event : logs.list) {
            String text = event.getFormattedMessage()
                    + (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy()));
            assertThat(text).doesNotContain(password).doesNotContain(wrong);
        }
    }

    private static void produceAndConsume(KafkaClients clients) throws Exception {
        Map<String, Object> producerProps = clients.properties("scram-test-producer");
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.MESSAGES.name(), 0, "conversation-1", "{\"scram\":true}"))
                    .get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> consumerProps = clients.properties("scram-test-consumer");
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
                new StringDeserializer())) {
            TopicPartition partition = new TopicPartition(Topics.MESSAGES.name(), 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            boolean found = false;
            while (!found && System.nanoTime() < until) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
                found = records.records(partition).stream().anyMatch(r -> "conversation-1".equals(r.key()));
            }
            assertThat(found).as("the record produced over SCRAM is consumed over SCRAM").isTrue();
        }
    }

    private static void streamsRuns(KafkaClients clients, Path stateDir) throws Exception {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(Topics.MESSAGES.name(), Consumed.with(Serdes.String(), Serdes.String()));
        try (TlaMetrics metrics = new TlaMetrics()) {
            TranslationStreamsApp app = new TranslationStreamsApp(builder.build(),
                    new StreamsSettings("scram-test-streams", StreamsConfig.AT_LEAST_ONCE, 1, 100), clients, stateDir,
                    metrics, new Health(), (short) 3);
            try {
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(60))).as("Kafka Streams RUNNING over SCRAM").isTrue();
            } finally {
                app.close();
            }
        }
    }
}
