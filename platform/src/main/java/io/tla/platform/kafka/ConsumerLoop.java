package io.tla.platform.kafka;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer on its own thread, the loop every at-least-once reader of the product shares: poll, hand the batch
 * to a {@link Handler}, commit what is done, and when the handler fails, rewind to the committed offsets and try
 * again after a growing back-off. Nothing is committed that the handler has not finished, so a crash, a failure or
 * a rebalance re-reads rather than loses; the thread survives every error but a broken client configuration.
 *
 * <p>A handler that finishes its records inside {@link Handler#handle} needs nothing more (the dashboard feed). A
 * handler may also {@linkplain Batch#defer defer} records and finish them later on other threads (the reply
 * connector delivers each conversation on its own): a partition's committed offset then stops at its oldest
 * unfinished record, the records after it stay uncommitted until it is done, and a partition with
 * {@code maxPendingPerPartition} unfinished records is paused until half of them are done, so what the handler
 * holds in memory is bounded. A deferred record read again after a rewind is not handed over a second time.
 */
public final class ConsumerLoop implements AutoCloseable {

    /** What the loop drives. Every method runs on the loop's thread. */
    public interface Handler {
        /**
         * Handles one batch. Records not {@linkplain Batch#defer deferred} count as done when this returns; an
         * exception fails the batch, which is read again from the committed offsets after a back-off.
         */
        void handle(ConsumerRecords<byte[], byte[]> records, Batch batch) throws Exception;

        /** Partitions this instance now owns, before their first records are handed over. */
        default void assigned(Collection<TopicPartition> partitions) {
        }

        /**
         * Partitions this instance gives up in a rebalance. The handler must stop its deferred work on them before
         * returning (finishing what cannot be interrupted); the loop then commits what is done and forgets the rest,
         * which the next owner reads again.
         */
        default void revoked(Collection<TopicPartition> partitions) {
            lost(partitions);
        }

        /** Partitions this instance lost without a chance to commit; their deferred work must be dropped. */
        default void lost(Collection<TopicPartition> partitions) {
        }

        /** After a failed batch, before its records are read again. */
        default void failed(Exception error) {
        }

        /** The loop is stopping: finish or drop deferred work; what is done afterwards is committed once more. */
        default void stopping() {
        }
    }

    /** The batch being handed over. */
    public interface Batch {
        /** Takes {@code record} out of the batch's completion: its offset is committed only after {@link Ticket#done}. */
        Ticket defer(ConsumerRecord<byte[], byte[]> record);
    }

    /** A deferred record; {@link #done} may be called from any thread, more than once. */
    public interface Ticket {
        void done();
    }

    /** How the loop reads and backs off. */
    public record Settings(String name, Duration pollTimeout, Duration initialBackoff, Duration maxBackoff,
                           int maxPendingPerPartition) {
        public Settings {
            Objects.requireNonNull(name, "name");
            if (maxPendingPerPartition < 2) {
                throw new IllegalArgumentException("maxPendingPerPartition must be at least 2");
            }
        }
    }

    /** What a health check or diagnostics page shows about the loop. */
    public record State(boolean started, boolean joined, boolean stopped, String died, int consecutiveFailures,
                        String lastFailure, Long lagRecords) {
    }

    private static final Logger log = LoggerFactory.getLogger(ConsumerLoop.class);
    /**
     * Failures in a row logged as warnings before they are errors (with the stack trace): a store restarting or a
     * broker moving a leader is retried, and is an error only if it lasts. Reply sinks count per delivery the same way.
     */
    public static final int ERROR_AFTER_FAILURES = 3;

    private final Settings settings;
    private final List<String> topics;
    private final java.util.function.Supplier<Consumer<byte[], byte[]>> consumerFactory;
    private final Handler handler;
    private final MeterRegistry registry;
    private final Thread thread;
    private final CountDownLatch stopping = new CountDownLatch(1);
    /** Loop thread only, except {@link Progress#pending}, which tickets change from any thread. */
    private final Map<TopicPartition, Progress> progress = new HashMap<>();
    private final Set<TopicPartition> paused = new HashSet<>();

    private volatile Consumer<byte[], byte[]> consumer;
    private volatile boolean started;
    private volatile boolean joined;
    private volatile boolean stopped;
    private volatile String died;
    private volatile int consecutiveFailures;
    private volatile String lastFailure = "";
    private volatile Long lagRecords;
    private boolean needsRewind;

    /** A partition's read position and its unfinished (deferred) offsets. */
    private static final class Progress {
        final ConcurrentSkipListSet<Long> pending = new ConcurrentSkipListSet<>();
        /** The offset after the last record handed over; -1 before the first. */
        long next = -1;
        long committed = -1;

        /** The offset everything before which is done, or -1 when nothing was handed over. */
        long donePosition() {
            if (next < 0) {
                return -1;
            }
            Long oldest = pending.isEmpty() ? null : pending.first();
            return oldest == null || oldest >= next ? next : oldest;
        }
    }

    /**
     * @param consumerFactory makes the consumer on the loop's thread (manual commits: {@code enable.auto.commit}
     *                        must be false); a failure there ends the loop, reported by {@link #state()}
     * @param registry        the consumer's client metrics are bound to it; null for none
     */
    public ConsumerLoop(Settings settings, List<String> topics,
                        java.util.function.Supplier<Consumer<byte[], byte[]>> consumerFactory, Handler handler,
                        MeterRegistry registry) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.topics = List.copyOf(topics);
        this.consumerFactory = Objects.requireNonNull(consumerFactory, "consumerFactory");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.registry = registry;
        this.thread = new Thread(this::run, settings.name());
        this.thread.setDaemon(true);
    }

    public synchronized void start() {
        if (started) {
            throw new IllegalStateException(settings.name() + " is already started");
        }
        started = true;
        thread.start();
    }

    public State state() {
        return new State(started, joined, stopped, died, consecutiveFailures, lastFailure, lagRecords);
    }

    /** Whether the loop's thread is running. */
    public boolean alive() {
        return thread.isAlive();
    }

    /** Whether the loop is still meant to run (false once {@link #close} was called). */
    public boolean running() {
        return stopping.getCount() > 0;
    }

    /** Sleeps up to {@code duration}; returns early (false) when the loop is closed. */
    public boolean pause(Duration duration) {
        try {
            return !stopping.await(duration.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void run() {
        KafkaClientMetrics metrics = null;
        try {
            consumer = consumerFactory.get();
            if (registry != null) {
                metrics = new KafkaClientMetrics(consumer);
                metrics.bindTo(registry);
            }
            consumer.subscribe(topics, new Listener());
            loop();
            handler.stopping();
            commitDone(progress.keySet(), Duration.ofSeconds(5));
        } catch (Throwable t) {
            died = t.getClass().getSimpleName() + ": " + t.getMessage();
            log.error("event=consumer_loop_died loop={} error={}", settings.name(), t.toString(), t);
        } finally {
            if (metrics != null) {
                metrics.close();
            }
            if (consumer != null) {
                try {
                    consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
                } catch (RuntimeException e) {
                    log.warn("event=consumer_loop_close_failed loop={} error={}", settings.name(), e.toString());
                }
            }
            stopped = true;
            log.info("event=consumer_loop_stopped loop={}", settings.name());
        }
    }

    private void loop() {
        Duration backoff = settings.initialBackoff();
        while (running()) {
            try {
                if (needsRewind) {
                    rewindToCommitted();
                }
                pauseBusyPartitions();
                ConsumerRecords<byte[], byte[]> records = consumer.poll(settings.pollTimeout());
                lagRecords = lag();
                if (!records.isEmpty()) {
                    handOver(records);
                }
                commitDone(progress.keySet(), Duration.ofSeconds(30));
                if (consecutiveFailures > 0) {
                    log.info("event=consumer_loop_recovered loop={} after_failures={}", settings.name(),
                            consecutiveFailures);
                }
                consecutiveFailures = 0;
                backoff = settings.initialBackoff();
            } catch (WakeupException e) {
                // close() woke the poll; the while condition decides
            } catch (CommitFailedException | RebalanceInProgressException e) {
                // the partitions moved on: their new owner reads from the last commit, and every handler is
                // idempotent for what it finished since
                log.warn("event=consumer_loop_commit_failed loop={} reason={}", settings.name(),
                        e.getClass().getSimpleName());
            } catch (Exception e) {
                consecutiveFailures++;
                lastFailure = e.getClass().getSimpleName();
                needsRewind = true;
                try {
                    handler.failed(e);
                } catch (RuntimeException inner) {
                    log.warn("event=consumer_loop_failure_hook_failed loop={} error={}", settings.name(),
                            inner.toString());
                }
                if (consecutiveFailures < ERROR_AFTER_FAILURES) {
                    log.warn("event=consumer_loop_batch_failed loop={} attempt={} backoff_ms={} error={}",
                            settings.name(), consecutiveFailures, backoff.toMillis(), e.toString());
                } else {
                    log.error("event=consumer_loop_batch_failed loop={} attempt={} backoff_ms={} error={}",
                            settings.name(), consecutiveFailures, backoff.toMillis(), e.toString(), e);
                }
                pause(backoff);
                Duration doubled = backoff.multipliedBy(2);
                backoff = doubled.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : doubled;
            }
        }
    }

    private void handOver(ConsumerRecords<byte[], byte[]> records) throws Exception {
        Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> fresh = new HashMap<>();
        boolean filtered = false;
        for (TopicPartition tp : records.partitions()) {
            Progress p = progress.computeIfAbsent(tp, k -> new Progress());
            List<ConsumerRecord<byte[], byte[]>> list = records.records(tp);
            List<ConsumerRecord<byte[], byte[]>> kept = new ArrayList<>(list.size());
            for (ConsumerRecord<byte[], byte[]> record : list) {
                if (p.pending.contains(record.offset())) {
                    filtered = true; // still being worked on since before the rewind
                } else {
                    kept.add(record);
                }
            }
            p.next = list.get(list.size() - 1).offset() + 1;
            fresh.put(tp, kept);
        }
        ConsumerRecords<byte[], byte[]> batch = filtered ? new ConsumerRecords<>(fresh, Map.of()) : records;
        handler.handle(batch, record -> {
            Progress p = progress.get(new TopicPartition(record.topic(), record.partition()));
            long offset = record.offset();
            p.pending.add(offset);
            return () -> p.pending.remove(offset);
        });
    }

    /** Commits, for each of {@code partitions}, the position before which everything is done, where it moved. */
    private void commitDone(Collection<TopicPartition> partitions, Duration timeout) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : partitions) {
            Progress p = progress.get(tp);
            if (p != null && p.donePosition() > p.committed) {
                long position = p.donePosition();
                offsets.put(tp, new OffsetAndMetadata(position));
            }
        }
        if (!offsets.isEmpty()) {
            consumer.commitSync(offsets, timeout);
            offsets.forEach((tp, offset) -> progress.get(tp).committed = offset.offset());
        }
    }

    /** Pauses partitions with too much unfinished work and resumes them once half of it is done. */
    private void pauseBusyPartitions() {
        List<TopicPartition> pause = new ArrayList<>();
        List<TopicPartition> resume = new ArrayList<>();
        for (Map.Entry<TopicPartition, Progress> entry : progress.entrySet()) {
            int pending = entry.getValue().pending.size();
            if (pending >= settings.maxPendingPerPartition() && paused.add(entry.getKey())) {
                pause.add(entry.getKey());
            } else if (pending <= settings.maxPendingPerPartition() / 2 && paused.remove(entry.getKey())) {
                resume.add(entry.getKey());
            }
        }
        if (!pause.isEmpty()) {
            consumer.pause(pause);
            log.info("event=consumer_loop_paused loop={} partitions={}", settings.name(), pause);
        }
        if (!resume.isEmpty()) {
            consumer.resume(resume);
        }
    }

    /** After a failed batch: back to the committed offsets; what was finished since is read again. */
    private void rewindToCommitted() {
        Set<TopicPartition> assignment = consumer.assignment();
        if (!assignment.isEmpty()) {
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assignment, Duration.ofSeconds(10));
            List<TopicPartition> fromStart = new ArrayList<>();
            for (TopicPartition tp : assignment) {
                OffsetAndMetadata offset = committed.get(tp);
                Progress p = progress.computeIfAbsent(tp, k -> new Progress());
                if (offset != null) {
                    consumer.seek(tp, offset);
                    p.next = offset.offset();
                    p.committed = offset.offset();
                } else {
                    fromStart.add(tp); // auto.offset.reset=earliest
                    p.next = -1;
                }
            }
            if (!fromStart.isEmpty()) {
                consumer.seekToBeginning(fromStart);
            }
            log.info("event=consumer_loop_rewound loop={} partitions={}", settings.name(), assignment);
        }
        needsRewind = false;
    }

    /** From the consumer's last fetch (no broker round trip): high watermark (read_committed: LSO) minus position. */
    private Long lag() {
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

    /** Stops the loop after the work in hand (the handler's {@link Handler#stopping}); waits up to 30 s. */
    @Override
    public void close() {
        stopping.countDown();
        Consumer<byte[], byte[]> current = consumer;
        if (current != null) {
            current.wakeup(); // no interrupt: Kafka clients treat it as fatal
        }
        if (thread.isAlive() && Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                log.warn("event=consumer_loop_stop_slow loop={} detail=\"still running after 30 s\"",
                        settings.name());
            }
        }
    }

    private final class Listener implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                progress.put(tp, new Progress());
                paused.remove(tp);
            }
            handler.assigned(partitions);
            joined = true;
            log.info("event=consumer_loop_assigned loop={} partitions={}", settings.name(), partitions);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            handler.revoked(partitions);
            try {
                commitDone(partitions, Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                log.warn("event=consumer_loop_revoke_commit_failed loop={} error={}", settings.name(), e.toString());
            }
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            handler.lost(partitions);
            forget(partitions);
        }

        private void forget(Collection<TopicPartition> partitions) {
            partitions.forEach(tp -> {
                progress.remove(tp);
                paused.remove(tp);
            });
        }
    }
}
