package io.tla.topology.glossary;

import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.Json;
import io.tla.schemas.JsonSerde;
import io.tla.schemas.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The global store {@code glossary-store}: every instance holds the whole of {@code tla.glossary.v1}, so any
 * task can look up any tenant's glossary without a repartition. The compacted topic is the store's changelog
 * (logging disabled); the updater below applies each record, on restore too, so a restarted instance builds
 * exactly the same store.
 *
 * <p>The updater reads raw bytes and parses them itself: a record that is not a valid {@link GlossaryEntry}, or
 * whose key is not the entry's {@link GlossaryEntry#storeKey()}, is skipped with a warning and leaves the stored
 * entry as it was. A bad record therefore never stops the global thread, and the key layout
 * {@code tenant|scope|scopeId|term|language} that {@link GlossaryLookup}'s prefix scans rely on always holds.
 */
public final class GlossaryStore {

    public static final String STORE = "glossary-store";
    /**
     * Name given to the global source: Kafka Streams names the source node {@code read-glossary-source} and the
     * updater processor {@code read-glossary}.
     */
    public static final String SOURCE = "read-glossary";

    private static final Logger log = LoggerFactory.getLogger(GlossaryStore.class);

    private GlossaryStore() {
    }

    /** Adds the global store and its updater to a topology under construction. */
    public static void addGlobalStore(StreamsBuilder builder) {
        builder.addGlobalStore(storeBuilder(), Topics.GLOSSARY.name(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName(SOURCE), Updater::new);
    }

    static StoreBuilder<KeyValueStore<String, GlossaryEntry>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(),
                        new JsonSerde<>(GlossaryEntry.class))
                .withLoggingDisabled();
    }

    /** Applies one record of {@code tla.glossary.v1}: put, delete on a null value, skip when invalid. */
    static final class Updater implements Processor<String, byte[], Void, Void> {

        private ProcessorContext<Void, Void> context;
        private KeyValueStore<String, GlossaryEntry> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            this.context = context;
            this.store = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            String key = record.key();
            if (key == null) {
                skip("null_key", null);
                return;
            }
            if (record.value() == null) {
                store.delete(key);
                return;
            }
            GlossaryEntry entry;
            try {
                entry = Json.mapper().readValue(record.value(), GlossaryEntry.class);
            } catch (Exception e) {
                skip("invalid_value", e);
                return;
            }
            if (!key.equals(entry.storeKey())) {
                skip("key_mismatch", null);
                return;
            }
            store.put(key, entry);
        }

        // Logs where the record is, never its content: terms are the tenant's data.
        private void skip(String reason, Exception error) {
            RecordMetadata where = context.recordMetadata().orElse(null);
            log.warn("event=glossary_record_skipped reason={} topic={} partition={} offset={} error={}", reason,
                    where == null ? null : where.topic(), where == null ? null : where.partition(),
                    where == null ? null : where.offset(), error == null ? null : error.getClass().getName());
        }
    }
}
