package io.tla.topology.model;

import io.tla.schemas.NormalizedMessage;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The model stage's accepted, unanswered requests, per conversation, oldest first: kept in
 * {@code model-pending-store} under {@code tenant␟conversation␟input-offset} (written in the transaction of the
 * input offset, deleted in the transaction of the reply), and in memory by this task, so that finding a
 * conversation's head and its request never reads the store. The store is written in step and only read back by
 * {@link #recover}. The store keeps each request without its context turns (most of its size, and already in
 * {@code conversation-turns-store}); memory keeps them. Stream thread only.
 */
final class PendingQueue {

    private static final char SEPARATOR = '\u001f';

    /** A pending request and its store key. */
    record Queued(String key, PendingCall call) {
    }

    private final KeyValueStore<String, PendingCall> store;
    /** Conversation prefix → its pending requests, oldest first. */
    private final Map<String, ArrayDeque<Queued>> queues = new HashMap<>();
    private long size;

    PendingQueue(KeyValueStore<String, PendingCall> store) {
        this.store = store;
    }

    /** The conversation a message belongs to, as the prefix of its requests' keys. */
    static String conversationOf(NormalizedMessage message) {
        return message.tenantId() + SEPARATOR + message.conversationId() + SEPARATOR;
    }

    static String conversationOf(String key) {
        return key.substring(0, key.lastIndexOf(SEPARATOR) + 1);
    }

    /** A request's key: its conversation, then its input offset, so keys sort oldest first per conversation. */
    static String key(String conversation, long offset) {
        String digits = Long.toString(offset);
        return conversation + "0".repeat(20 - digits.length()) + digits;
    }

    /** The input offset a key was made of. */
    static long offsetOf(String key) {
        return Long.parseLong(key.substring(key.lastIndexOf(SEPARATOR) + 1));
    }

    /**
     * Reads back what the store holds after a crash, restart or rebalance, each request as {@code withContext}
     * makes it (the store keeps none of its context turns). Keys sort by conversation, then by input offset, so
     * each queue comes back oldest first. Returns the conversations found, in key order.
     */
    Set<String> recover(UnaryOperator<PendingCall> withContext) {
        Set<String> conversations = new LinkedHashSet<>();
        try (KeyValueIterator<String, PendingCall> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, PendingCall> entry = all.next();
                String conversation = conversationOf(entry.key);
                queues.computeIfAbsent(conversation, c -> new ArrayDeque<>())
                        .addLast(new Queued(entry.key, withContext.apply(entry.value)));
                conversations.add(conversation);
                size++;
            }
        }
        return conversations;
    }

    /**
     * Queues a request behind its conversation's others and stores it. False when that key is queued already
     * (the same input offset again: processed before a crash, restored with the store).
     */
    boolean accept(String key, PendingCall call) {
        ArrayDeque<Queued> queue = queues.computeIfAbsent(conversationOf(key), c -> new ArrayDeque<>());
        if (queue.stream().anyMatch(queued -> queued.key().equals(key))) {
            return false;
        }
        store.put(key, call.withoutContext());
        queue.addLast(new Queued(key, call));
        size++;
        return true;
    }

    /** The oldest pending request of a conversation, or null. */
    Queued head(String conversation) {
        ArrayDeque<Queued> queue = queues.get(conversation);
        return queue == null ? null : queue.peekFirst();
    }

    /**
     * Removes the conversation's head if its key is {@code key}, from memory and the store; returns its call, or
     * null when the head is another request (or there is none).
     */
    PendingCall removeHead(String conversation, String key) {
        ArrayDeque<Queued> queue = queues.get(conversation);
        Queued head = queue == null ? null : queue.peekFirst();
        if (head == null || !head.key().equals(key)) {
            return null;
        }
        queue.removeFirst();
        if (queue.isEmpty()) {
            queues.remove(conversation);
        }
        store.delete(key);
        size--;
        return head.call();
    }

    /** Pending requests of this task. */
    long size() {
        return size;
    }

    /** Forgets what is in memory (the task is closing); the store keeps it for the next owner. */
    void clear() {
        queues.clear();
    }
}
