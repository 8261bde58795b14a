package io.tla.topology.dedupe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.schemas.NormalizedMessage;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Teams retries an outgoing webhook when our answer is slow, so the same activity can arrive twice. This filter
 * passes the first delivery of an activity id per tenant and drops repeats within the window (24 h by contract).
 * Keyed by tenant, like the budget guard, so both deliveries meet in the same task whatever their conversation.
 * The store is windowed: entries expire with the retention instead of growing forever.
 */
public final class DuplicateActivityFilter implements Processor<String, NormalizedMessage, String, NormalizedMessage> {

    public static final String NAME = "drop-duplicate-activities";
    public static final String SEEN_ACTIVITIES_STORE = "seen-activities-store";

    private static final Logger log = LoggerFactory.getLogger(DuplicateActivityFilter.class);

    private final Duration window;
    private final Counter duplicates;
    private WindowStore<String, Long> seen;
    private ProcessorContext<String, NormalizedMessage> context;

    public DuplicateActivityFilter(Duration window, MeterRegistry meters) {
        this.window = window;
        this.duplicates = Counter.builder("tla.messages.duplicates")
                .description("Repeated deliveries of an activity dropped before processing").register(meters);
    }

    public static StoreBuilder<WindowStore<String, Long>> storeBuilder(Duration window) {
        // retention = window + one window of slack for out-of-order timestamps
        return Stores.windowStoreBuilder(
                Stores.persistentWindowStore(SEEN_ACTIVITIES_STORE, window.multipliedBy(2), window, false),
                Serdes.String(), Serdes.Long());
    }

    @Override
    public void init(ProcessorContext<String, NormalizedMessage> context) {
        this.context = context;
        this.seen = context.getStateStore(SEEN_ACTIVITIES_STORE);
    }

    @Override
    public void process(Record<String, NormalizedMessage> record) {
        NormalizedMessage message = record.value();
        String key = message.tenantId() + "|" + message.messageId();
        long at = record.timestamp();
        try (WindowStoreIterator<Long> earlier = seen.fetch(key, at - window.toMillis(), at + window.toMillis())) {
            if (earlier.hasNext()) {
                duplicates.increment();
                log.info("event=duplicate_activity_dropped tenant={} conversation={} message_id={}",
                        message.tenantId(), message.conversationId(), message.messageId());
                return;
            }
        }
        seen.put(key, at, at);
        context.forward(record);
    }
}
