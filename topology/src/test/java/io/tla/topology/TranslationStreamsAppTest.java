package io.tla.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.config.StreamsSettings;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.metrics.TlaMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against a real broker: tla_streams_running follows the Kafka Streams client's state, and the stores' RocksDB
 * memory is bounded as configured.
 */
class TranslationStreamsAppTest {

    @TempDir
    Path dir;

    @Test
    void runningGaugeIsOneOnlyWhileTheStreamsClientRuns() throws Exception {
        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
             TlaMetrics metrics = new TlaMetrics()) {
            KafkaClients clients = new KafkaClients(broker.bootstrapServers(), Map.of());
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("streams-app-test-in", 1, (short) 1))).all().get();
            }
            // A source-only topology: the gauge is about the client, not the pipeline.
            StreamsBuilder builder = new StreamsBuilder();
            builder.stream("streams-app-test-in", Consumed.with(Serdes.String(), Serdes.String()));
            StreamsSettings settings = new StreamsSettings("streams-app-test", StreamsConfig.AT_LEAST_ONCE, 1, 100);
            TranslationStreamsApp app = new TranslationStreamsApp(builder.build(), settings, clients,
                    dir.resolve("state"), metrics, new Health());

            assertThat(running(metrics)).isZero();
            assertThat(metrics.scrape()).contains("tla_streams_running 0");

            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(60))).as("RUNNING within 60 s").isTrue();
            assertThat(running(metrics)).isEqualTo(1.0);
            assertThat(metrics.scrape()).contains("tla_streams_running 1");

            app.close();
            assertThat(app.state()).isIn(KafkaStreams.State.NOT_RUNNING, KafkaStreams.State.PENDING_SHUTDOWN);
            assertThat(running(metrics)).isZero();
        }
    }

    @Test
    void everyRocksDbStoreOfTheAppUsesTheOneBlockCacheOfTheConfiguredSize() throws Exception {
        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
             TlaMetrics metrics = new TlaMetrics()) {
            KafkaClients clients = new KafkaClients(broker.bootstrapServers(), Map.of());
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("rocksdb-app-test-in", 2, (short) 1),
                        new NewTopic("rocksdb-app-test-in-b", 2, (short) 1))).all().get();
            }
            // two persistent stores on two partitions: four RocksDB instances
            StreamsBuilder builder = new StreamsBuilder();
            builder.stream("rocksdb-app-test-in", Consumed.with(Serdes.String(), Serdes.String()))
                    .groupByKey().count(Materialized.as("counts-a"));
            builder.stream("rocksdb-app-test-in-b", Consumed.with(Serdes.String(), Serdes.String()))
                    .groupByKey().count(Materialized.as("counts-b"));
            StreamsSettings settings = new StreamsSettings("rocksdb-app-test", StreamsConfig.AT_LEAST_ONCE, 1, 100,
                    12, 4);
            TranslationStreamsApp app = new TranslationStreamsApp(builder.build(), settings, clients,
                    dir.resolve("state"), metrics, new Health());
            try {
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(60))).as("RUNNING within 60 s").isTrue();

                List<Double> capacities = blockCacheCapacities(app);
                assertThat(capacities).hasSize(4).containsOnly(12.0 * 1024 * 1024);
            } finally {
                app.close();
            }
        }
    }

    /** The {@code block-cache-capacity} of every store instance, as Kafka Streams reads it from RocksDB. */
    private static List<Double> blockCacheCapacities(TranslationStreamsApp app) {
        return app.streamsMetrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals("block-cache-capacity"))
                .map(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .toList();
    }

    private static double running(TlaMetrics metrics) {
        return metrics.registry().get(TranslationStreamsApp.RUNNING_METER).gauge().value();
    }
}
