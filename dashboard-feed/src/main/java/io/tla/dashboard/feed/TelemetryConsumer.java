package io.tla.dashboard.feed;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.tla.dashboard.store.DashboardStore;
import io.tla.dashboard.store.ModelQuality;
import io.tla.dashboard.store.StoredEvent;
import io.tla.platform.kafka.ConsumerLoop;
import io.tla.platform.kafka.KafkaClients;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code tla.telemetry.v1} into the {@link DashboardStore} on its own thread; the topology's one
 * {@code message.processed} event per message is stored as the per-type rows it carries, the same rows (ids
 * included) its stages' separate events were stored as before it. Each poll's batch is written
 * in one transaction and only then are its offsets committed, so every committed offset stands for rows that are
 * already durable; a crash in between re-delivers the batch, which the store's idempotent insert absorbs.
 *
 * <p>When the store fails, the consumer rewinds to the committed offsets and retries with exponential backoff,
 * committing nothing: no event is lost, however long the outage lasts. The thread survives every error; the
 * poll, commit, rewind and back-off are {@link ConsumerLoop}'s, shared with the reply connectors.
 */
public final class TelemetryConsumer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TelemetryConsumer.class);

    public static final String CLIENT_ID = "tla-dashboard-feed";

    private static final Duration POLL_TIMEOUT = Duration.ofMillis(250);
    private static final Duration INITIAL_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final String topic;
    private final DashboardStore store;
    private final Counter storedCounter;
    private final Counter duplicateCounter;
    private final Counter rejectedCounter;
    private final Counter storeFailureCounter;
    private final Counter attemptsSkippedCounter;
    private final AtomicLong stored = new AtomicLong();
    private final ConsumerLoop loop;

    private volatile String storeError;

    public TelemetryConsumer(String topic, String consumerGroup, KafkaClients clients, DashboardStore store,
                             MeterRegistry registry) {
        this.topic = topic;
        this.store = store;
        Map<String, Object> properties = clients.properties(CLIENT_ID);
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, consumerGroup);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Only telemetry of committed pipeline transactions: an aborted attempt's events would count twice.
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // rows, one per telemetry type: a message.processed record counts as the events it carries
        this.storedCounter = Counter.builder("tla.dashboard.events.stored")
                .description("Telemetry events newly written to the dashboard store").register(registry);
        this.duplicateCounter = Counter.builder("tla.dashboard.events.duplicates")
                .description("Re-delivered telemetry events the store already had").register(registry);
        this.rejectedCounter = Counter.builder("tla.dashboard.events.rejected")
                .description("Telemetry records skipped because they could not be decoded").register(registry);
        this.storeFailureCounter = Counter.builder("tla.dashboard.store.failures")
                .description("Failed writes to the dashboard store (retried, nothing committed)").register(registry);
        this.attemptsSkippedCounter = Counter.builder("tla.dashboard.quality.attempts.skipped")
                .description("Verification attempts of model.call events not counted: malformed, or beyond the "
                        + ModelQuality.MAX_ATTEMPTS + " read per event").register(registry);
        // Bytes in, decoded here: a record that is not valid JSON must not stall poll() in the deserializer.
        this.loop = new ConsumerLoop(new ConsumerLoop.Settings("tla-dashboard-feed", POLL_TIMEOUT, INITIAL_BACKOFF,
                MAX_BACKOFF, Integer.MAX_VALUE), List.of(topic),
                () -> new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer()),
                new ConsumerLoop.Handler() {
                    @Override
                    public void handle(ConsumerRecords<byte[], byte[]> records, ConsumerLoop.Batch batch)
                            throws Exception {
                        store(records);
                    }

                    @Override
                    public void assigned(Collection<TopicPartition> partitions) {
                        log.info("event=dashboard_feed_assigned topic={} partitions={}", topic, partitions.size());
                    }
                }, registry);
    }

    public void start() {
        loop.start();
    }

    /** True once the consumer has joined its group (it stays true across later rebalances). */
    public boolean joined() {
        return loop.state().joined();
    }

    public boolean running() {
        return loop.alive();
    }

    /** The last store error while the store is failing, else null. */
    public String storeError() {
        return storeError;
    }

    /** Why the consumer thread ended, if it ended on its own; else null. */
    public String fatalError() {
        return loop.state().died();
    }

    /**
     * Records on the topic not yet read, summed over the assigned partitions, as of the last poll; null before
     * the first fetch, or when a partition's lag is not known yet.
     */
    public Long lagRecords() {
        return loop.state().lagRecords();
    }

    /** Events this consumer newly stored (re-deliveries excluded). */
    public long eventsStored() {
        return stored.get();
    }

    /**
     * Stores one batch in one transaction; the loop commits its offsets afterwards. A store failure throws, and the
     * loop reads the batch again from the committed offsets after a back-off.
     */
    private void store(ConsumerRecords<byte[], byte[]> records) throws Exception {
        List<StoredEvent> events = new ArrayList<>(records.count());
        int attemptsSkipped = 0;
        List<Rejected> rejected = new ArrayList<>();
        List<Rejected> partlyRead = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            TelemetryDecoder.Decoded decoded = TelemetryDecoder.decode(record.value());
            if (decoded.ok()) {
                events.addAll(decoded.events());
                int skipped = decoded.events().stream().mapToInt(e -> e.quality() == null ? 0 : e.quality().skipped())
                        .sum();
                if (skipped > 0) {
                    partlyRead.add(new Rejected(record.topic(), record.partition(), record.offset(),
                            skipped + " verification attempts skipped"));
                    attemptsSkipped += skipped;
                }
            } else {
                rejected.add(new Rejected(record.topic(), record.partition(), record.offset(), decoded.reason()));
            }
        }
        int inserted;
        try {
            inserted = store.insert(events);
        } catch (Exception e) {
            storeFailureCounter.increment();
            storeError = e.getClass().getSimpleName() + ": " + e.getMessage();
            log.warn("event=dashboard_store_write_failed topic={} events={} error={} action=rewind_and_retry",
                    topic, events.size(), storeError);
            throw e;
        }
        if (storeError != null) {
            log.info("event=dashboard_store_recovered topic={}", topic);
            storeError = null;
        }
        // Counted once durable; duplicates first, so a reader that sees the stored count sees the batch's duplicates.
        duplicateCounter.increment(events.size() - inserted);
        storedCounter.increment(inserted);
        stored.addAndGet(inserted);
        // Telemetry is an observation of the pipeline, not replayable business data: a record that cannot be
        // decoded will never decode, and the messages it describes were handled regardless. It is skipped, but
        // never silently: logged with its coordinates and counted.
        for (Rejected r : rejected) {
            rejectedCounter.increment();
            log.warn("event=telemetry_rejected topic={} partition={} offset={} reason={}", r.topic(), r.partition(),
                    r.offset(), r.reason());
        }
        // The event is stored and counted; only the attempts that could not be read are left out of the
        // verification rollups (the raw attributes keep them).
        attemptsSkippedCounter.increment(attemptsSkipped);
        for (Rejected r : partlyRead) {
            log.warn("event=telemetry_attempts_skipped topic={} partition={} offset={} reason={}", r.topic(),
                    r.partition(), r.offset(), r.reason());
        }
    }

    private record Rejected(String topic, int partition, long offset, String reason) {
    }

    /** Stops after the batch in hand is stored and committed; waits for the thread to end. */
    @Override
    public void close() {
        loop.close();
    }
}
