package io.tla.bench;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.tla.platform.kafka.KafkaClients;
import io.tla.schemas.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Watches a topic with a {@code read_committed} consumer, so a record counts only once its transaction has
 * committed, and notes for each benchmark message when its output was first seen ({@link System#nanoTime()}).
 * It is positioned at the end of every partition when created: create it before the phase it measures starts.
 * Only the id field of each value is parsed (streaming, top level), to keep the watcher's own CPU cost low.
 */
public final class CommittedRecords implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String idField;
    private final SyntheticTraffic traffic;
    private final long[] seenNanos;
    private final AtomicInteger seen = new AtomicInteger();
    private final AtomicLong firstSeenNanos = new AtomicLong(-1);
    private final AtomicLong lastSeenNanos = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong foreign = new AtomicLong();
    private final Map<String, LongAdder> kinds = new ConcurrentHashMap<>();
    private final Thread poller;
    private volatile boolean running = true;
    private volatile Throwable failure;

    /**
     * @param topic    the topic to watch
     * @param idField  the top-level field naming the benchmark message ({@code replyToId}, {@code messageId})
     * @param traffic  maps ids back to message indexes
     * @param messages how many messages the phase sends
     */
    public CommittedRecords(KafkaClients clients, String topic, String idField, SyntheticTraffic traffic, int messages) {
        this.idField = idField;
        this.traffic = traffic;
        this.seenNanos = new long[messages];
        Arrays.fill(seenNanos, -1);
        Map<String, Object> props = clients.properties("tla-bench-watch-" + topic);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve now: later records are the phase's
        this.poller = new Thread(this::poll, "tla-bench-watch-" + topic);
        poller.setDaemon(true);
        poller.start();
    }

    private void poll() {
        try {
            while (running) {
                var records = consumer.poll(Duration.ofMillis(100));
                long now = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    note(record.value(), now);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (Throwable e) {
            failure = e;
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void note(byte[] value, long now) {
        String[] fields = topLevelTexts(value, idField, "kind");
        int index = traffic.indexOf(fields[0]);
        if (index < 0 || index >= seenNanos.length) {
            foreign.incrementAndGet();
            return;
        }
        if (seenNanos[index] >= 0) {
            duplicates.incrementAndGet();
            return;
        }
        seenNanos[index] = now;
        if (fields[1] != null) {
            kinds.computeIfAbsent(fields[1], k -> new LongAdder()).increment();
        }
        firstSeenNanos.compareAndSet(-1, now);
        lastSeenNanos.set(now);
        seen.incrementAndGet();
    }

    /** Waits until every message has its record, the deadline passes or {@code stop} says so; true if complete. */
    public boolean awaitAll(long deadlineNanos, BooleanSupplier stop) throws InterruptedException {
        while (seen.get() < seenNanos.length) {
            if (failure != null) {
                throw new IllegalStateException("watching committed records failed: " + failure, failure);
            }
            if (System.nanoTime() > deadlineNanos || stop.getAsBoolean()) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    public int seen() {
        return seen.get();
    }

    /** When message {@code index}'s record was first seen, or -1. Read after {@link #awaitAll}. */
    public long seenNanos(int index) {
        return seenNanos[index];
    }

    /** When the first message's record was seen, or -1. */
    public long firstSeenNanos() {
        return firstSeenNanos.get();
    }

    public long lastSeenNanos() {
        return lastSeenNanos.get();
    }

    public long duplicates() {
        return duplicates.get();
    }

    /** Records of the topic that belong to no message of this phase. */
    public long foreign() {
        return foreign.get();
    }

    /** Counts by the {@code kind} field (replies), sorted by kind. */
    public Map<String, Long> kinds() {
        Map<String, Long> counts = new TreeMap<>();
        kinds.forEach((kind, count) -> counts.put(kind, count.sum()));
        return counts;
    }

    @Override
    public void close() throws InterruptedException {
        if (!running) {
            return;
        }
        running = false;
        consumer.wakeup();
        poller.join(5_000);
    }

    /** The string values of the named top-level fields (null where absent or not a string). */
    static String[] topLevelTexts(byte[] json, String... names) {
        String[] values = new String[names.length];
        try (JsonParser parser = Json.mapper().getFactory().createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return values;
            }
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken valueToken = parser.nextToken();
                int slot = -1;
                for (int i = 0; i < names.length; i++) {
                    if (names[i].equals(name)) {
                        slot = i;
                    }
                }
                if (slot >= 0 && valueToken == JsonToken.VALUE_STRING) {
                    values[slot] = parser.getText();
                } else {
                    parser.skipChildren();
                }
            }
            return values;
        } catch (IOException e) {
            return values;
        }
    }
}
