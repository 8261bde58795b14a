package io.tla.topology.tone;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.schemas.Json;
import io.tla.schemas.JsonSerde;
import io.tla.schemas.ToneTemplateEntry;
import io.tla.schemas.Topics;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The global store {@code tone-template-store}: every instance holds the whole of {@code tla.tones.v1} (a few
 * records per tenant), so the model stage of any task can look up any tenant's template without a repartition.
 * The compacted topic is the store's changelog (logging disabled); the updater below applies each record, on
 * restore too.
 *
 * <p>The updater reads raw bytes and parses them itself: a record that is not a valid {@link ToneTemplateEntry}
 * (bad JSON, a control character in the text, a {@code /} in an id), or whose key is not the entry's
 * {@link ToneTemplateEntry#storeKey()}, is skipped with a warning naming where it is (never its text) and leaves
 * the stored template as it was: a bad record never stops the global thread. The length limit is not checked
 * here but where a template is used ({@link ToneTemplates}), so a changed {@code tone.template-max-chars} applies
 * without re-reading the topic.
 *
 * <p>Gauge {@code tla.tone.templates}: templates in the store.
 */
public final class ToneTemplateStore {

    public static final String STORE = "tone-template-store";
    /** Name of the global source: Kafka Streams names the nodes {@code read-tone-templates-source} and {@code read-tone-templates}. */
    public static final String SOURCE = "read-tone-templates";
    public static final String TEMPLATES_METER = "tla.tone.templates";

    private static final Logger log = LoggerFactory.getLogger(ToneTemplateStore.class);

    private ToneTemplateStore() {
    }

    /** Adds the global store and its updater to a topology under construction, with the gauge on {@code meters}. */
    public static void addGlobalStore(StreamsBuilder builder, MeterRegistry meters) {
        AtomicInteger templates = new AtomicInteger();
        Gauge.builder(TEMPLATES_METER, templates, AtomicInteger::get).strongReference(true)
                .description("Tone templates in this instance's global store (tla.tones.v1)").register(meters);
        builder.addGlobalStore(storeBuilder(), Topics.TONES.name(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName(SOURCE), () -> new Updater(templates));
    }

    static StoreBuilder<KeyValueStore<String, ToneTemplateEntry>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(),
                        new JsonSerde<>(ToneTemplateEntry.class))
                .withLoggingDisabled();
    }

    /** Applies one record of {@code tla.tones.v1}: put, delete on a null value, skip when invalid. */
    static final class Updater implements Processor<String, byte[], Void, Void> {

        private final AtomicInteger templates;
        private ProcessorContext<Void, Void> context;
        private KeyValueStore<String, ToneTemplateEntry> store;

        Updater(AtomicInteger templates) {
            this.templates = templates;
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            this.context = context;
            this.store = context.getStateStore(STORE);
            // what a restarted instance kept on disk; the records read from here on adjust it
            int kept = 0;
            try (KeyValueIterator<String, ToneTemplateEntry> all = store.all()) {
                while (all.hasNext()) {
                    all.next();
                    kept++;
                }
            }
            templates.set(kept);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            String key = record.key();
            if (key == null) {
                skip("null_key", null);
                return;
            }
            if (record.value() == null) {
                if (store.delete(key) != null) {
                    templates.decrementAndGet();
                }
                return;
            }
            ToneTemplateEntry entry;
            try {
                entry = Json.mapper().readValue(record.value(), ToneTemplateEntry.class);
            } catch (Exception e) {
                skip("invalid_value", e);
                return;
            }
            if (!key.equals(entry.storeKey())) {
                skip("key_mismatch", null);
                return;
            }
            if (store.get(key) == null) {
                templates.incrementAndGet();
            }
            store.put(key, entry);
        }

        // Where the record is, never its content: a template is the tenant's text.
        private void skip(String reason, Exception error) {
            RecordMetadata where = context.recordMetadata().orElse(null);
            log.warn("event=tone_template_record_skipped reason={} topic={} partition={} offset={} error={}", reason,
                    where == null ? null : where.topic(), where == null ? null : where.partition(),
                    where == null ? null : where.offset(), error == null ? null : error.getClass().getName());
        }
    }
}
