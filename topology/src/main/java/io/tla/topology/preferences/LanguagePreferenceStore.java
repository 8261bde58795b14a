package io.tla.topology.preferences;

import io.tla.schemas.Json;
import io.tla.schemas.JsonSerde;
import io.tla.schemas.LanguagePreference;
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
 * The global store {@value #STORE}: every instance holds the whole of {@code tla.languages.v1}, so the task that
 * owns a tenant finds any of its channels' and people's languages without a repartition. The compacted topic is
 * the store's changelog (logging disabled); the updater applies each record, on restore too.
 *
 * <p>The updater reads raw bytes and parses them itself: a record that is not a valid {@link LanguagePreference},
 * or whose key is not its {@link LanguagePreference#storeKey()}, is skipped with a warning and leaves the stored
 * choice as it was, so a bad record never stops the global thread. It also keeps the counts behind the gauge
 * {@code tla.language.preferences} and the per-tenant bound ({@link LanguagePreferenceState.Counts}).
 */
public final class LanguagePreferenceStore {

    public static final String STORE = "language-preferences-store";
    /**
     * Name given to the global source: Kafka Streams names the source node {@code read-language-preferences-source}
     * and the updater processor {@code read-language-preferences}.
     */
    public static final String SOURCE = "read-language-preferences";

    private static final Logger log = LoggerFactory.getLogger(LanguagePreferenceStore.class);

    private LanguagePreferenceStore() {
    }

    /** Adds the global store and its updater, which keeps {@code state}'s counts, to a topology under construction. */
    public static void addGlobalStore(StreamsBuilder builder, LanguagePreferenceState state) {
        builder.addGlobalStore(storeBuilder(), Topics.LANGUAGES.name(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName(SOURCE),
                () -> new Updater(state.counts()));
    }

    public static StoreBuilder<KeyValueStore<String, LanguagePreference>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(),
                        new JsonSerde<>(LanguagePreference.class))
                .withLoggingDisabled();
    }

    /** Applies one record of {@code tla.languages.v1}: put, delete on a null value, skip when invalid. */
    static final class Updater implements Processor<String, byte[], Void, Void> {

        private final LanguagePreferenceState.Counts counts;
        private ProcessorContext<Void, Void> context;
        private KeyValueStore<String, LanguagePreference> store;

        Updater(LanguagePreferenceState.Counts counts) {
            this.counts = counts;
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            this.context = context;
            this.store = context.getStateStore(STORE);
            // the store is restored by now (from its local checkpoint and the topic): count what it holds
            counts.recount(store);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            String key = record.key();
            if (key == null) {
                skip("null_key", null);
                return;
            }
            LanguagePreference before = store.get(key);
            if (record.value() == null) {
                store.delete(key);
                counts.replaced(before, null);
                return;
            }
            LanguagePreference preference;
            try {
                preference = Json.mapper().readValue(record.value(), LanguagePreference.class);
            } catch (Exception e) {
                skip("invalid_value", e);
                return;
            }
            if (!key.equals(preference.storeKey())) {
                skip("key_mismatch", null);
                return;
            }
            store.put(key, preference);
            counts.replaced(before, preference);
        }

        // Logs where the record is, never its content.
        private void skip(String reason, Exception error) {
            RecordMetadata where = context.recordMetadata().orElse(null);
            log.warn("event=language_preference_skipped reason={} topic={} partition={} offset={} error={}", reason,
                    where == null ? null : where.topic(), where == null ? null : where.partition(),
                    where == null ? null : where.offset(), error == null ? null : error.getClass().getName());
        }
    }
}
