package io.tla.topology.glossary;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.GlossaryEntry.Scope;
import io.tla.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against a real broker: an import transaction reaches a Kafka Streams global store under exactly-once (read
 * committed), a later delete removes the entry, and {@link GlossaryTopic#read} agrees with the store.
 */
class GlossaryTopicTest {

    private static final Instant AT = Instant.parse("2026-11-25T10:15:30Z");

    @TempDir
    Path dir;

    @Test
    void publishedEntriesReachTheGlobalStoreAndADeleteRemovesThem() throws Exception {
        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start()) {
            KafkaClients clients = new KafkaClients(broker.bootstrapServers(), Map.of());
            TopicAdmin.ensureTopics(clients, Topics.COMPACTED, 2, (short) 1, Duration.ofSeconds(30));
            GlossaryEntry api = new GlossaryEntry("t1", Scope.TENANT, null, "API", "de", "Schnittstelle", true, AT);
            GlossaryEntry deploy = new GlossaryEntry("t1", Scope.USER, "aad-anna", "deploy", "de", "deployen", false, AT);
            GlossaryEntry other = new GlossaryEntry("t2", Scope.TENANT, null, "API", "de", "fremd", false, AT);
            GlossaryTopic.publish(clients, "t1", List.of(api, deploy), List.of(), Duration.ofSeconds(30));
            GlossaryTopic.publish(clients, "t2", List.of(other), List.of(), Duration.ofSeconds(30));

            StreamsBuilder builder = new StreamsBuilder();
            GlossaryStore.addGlobalStore(builder);
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "glossary-topic-test");
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("streams").toString());
            props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
            props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
            try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
                streams.start();
                waitUntil(() -> streams.state() == KafkaStreams.State.RUNNING, "streams RUNNING");
                ReadOnlyKeyValueStore<String, GlossaryEntry> store = streams.store(StoreQueryParameters.fromNameAndType(
                        GlossaryStore.STORE, QueryableStoreTypes.<String, GlossaryEntry>keyValueStore()));
                GlossaryLookup lookup = new GlossaryLookup(store);
                waitUntil(() -> lookup.tenantEntries("t1").size() == 2, "both t1 entries in the store");
                assertThat(lookup.entriesReaching("t1", null, "aad-anna")).containsExactlyInAnyOrder(api, deploy);
                assertThat(lookup.entriesReaching("t1", null, "aad-bob")).containsExactly(api);

                GlossaryTopic.publish(clients, "t1", List.of(), List.of(deploy.storeKey()), Duration.ofSeconds(30));
                waitUntil(() -> lookup.tenantEntries("t1").size() == 1, "the deleted entry gone from the store");
                assertThat(lookup.tenantEntries("t2")).containsExactly(other);
            }

            GlossaryTopic.Snapshot snapshot = GlossaryTopic.read(clients, Duration.ofSeconds(30));
            assertThat(snapshot.tenant("t1")).containsExactly(api);
            assertThat(snapshot.tenant("t2")).containsExactly(other);
            assertThat(snapshot.invalidRecords()).isZero();
        }
    }

    // The global thread applies records asynchronously: wait for the outcome (generous bound), never for a time.
    private static void waitUntil(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not reached within 60 s: " + what);
            }
            Thread.sleep(50);
        }
    }
}
