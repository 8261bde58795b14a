package io.tla.dashboard.feed;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.tla.dashboard.store.DashboardStore;
import io.tla.dashboard.store.StoredEvent;
import io.tla.platform.kafka.KafkaClients;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
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
 * <p>When the store fails, the consumer rewinds to the batch's first offsets and retries with exponential backoff,
 * committing nothing: no event is lost, however long the outage lasts. The thread survives every error.
 */
public final class TelemetryConsumer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TelemetryConsumer.class);

    public static final String CLIENT_ID = "tla-dashboard-feed";

    private static final Duration POLL_TIMEOUT = Duration.ofMillis(250);
    private static final Duration INITIAL_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final String topic;
    private final Map<String, Object> properties;
    private final DashboardStore store;
    private final MeterRegistry registry;
    private final Counter storedCounter;
    private final Counter duplicateCounter;
    private final Counter rejectedCounter;
    private final Counter storeFailureCounter;
    private final AtomicLong stored = new AtomicLong();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final Thread thread;

    private volatile boolean joined;
    private volatile String storeError;
    private volatile String fatalError;
    private volatile Long lagRecords;

    public TelemetryConsumer(String topic, String consumerGroup, KafkaClients clients, DashboardStore store,
                             MeterRegistry registry) {
        this.topic = topic;
        this.store = store;
        this.registry = registry;
        this.properties = clients.properties(CLIENT_ID);
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, consumerGroup);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Only telemetry of committed pipeline transactions: an aborted attempt's events would count twice.
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        // Bytes in, decoded here: a record that is not valid JSON must not stall poll() in the deserializer.
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        // rows, one per telemetry type: a message.processed record counts as the events it carries
        this.storedCounter = Counter.builder("tla.dashboard.events.stored")
                .description("Telemetry events newly written to the dashboard store").register(registry);
        this.duplicateCounter = Counter.builder("tla.dashboard.events.duplicates")
                .description("Re-delivered telemetry events the store already had").register(registry);
        this.rejectedCounter = Counter.builder("tla.dashboard.events.rejected")
                .description("Telemetry records skipped because they could not be decoded").register(registry);
        this.storeFailureCounter = Counter.builder("tla.dashboard.store.failures")
                .description("Failed writes to the dashboard store (retried, nothing committed)").register(registry);
        this.thread = new Thread(this::run, "tla-dashboard-feed");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** True once the consumer has joined its group (it stays true across later rebalances). */
    public boolean joined() {
        return joined;
    }

    public boolean running() {
        return thread.isAlive();
    }

    /** The last store error while the store is failing, else null. */
    public String storeError() {
        return storeError;
    }

    /** Why the consumer thread ended, if it ended on its own; else null. */
    public String fatalError() {
        return fatalError;
    }

    /**
     * Records on the topic not yet read, summed over the assigned partitions, as of the last poll; null before
     * the first fetch, or when a partition's lag is not known yet.
     */
    public Long lagRecords() {
        return lagRecords;
    }

    /** Events this consumer newly stored (re-deliveries excluded). */
    public long eventsStored() {
        return stored.get();
    }

    private void run() {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties);
             KafkaClientMetrics clientMetrics = new KafkaClientMetrics(consumer)) {
            clientMetrics.bindTo(registry);
            consumer.subscribe(List.of(topic), new Listener());
            Duration backoff = INITIAL_BACKOFF;
            while (stopping.getCount() > 0) {
                try {
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL_TIMEOUT);
                    lagRecords = lag(consumer);
                    if (records.isEmpty()) {
                        continue;
                    }
                    if (process(consumer, records)) {
                        backoff = INITIAL_BACKOFF;
                    } else {
                        pause(backoff);
                        backoff = next(backoff);
                    }
                } catch (CommitFailedException | RebalanceInProgressException e) {
                    // The batch is stored; whoever owns the partitions now re-reads it and the store ignores it.
                    log.warn("event=dashboard_feed_commit_failed topic={} reason={}", topic, e.getClass().getSimpleName());
                } catch (RuntimeException e) {
                    log.error("event=dashboard_feed_error topic={} error={} backoff_ms={}", topic,
                            e.getClass().getName(), backoff.toMillis(), e);
                    pause(backoff);
                    backoff = next(backoff);
                }
            }
            log.info("event=dashboard_feed_stopped topic={} stored={}", topic, stored.get());
        } catch (RuntimeException e) {
            // Only creating the consumer can end up here (bad client configuration): report it, do not retry.
            fatalError = e.getClass().getSimpleName() + ": " + e.getMessage();
            log.error("event=dashboard_feed_failed topic={} error={}", topic, e.getClass().getName(), e);
        }
    }

    /** From the consumer's last fetch (no broker round trip): high watermark (read_committed: LSO) minus position. */
    private static Long lag(KafkaConsumer<byte[], byte[]> consumer) {
        Set<TopicPartition> assigned = consumer.assignment();
        if (assigned.isEmpty()) {
            return null;
        }
        long sum = 0;
        for (TopicPartition partition : assigned) {
            OptionalLong lag = consumer.currentLag(partition);
            if (lag.isEmpty()) {
                return null;
            }
            sum += lag.getAsLong();
        }
        return sum;
    }

    /** Stores and commits one batch; false when the store failed and the batch was rewound for a retry. */
    private boolean process(KafkaConsumer<byte[], byte[]> consumer, ConsumerRecords<byte[], byte[]> records) {
        List<StoredEvent> events = new ArrayList<>(records.count());
        List<Rejected> rejected = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            TelemetryDecoder.Decoded decoded = TelemetryDecoder.decode(record.value());
            if (decoded.ok()) {
                events.addAll(decoded.events());
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
            rewind(consumer, records);
            return false;
        }
        if (storeError != null) {
            log.info("event=dashboard_store_recovered topic={}", topic);
            storeError = null;
        }
        // Counted once durable; duplicates first, so a reader that sees the stored count sees the batch's duplicates.
        duplicateCounter.increment(events.size() - inserted);
        storedCounter.increment(inserted);
        stored.addAndGet(inserted);
        consumer.commitSync(nextOffsets(records));
        // Telemetry is an observation of the pipeline, not replayable business data: a record that cannot be
        // decoded will never decode, and the messages it describes were handled regardless. It is skipped, but
        // never silently: logged with its coordinates and counted.
        for (Rejected r : rejected) {
            rejectedCounter.increment();
            log.warn("event=telemetry_rejected topic={} partition={} offset={} reason={}", r.topic(), r.partition(),
                    r.offset(), r.reason());
        }
        return true;
    }

    private record Rejected(String topic, int partition, long offset, String reason) {
    }

    private static Map<TopicPartition, OffsetAndMetadata> nextOffsets(ConsumerRecords<byte[], byte[]> records) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> list = records.records(partition);
            ConsumerRecord<byte[], byte[]> last = list.get(list.size() - 1);
            offsets.put(partition, new OffsetAndMetadata(last.offset() + 1, last.leaderEpoch(), ""));
        }
        return offsets;
    }

    /** Seeks back to the batch's first offsets so the next poll returns it again. */
    private static void rewind(KafkaConsumer<byte[], byte[]> consumer, ConsumerRecords<byte[], byte[]> records) {
        Set<TopicPartition> assigned = consumer.assignment();
        for (TopicPartition partition : records.partitions()) {
            // A partition lost meanwhile resumes from its committed offset on its new owner.
            if (assigned.contains(partition)) {
                consumer.seek(partition, records.records(partition).get(0).offset());
            }
        }
    }

    private void pause(Duration backoff) {
        try {
            stopping.await(backoff.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping.countDown();
        }
    }

    private static Duration next(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
    }

    /** Stops after the batch in hand is stored and committed; waits for the thread to end. */
    @Override
    public void close() {
        stopping.countDown();
        if (thread.isAlive() && Thread.currentThread() != thread) {
            try {
                thread.join(Duration.ofSeconds(30).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                log.warn("event=dashboard_feed_stop_timeout topic={}", topic);
            }
        }
    }

    private final class Listener implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            joined = true;
            log.info("event=dashboard_feed_assigned topic={} partitions={}", topic, partitions.size());
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // Nothing to flush: every batch is committed before the next poll.
        }
    }
}
