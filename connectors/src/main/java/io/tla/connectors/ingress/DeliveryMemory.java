package io.tla.connectors.ingress;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The deliveries the ingress accepted within the replay window, by key set, conversation and activity id, each with
 * the hash of its signed body and its answer. A repeated delivery (Teams retries the same request) gets the first
 * delivery's answer, even while that one is still being stored or waiting for its reply, and produces no second
 * record; another body under an activity id already seen in that conversation is a conflict. Entries live for
 * twice the clock skew: past that the body's signed timestamp is refused anyway. The memory is bounded (least
 * recently used go first): a key holder flooding it can only make an old delivery's retry be stored again, which
 * the topology's duplicate filter still answers once.
 *
 * @param <A> the answer type
 */
final class DeliveryMemory<A> {

    /** What a delivery found: the first delivery's answer to reuse, a conflicting body, or nothing (new). */
    sealed interface Seen<A> {
    }

    /**
     * The same body again: the first delivery's answer, and what is known of it before that (the message is stored,
     * a sync reply is still awaited), to answer with when the repeat's own time runs out first.
     */
    record Repeated<A>(CompletableFuture<A> answer, Supplier<A> provisional) implements Seen<A> {
    }

    /** Another body under an activity id already seen. */
    record Conflict<A>() implements Seen<A> {
    }

    /**
     * Not seen before: the caller completes {@code answer}, which later deliveries share, and may tell
     * {@code provisional} an answer known before it (stored, reply still awaited).
     */
    record First<A>(CompletableFuture<A> answer, Runnable forget, Consumer<A> provisional) implements Seen<A> {
    }

    /** The body's SHA-256, first 128 bits: as unlikely to collide for one activity id as the whole digest. */
    private static final class Entry<A> {
        final long bodyHigh;
        final long bodyLow;
        final CompletableFuture<A> answer = new CompletableFuture<>();
        volatile A provisional;

        Entry(byte[] bodyHash) {
            ByteBuffer hash = ByteBuffer.wrap(bodyHash);
            this.bodyHigh = hash.getLong(0);
            this.bodyLow = hash.getLong(8);
        }

        boolean sameBody(Entry<?> other) {
            return bodyHigh == other.bodyHigh && bodyLow == other.bodyLow;
        }
    }

    /**
     * The first 128 bits of the SHA-256 of key set, conversation and activity id, rather than the strings: an entry
     * outlives its request by the whole window, and the strings (conversation ids run to 100 characters) were most
     * of its size (an entry held about 400 bytes with them, under half that without).
     */
    private record Key(long high, long low) {
    }

    /** Looking a digest up costs more than hashing a message: one per thread. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is unavailable", e);
        }
    });

    private final Cache<Key, Entry<A>> entries;

    DeliveryMemory(Duration window, int maxEntries) {
        this.entries = Caffeine.newBuilder().maximumSize(maxEntries).expireAfterWrite(window).build();
    }

    /** Records this delivery unless it (or another body under its id) was seen within the window. */
    Seen<A> see(String keySet, String conversationId, String activityId, byte[] body) {
        Key key = key(Objects.requireNonNull(keySet, "keySet"), conversationId, activityId);
        Entry<A> created = new Entry<>(sha256(body));
        Entry<A> existing = entries.asMap().putIfAbsent(key, created);
        if (existing == null) {
            // deliveries that were not stored (429, the producer reported a failure) are forgotten, so the retry is
            // stored; a 503 answered only because the answer budget ran out keeps its entry until the produce ends
            return new First<>(created.answer, () -> entries.asMap().remove(key, created),
                    answer -> created.provisional = answer);
        }
        return existing.sameBody(created) ? new Repeated<>(existing.answer, () -> existing.provisional) : new Conflict<>();
    }

    long size() {
        return entries.estimatedSize();
    }

    /** Each part length-prefixed, so no two triples make the same bytes. */
    private static Key key(String keySet, String conversationId, String activityId) {
        MessageDigest digest = SHA256.get();
        for (String part : new String[] {keySet, conversationId, activityId}) {
            byte[] bytes = String.valueOf(part).getBytes(StandardCharsets.UTF_8);
            digest.update(ByteBuffer.allocate(5).putInt(bytes.length).put(part == null ? (byte) 0 : (byte) 1).flip());
            digest.update(bytes);
        }
        ByteBuffer hash = ByteBuffer.wrap(digest.digest());
        return new Key(hash.getLong(0), hash.getLong(8));
    }

    private static byte[] sha256(byte[] body) {
        return SHA256.get().digest(body); // digest() resets it for the next body
    }

    @Override
    public String toString() {
        return "DeliveryMemory[" + size() + " deliveries]";
    }
}
