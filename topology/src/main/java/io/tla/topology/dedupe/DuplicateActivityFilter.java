package io.tla.topology.dedupe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.schemas.NormalizedMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Teams retries an outgoing webhook when our answer is slow, so the same activity can arrive twice. This filter
 * passes the first delivery of an activity id per tenant and drops repeats within the window (24 h by contract).
 * Keyed by tenant, like the budget guard, so both deliveries meet in the same task whatever their conversation.
 *
 * <p>The store maps tenant and activity id to the first delivery's timestamp; a wall-clock punctuator deletes
 * entries older than the window. (A windowed store would expire entries by itself, but under exactly-once in
 * Kafka 4.4 it is re-initialised from its changelog on every restart for want of a checkpoint.)
 */
public final class DuplicateActivityFilter implements Processor<String, NormalizedMessage, String, NormalizedMessage> {

    public static final String NAME = "drop-duplicate-activities";
    public static final String SEEN_ACTIVITIES_STORE = "seen-activities-store";

    private static final Logger log = LoggerFactory.getLogger(DuplicateActivityFilter.class);
    private static final Duration PURGE_INTERVAL = Duration.ofMinutes(10);

    private final Duration window;
    private final Counter duplicates;
    private KeyValueStore<String, Long> seen;
    private ProcessorContext<String, NormalizedMessage> context;

    public DuplicateActivityFilter(Duration window, MeterRegistry meters) {
        this.window = window;
        this.duplicates = Counter.builder("tla.messages.duplicates")
                .description("Repeated deliveries of an activity dropped before processing").register(meters);
    }

    public static StoreBuilder<KeyValueStore<String, Long>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SEEN_ACTIVITIES_STORE), Serdes.String(),
                Serdes.Long()).withCachingEnabled();
    }

    @Override
    public void init(ProcessorContext<String, NormalizedMessage> context) {
        this.context = context;
        this.seen = context.getStateStore(SEEN_ACTIVITIES_STORE);
        context.schedule(PURGE_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::purgeOlderThanWindow);
    }

    @Override
    public void process(Record<String, NormalizedMessage> record) {
        NormalizedMessage message = record.value();
        String key = message.tenantId() + "|" + message.messageId();
        Long firstSeen = seen.get(key);
        if (firstSeen != null && Math.abs(record.timestamp() - firstSeen) <= window.toMillis()) {
            duplicates.increment();
            log.info("event=duplicate_activity_dropped tenant={} conversation={} message_id={}",
                    message.tenantId(), message.conversationId(), message.messageId());
            return;
        }
        seen.put(key, record.timestamp());
        context.forward(record);
    }

    void purgeOlderThanWindow(long now) {
        List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, Long> all = seen.all()) {
            while (all.hasNext()) {
                KeyValue<String, Long> entry = all.next();
                if (now - entry.value > window.toMillis()) {
                    expired.add(entry.key);
                }
            }
        }
        expired.forEach(seen::delete);
    }
}
