package io.tla.connectors.replies;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order in which a reply connector delivers: one lane per conversation, whose replies are attempted one at a
 * time in the order they were read; at most {@code tenantConcurrency} lanes of one tenant at a time on a shared
 * pool. A reply told to wait (its webhook answer is pending, Graph said Retry-After) keeps its place at the head of
 * its lane; a tenant told to wait (Retry-After) waits as a whole. Waits are scheduled, never slept on a pool thread,
 * so a waiting conversation or tenant holds nobody else.
 *
 * <p>Everything queued here came from a {@code ConsumerLoop} that pauses partitions with too much unfinished work,
 * so the lanes (keyed by what a sender controls) stay bounded.
 */
public final class ConversationLanes<T> implements AutoCloseable {

    /** What became of one attempt. */
    public sealed interface Outcome permits Done, Later {
    }

    /** Finished: delivered, skipped or dead-lettered. */
    public record Done() implements Outcome {
    }

    /** Try again at {@code at}; with {@code wholeTenant}, none of the tenant's replies is attempted before then. */
    public record Later(Instant at, boolean wholeTenant) implements Outcome {
        public Later {
            Objects.requireNonNull(at, "at");
        }
    }

    public static final Outcome DONE = new Done();

    /** Attempts one item; runs on a pool thread with no lock held. */
    @FunctionalInterface
    public interface Worker<T> {
        Outcome attempt(T item);
    }

    private static final Logger log = LoggerFactory.getLogger(ConversationLanes.class);

    private static final class Lane<T> {
        final String key;
        final String tenant;
        final int partition;
        final ArrayDeque<T> items = new ArrayDeque<>();
        Instant notBefore = Instant.EPOCH;
        /** On the timer or in its tenant's queue for a free slot. */
        boolean queued;

        Lane(String key, String tenant, int partition) {
            this.key = key;
            this.tenant = tenant;
            this.partition = partition;
        }
    }

    private static final class Tenant<T> {
        final ArrayDeque<Lane<T>> waiting = new ArrayDeque<>();
        Instant notBefore = Instant.EPOCH;
        int active;
        int lanes;
    }

    private final Object lock = new Object();
    private final Map<String, Lane<T>> lanes = new HashMap<>();
    private final Map<String, Tenant<T>> tenants = new HashMap<>();
    /** Lanes whose head is being attempted. */
    private final Set<Lane<T>> running = new HashSet<>();
    private final Worker<T> worker;
    private final int tenantConcurrency;
    private final Clock clock;
    private final ExecutorService pool;
    private final ScheduledExecutorService timer;
    private int queued;
    private boolean closed;

    public ConversationLanes(String name, int threads, int tenantConcurrency, Clock clock, Worker<T> worker) {
        if (threads < 1 || tenantConcurrency < 1) {
            throw new IllegalArgumentException("threads and tenantConcurrency must be at least 1");
        }
        this.worker = Objects.requireNonNull(worker, "worker");
        this.tenantConcurrency = tenantConcurrency;
        this.clock = Objects.requireNonNull(clock, "clock");
        AtomicInteger count = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, name + "-timer");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Queues {@code item} behind the earlier items of its conversation. */
    public void add(String tenant, String conversation, int partition, T item) {
        String key = tenant + '\n' + conversation;
        synchronized (lock) {
            if (closed) {
                return; // stopping: not done, so read again by whoever consumes next
            }
            Lane<T> lane = lanes.get(key);
            if (lane == null) {
                lane = new Lane<>(key, tenant, partition);
                lanes.put(key, lane);
                tenants.computeIfAbsent(tenant, t -> new Tenant<>()).lanes++;
            }
            lane.items.add(item);
            queued++;
            if (!running.contains(lane) && !lane.queued) {
                dispatch(lane);
            }
        }
    }

    /** Items queued or being attempted. */
    public int size() {
        synchronized (lock) {
            return queued;
        }
    }

    /** Conversations with items. */
    public int conversations() {
        synchronized (lock) {
            return lanes.size();
        }
    }

    /** Whether {@code tenant} is told to wait, as of now. */
    public boolean tenantWaiting(String tenant) {
        synchronized (lock) {
            Tenant<T> t = tenants.get(tenant);
            return t != null && t.notBefore.isAfter(clock.instant());
        }
    }

    /**
     * Drops what is queued for {@code partitions} (the next owner reads it again) and waits up to {@code wait} for
     * attempts in progress on them to end, so no two instances deliver the same reply at once.
     */
    public void drop(Collection<Integer> partitions, Duration wait) {
        long until = System.nanoTime() + wait.toNanos();
        synchronized (lock) {
            for (Iterator<Lane<T>> it = lanes.values().iterator(); it.hasNext(); ) {
                Lane<T> lane = it.next();
                if (!partitions.contains(lane.partition)) {
                    continue;
                }
                it.remove();
                tenants.get(lane.tenant).lanes--;
                discardQueued(lane);
                if (!running.contains(lane)) {
                    forgetTenantIfIdle(lane.tenant);
                }
            }
            while (runningIn(partitions)) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    log.warn("event=reply_lanes_drop_slow partitions={} detail=\"an attempt is still running\"",
                            partitions);
                    return;
                }
                try {
                    lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private boolean runningIn(Collection<Integer> partitions) {
        return running.stream().anyMatch(lane -> partitions.contains(lane.partition));
    }

    /**
     * Drops a lane's items, all but the head when it is being attempted: that one is counted down when its attempt
     * ends (lock held).
     */
    private void discardQueued(Lane<T> lane) {
        T head = running.contains(lane) ? lane.items.peek() : null;
        queued -= lane.items.size() - (head == null ? 0 : 1);
        lane.items.clear();
        if (head != null) {
            lane.items.add(head);
        }
    }

    /** Must be called with the lock held; the lane is idle and has items. */
    private void dispatch(Lane<T> lane) {
        Tenant<T> tenant = tenants.get(lane.tenant);
        Instant now = clock.instant();
        Instant at = lane.notBefore.isAfter(tenant.notBefore) ? lane.notBefore : tenant.notBefore;
        if (at.isAfter(now)) {
            lane.queued = true;
            timer.schedule(() -> wake(lane), Math.max(1, Duration.between(now, at).toMillis()), TimeUnit.MILLISECONDS);
        } else if (tenant.active >= tenantConcurrency) {
            lane.queued = true;
            tenant.waiting.add(lane);
        } else {
            tenant.active++;
            running.add(lane);
            pool.execute(() -> run(lane));
        }
    }

    private void wake(Lane<T> lane) {
        synchronized (lock) {
            lane.queued = false;
            if (!closed && lanes.get(lane.key) == lane && !lane.items.isEmpty() && !running.contains(lane)) {
                dispatch(lane);
            }
        }
    }

    private void run(Lane<T> lane) {
        T item;
        synchronized (lock) {
            item = lane.items.peek();
        }
        Outcome outcome;
        try {
            outcome = worker.attempt(item);
        } catch (RuntimeException | Error e) {
            // the worker handles its own failures; this is the last guard, so the lane is never stuck
            log.error("event=reply_attempt_crashed lane_partition={} error={}", lane.partition, e.toString(), e);
            outcome = new Later(clock.instant().plusSeconds(1), false);
        }
        synchronized (lock) {
            Tenant<T> tenant = tenants.get(lane.tenant);
            tenant.active--;
            running.remove(lane);
            boolean current = lanes.get(lane.key) == lane;
            if (outcome instanceof Later later && current) {
                lane.notBefore = later.at();
                if (later.wholeTenant() && later.at().isAfter(tenant.notBefore)) {
                    tenant.notBefore = later.at();
                }
            } else {
                // done, or abandoned because the lane was dropped while the attempt ran
                lane.items.poll();
                lane.notBefore = Instant.EPOCH;
                queued--;
            }
            if (current && lane.items.isEmpty()) {
                lanes.remove(lane.key);
                tenant.lanes--;
            } else if (current && !closed) {
                dispatch(lane);
            }
            while (!closed && tenant.active < tenantConcurrency && !tenant.waiting.isEmpty()) {
                Lane<T> next = tenant.waiting.poll();
                next.queued = false;
                if (lanes.get(next.key) == next && !next.items.isEmpty() && !running.contains(next)) {
                    dispatch(next);
                }
            }
            forgetTenantIfIdle(lane.tenant);
            lock.notifyAll();
        }
    }

    private void forgetTenantIfIdle(String id) {
        Tenant<T> tenant = tenants.get(id);
        if (tenant != null && tenant.lanes == 0 && tenant.active == 0) {
            tenants.remove(id);
        }
    }

    /** Stops taking work, drops what is queued and waits up to {@code wait} for attempts in progress. */
    public void close(Duration wait) {
        long until = System.nanoTime() + wait.toNanos();
        synchronized (lock) {
            if (!closed) {
                closed = true;
                lanes.values().forEach(this::discardQueued);
                lanes.clear();
            }
            while (!running.isEmpty()) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    log.warn("event=reply_lanes_close_slow running={}", running.size());
                    break;
                }
                try {
                    lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        timer.shutdownNow();
        pool.shutdown();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(15));
    }
}
