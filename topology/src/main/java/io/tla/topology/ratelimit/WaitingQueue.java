package io.tla.topology.ratelimit;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The requests a task holds back for their tenants' rate limits, per tenant, oldest first: kept in
 * {@value RateLimit#WAITING_STORE} under {@code tenant␟input-offset} (offset zero-padded, so keys sort by tenant,
 * then arrival), and indexed in memory by this task so that finding a tenant's head never reads the store. Memory
 * holds only each request's key, when it began to wait and its tokens; the request itself is read from the store
 * when it leaves. Stream thread only.
 */
final class WaitingQueue {

    private static final char SEPARATOR = '\u001f';

    /** A waiting request as memory knows it. */
    record Entry(String key, long waitingSinceMs, long tokens) {
    }

    private final KeyValueStore<String, WaitingRequest> store;
    /** Tenant → its waiting requests, oldest first; a tenant with none has no entry. */
    private final Map<String, ArrayDeque<Entry>> queues = new HashMap<>();
    private long size;

    WaitingQueue(KeyValueStore<String, WaitingRequest> store) {
        this.store = store;
    }

    /** A request's key: its tenant, then its input offset, zero-padded so keys sort oldest first per tenant. */
    static String key(String tenant, long offset) {
        String digits = Long.toString(offset);
        return tenant + SEPARATOR + "0".repeat(Math.max(0, 20 - digits.length())) + digits;
    }

    static String tenantOf(String key) {
        return key.substring(0, key.lastIndexOf(SEPARATOR));
    }

    static long offsetOf(String key) {
        return Long.parseLong(key.substring(key.lastIndexOf(SEPARATOR) + 1));
    }

    /**
     * Reads back what the store holds after a restart or rebalance. Keys sort by tenant, then input offset, so
     * each tenant's queue comes back oldest first. Returns how many requests were found.
     */
    long recover() {
        long found = 0;
        try (KeyValueIterator<String, WaitingRequest> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, WaitingRequest> stored = all.next();
                queues.computeIfAbsent(tenantOf(stored.key), t -> new ArrayDeque<>())
                        .addLast(new Entry(stored.key, stored.value.waitingSinceMs(), stored.value.tokens()));
                found++;
            }
        }
        size += found;
        return found;
    }

    /**
     * Queues a request behind its tenant's others and stores it. False when its key waits already (the same
     * input offset again: processed before a crash, restored with the store).
     */
    boolean add(String key, WaitingRequest waiting) {
        if (store.get(key) != null) {
            return false;
        }
        store.put(key, waiting);
        queues.computeIfAbsent(tenantOf(key), t -> new ArrayDeque<>())
                .addLast(new Entry(key, waiting.waitingSinceMs(), waiting.tokens()));
        size++;
        return true;
    }

    /** The tenant's oldest waiting request, or null when none waits. */
    Entry head(String tenant) {
        ArrayDeque<Entry> queue = queues.get(tenant);
        return queue == null ? null : queue.peekFirst();
    }

    /** The last key queued for the tenant, or null. */
    String tailKey(String tenant) {
        ArrayDeque<Entry> queue = queues.get(tenant);
        return queue == null ? null : queue.peekLast().key();
    }

    int waiting(String tenant) {
        ArrayDeque<Entry> queue = queues.get(tenant);
        return queue == null ? 0 : queue.size();
    }

    /** Removes the tenant's head from memory and the store; returns the stored request (null if it was gone). */
    WaitingRequest removeHead(String tenant) {
        ArrayDeque<Entry> queue = queues.get(tenant);
        Entry head = queue.removeFirst();
        if (queue.isEmpty()) {
            queues.remove(tenant);
        }
        size--;
        WaitingRequest stored = store.get(head.key());
        store.delete(head.key());
        return stored;
    }

    /** Tenants with waiting requests, as a copy (the caller may release them while it walks the list). */
    List<String> tenants() {
        return List.copyOf(queues.keySet());
    }

    /** Requests waiting in this task. */
    long size() {
        return size;
    }

    /** Forgets what is in memory (the task is closing); the store keeps it for the task's next owner. */
    void clear() {
        queues.clear();
        size = 0;
    }
}
