package io.tla.platform.kafka;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every partition of one topic on its own thread, without a consumer group: each process that follows the
 * topic sees all of it (what a group would split). Starts at the end, or at the first record at or after a given
 * time; partitions added later, and a topic created after the follower started, are read from their beginning. Records are handed over committed
 * ({@code read_committed}) and in partition order; a failing handler is logged and does not stop the thread.
 */
public final class TopicFollower implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TopicFollower.class);
    private static final Duration PARTITION_REFRESH = Duration.ofSeconds(30);
    /** The start for reading a topic whole: every record's timestamp is at or after it. */
    public static final Instant FROM_BEGINNING = Instant.EPOCH;
    private static final Duration DEFAULT_BATCH_WAIT = Duration.ofMillis(100);

    private final String topic;
    private final Instant startAt;
    private final Consumer<ConsumerRecords<byte[], byte[]>> handler;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private volatile boolean running;
    private volatile boolean started;
    private volatile long records;
    private boolean topicWasMissing;

    /**
     * @param startAt null to follow from the end; else the first record at or after this time
     * @param handler called on the follower's thread for each non-empty poll
     */
    public TopicFollower(KafkaClients clients, String clientId, String topic, Instant startAt,
                         Consumer<ConsumerRecords<byte[], byte[]>> handler) {
        this(clients, clientId, topic, startAt, DEFAULT_BATCH_WAIT, handler);
    }

    /**
     * @param batchWait how long the broker may hold a fetch to gather more records: a record arriving alone waits
     *                  up to this long, and a busy topic is read in fewer, larger fetches (less CPU per record)
     */
    public TopicFollower(KafkaClients clients, String clientId, String topic, Instant startAt, Duration batchWait,
                         Consumer<ConsumerRecords<byte[], byte[]>> handler) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.startAt = startAt;
        this.handler = Objects.requireNonNull(handler, "handler");
        Map<String, Object> props = clients.properties(clientId);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) batchWait.toMillis());
        props.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1 << 20);
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, clientId + "-follower");
        thread.setDaemon(true);
    }

    public synchronized TopicFollower start() {
        started = true;
        running = true;
        thread.start();
        return this;
    }

    /** Whether the follower has positioned itself on every partition (and read up to where it started). */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean isCaughtUp() {
        return caughtUp.getCount() == 0;
    }

    /** Records read so far. */
    public long records() {
        return records;
    }

    private void run() {
        Set<TopicPartition> assigned = new HashSet<>();
        Map<TopicPartition, Long> startEnd = Map.of();
        long nextRefresh = 0;
        while (running) {
            try {
                if (System.nanoTime() >= nextRefresh) {
                    Map<TopicPartition, Long> addedEnds = refreshPartitions(assigned);
                    if (!addedEnds.isEmpty() && startEnd.isEmpty() && caughtUp.getCount() > 0) {
                        startEnd = addedEnds;
                    }
                    // until the topic exists, look again soon
                    nextRefresh = System.nanoTime()
                            + (assigned.isEmpty() ? Duration.ofSeconds(1) : PARTITION_REFRESH).toNanos();
                }
                if (assigned.isEmpty()) {
                    sleep(500);
                    continue;
                }
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(200));
                if (!batch.isEmpty()) {
                    records += batch.count();
                    try {
                        handler.accept(batch);
                    } catch (RuntimeException e) {
                        log.error("event=topic_follower_handler_failed topic={} error={}", topic, e.toString(), e);
                    }
                }
                if (caughtUp.getCount() > 0 && reached(startEnd)) {
                    caughtUp.countDown();
                    log.info("event=topic_follower_caught_up topic={} partitions={}", topic, assigned.size());
                }
            } catch (WakeupException e) {
                // close() asked us to stop
            } catch (RuntimeException e) {
                log.warn("event=topic_follower_error topic={} error={}", topic, e.toString());
                sleep(1_000);
            }
        }
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }

    private boolean reached(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey(), Duration.ofSeconds(10)) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Assigns partitions not yet followed, the first ones at the start position, later ones from their beginning,
     * and returns their end offsets as they were before positioning. Every position is an explicit offset: a lazy
     * {@code seekToEnd} of an empty collection moves every assigned partition to its end (KafkaConsumer's
     * contract), which once skipped whole topics read from the beginning. Partitions count as followed only once
     * positioned, so a failure half-way is retried whole rather than leaving them without a caught-up target.
     */
    private Map<TopicPartition, Long> refreshPartitions(Set<TopicPartition> assigned) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
        Set<TopicPartition> added = new HashSet<>();
        for (PartitionInfo info : infos == null ? List.<PartitionInfo>of() : infos) {
            TopicPartition tp = new TopicPartition(topic, info.partition());
            if (!assigned.contains(tp)) {
                added.add(tp);
            }
        }
        if (added.isEmpty()) {
            topicWasMissing |= assigned.isEmpty();
            return Map.of();
        }
        // a topic that appeared after the follower started holds only newer records: read it all
        boolean first = assigned.isEmpty() && !topicWasMissing;
        // taken before the start is looked up: whatever lies beyond arrived after it, and is read
        Map<TopicPartition, Long> ends = consumer.endOffsets(added, Duration.ofSeconds(10));
        Set<TopicPartition> all = new HashSet<>(assigned);
        all.addAll(added);
        consumer.assign(new ArrayList<>(all));
        Map<TopicPartition, Long> starts = new HashMap<>();
        if (!first) {
            consumer.seekToBeginning(added); // never empty here
        } else if (startAt == null) {
            starts.putAll(ends);
        } else {
            Map<TopicPartition, Long> query = new HashMap<>();
            added.forEach(tp -> query.put(tp, startAt.toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, Duration.ofSeconds(10));
            for (TopicPartition tp : added) {
                OffsetAndTimestamp at = found.get(tp);
                starts.put(tp, at == null ? ends.get(tp) : at.offset()); // none that recent: from the end
            }
        }
        starts.forEach(consumer::seek);
        assigned.addAll(added);
        log.info("event=topic_follower_assigned topic={} partitions={} start={} offsets={} ends={}", topic,
                assigned.size(), first ? (startAt == null ? "end" : startAt.toString()) : "beginning",
                first ? starts : "beginning", ends);
        return ends;
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @Override
    public synchronized void close() {
        if (!started) {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            return;
        }
        running = false;
        consumer.wakeup();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
