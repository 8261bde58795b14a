package io.tla.topology.context;

import io.tla.schemas.Translation;
import io.tla.topology.serde.BinaryReader;
import io.tla.topology.serde.BinaryWriter;
import io.tla.topology.serde.CompactSerdes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Conversations' recent turns in {@value #NAME}, one record per turn: the only code that knows the store's layout.
 * Context retrieval, the reply recorder and the model stage's recovery each get a {@code ConversationStore} over
 * the store; none opens it raw.
 *
 * <p><b>Keys.</b> A conversation's prefix is {@code c} + the tenant's length + {@code :} + tenant + the
 * conversation's length + {@code :} + conversation. The lengths make the prefix unambiguous whatever the ids
 * contain, so no conversation's keys fall inside another's range, and the tenant in it keeps tenants apart even
 * when their conversation ids collide.
 * <ul>
 *   <li>{@code prefix + 16 hex digits}: one turn, under its sequence number in the conversation (the newest
 *       highest), so a range read returns the turns oldest first. Value: format byte, when the turn was recorded
 *       (processing time), the turn with its translations, then who wrote it (the sender's AAD object id, else
 *       their Teams id: whose languages the conversation's replies include). The sender comes last and is
 *       optional, so the format byte stays 1: turns stored before carry none, and a release that predates it
 *       reads a turn and ignores the rest.</li>
 *   <li>{@code a + 13-digit minute + prefix}: the conversation's last activity, to the minute. Sorted by time, so
 *       the expiry reads only the minutes that have expired, and never the whole store.</li>
 * </ul>
 * A message writes its turn (about a kilobyte), deletes the turns that fell out of the bounds, and moves the
 * activity key only when the minute changed; the model's answer rewrites only its own turn.
 *
 * <p><b>Cache.</b> The decoded turns of recently used conversations, per task, at most {@link #CACHE_MAX_BYTES}
 * (least recently used dropped first). It is written through, in step with the store, and shared by the task's
 * processors through {@link Caches}, so the reply recorder finds the turns context retrieval read moments before.
 * A task that is (re)initialised starts with an empty cache: after a restart or an aborted transaction the store is
 * the truth.
 */
public final class ConversationStore {

    /** Versioned: the layout of one value per conversation ({@code conversation-turns-store}) is not read. */
    public static final String NAME = "conversation-turns-v2-store";

    /** Activity is kept to the minute: a conversation moves its activity key at most once a minute. */
    static final long ACTIVITY_RESOLUTION_MS = 60_000;
    /** Decoded turns kept per task: about a hundred conversations of eight translated 1 KiB turns. */
    static final long CACHE_MAX_BYTES = 4L << 20;

    private static final byte FORMAT = 1;
    private static final String TURN = "c";
    private static final String ACTIVITY = "a";
    private static final int MINUTE_DIGITS = 13;
    private static final int SEQUENCE_DIGITS = 16;
    private static final byte[] ACTIVE = {FORMAT};

    private final KeyValueStore<String, byte[]> store;
    private final Cache cache;

    private ConversationStore(KeyValueStore<String, byte[]> store, Cache cache) {
        this.store = store;
        this.cache = cache;
    }

    public static StoreBuilder<KeyValueStore<String, byte[]>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(NAME), Serdes.String(), Serdes.ByteArray())
                .withCachingEnabled();
    }

    /** The store of {@code context}'s task, with the task's shared cache from {@code caches}, emptied. */
    public static ConversationStore open(ProcessorContext<?, ?> context, Caches caches) {
        return new ConversationStore(context.getStateStore(NAME), caches.attach(context.taskId()));
    }

    /** The store of {@code context}'s task with a cache of its own (for a processor that shares with none). */
    public static ConversationStore open(ProcessorContext<?, ?> context) {
        return new ConversationStore(context.getStateStore(NAME), new Cache(CACHE_MAX_BYTES));
    }

    /** Reads and writes {@code store} directly, remembering nothing between calls (tools and tests). */
    public static ConversationStore over(KeyValueStore<String, byte[]> store) {
        return new ConversationStore(store, new Cache(0));
    }

    // --- reading ---------------------------------------------------------------------------------------------

    /** The conversation's stored turns, oldest first (empty when it has none, or expired). */
    public List<Turn> turns(String tenantId, String conversationId) {
        return turnsOf(load(tenantId, conversationId).turns());
    }

    /** The turns to send with a request for {@code messageId}: the newest others within both bounds, oldest first. */
    public List<Turn> contextFor(String tenantId, String conversationId, String messageId, int turnLimit,
                                 long maxTokens) {
        List<Turn> others = new ArrayList<>();
        for (StoredTurn stored : load(tenantId, conversationId).turns()) {
            if (!stored.turn().messageId().equals(messageId)) {
                others.add(stored.turn());
            }
        }
        return ConversationTurns.newestWithin(others, turnLimit, maxTokens);
    }

    /**
     * The context a request for {@code messageId} had when it was retrieved: the turns before it, within both
     * bounds, oldest first; empty when its turn is no longer kept.
     */
    public List<Turn> contextBefore(String tenantId, String conversationId, String messageId, int turnLimit,
                                    long maxTokens) {
        List<Turn> turns = turns(tenantId, conversationId);
        for (int i = 0; i < turns.size(); i++) {
            if (turns.get(i).messageId().equals(messageId)) {
                return ConversationTurns.newestWithin(turns.subList(0, i), turnLimit, maxTokens);
            }
        }
        return List.of();
    }

    /**
     * Who wrote {@code turns} (turns of this conversation, as {@link #contextFor} returned them): their sender ids,
     * newest turn first, each once; turns stored without a sender are left out.
     */
    public List<String> sendersOf(String tenantId, String conversationId, List<Turn> turns) {
        java.util.Set<String> wanted = new java.util.HashSet<>();
        for (Turn turn : turns) {
            wanted.add(turn.messageId());
        }
        java.util.LinkedHashSet<String> senders = new java.util.LinkedHashSet<>();
        List<StoredTurn> stored = load(tenantId, conversationId).turns();
        for (int i = stored.size() - 1; i >= 0; i--) {
            StoredTurn turn = stored.get(i);
            if (turn.senderId() != null && wanted.contains(turn.turn().messageId())) {
                senders.add(turn.senderId());
            }
        }
        return List.copyOf(senders);
    }

    /** When the conversation was last active (its newest turn's processing time, epoch ms), or -1 without turns. */
    public long lastActivity(String tenantId, String conversationId) {
        List<StoredTurn> turns = load(tenantId, conversationId).turns();
        return turns.isEmpty() ? -1 : turns.get(turns.size() - 1).recordedAt();
    }

    // --- writing ---------------------------------------------------------------------------------------------

    /**
     * Records {@code turn} as the conversation's newest (replacing an earlier copy of the same message), active at
     * {@code nowMs}, and deletes the older turns beyond {@code turnLimit} turns and {@code maxTokens} tokens; the
     * new turn itself is always kept.
     */
    public void append(String tenantId, String conversationId, Turn turn, int turnLimit, long maxTokens, long nowMs) {
        append(tenantId, conversationId, turn, null, turnLimit, maxTokens, nowMs);
    }

    /** {@link #append(String, String, Turn, int, long, long)}, remembering who wrote the turn ({@code senderId}, may be null). */
    public void append(String tenantId, String conversationId, Turn turn, String senderId, int turnLimit,
                       long maxTokens, long nowMs) {
        Conversation conversation = load(tenantId, conversationId);
        String prefix = conversation.prefix();
        List<StoredTurn> before = conversation.turns();
        List<StoredTurn> others = new ArrayList<>(before.size());
        for (StoredTurn stored : before) {
            if (stored.turn().messageId().equals(turn.messageId())) {
                store.delete(turnKey(prefix, stored.sequence()));
            } else {
                others.add(stored);
            }
        }
        int kept = ConversationTurns.newestWithin(turnsOf(others), Math.max(0, turnLimit - 1),
                maxTokens - turn.estimatedTokens()).size();
        for (StoredTurn dropped : others.subList(0, others.size() - kept)) {
            store.delete(turnKey(prefix, dropped.sequence()));
        }
        StoredTurn newest = before.isEmpty() ? null : before.get(before.size() - 1);
        StoredTurn added = new StoredTurn(newest == null ? 0 : newest.sequence() + 1, nowMs, turn, senderId);
        store.put(turnKey(prefix, added.sequence()), encode(added));

        long minute = minuteOf(nowMs);
        long previousMinute = newest == null ? -1 : minuteOf(newest.recordedAt());
        if (previousMinute != minute) {
            if (newest != null) {
                store.delete(activityKey(previousMinute, prefix));
            }
            store.put(activityKey(minute, prefix), ACTIVE);
        }
        List<StoredTurn> after = new ArrayList<>(others.subList(others.size() - kept, others.size()));
        after.add(added);
        cache.put(new Conversation(prefix, after));
    }

    /**
     * Records the model's answer, and the language the message was in, on the turn of {@code messageId}, rewriting
     * that turn only. False, and nothing written, when the turn is no longer kept: nothing is recreated.
     */
    public boolean recordAnswer(String tenantId, String conversationId, String messageId, String sourceLanguage,
                                List<Translation> translations) {
        Conversation conversation = load(tenantId, conversationId);
        List<StoredTurn> turns = conversation.turns();
        for (int i = 0; i < turns.size(); i++) {
            StoredTurn stored = turns.get(i);
            if (stored.turn().messageId().equals(messageId)) {
                StoredTurn answered = new StoredTurn(stored.sequence(), stored.recordedAt(),
                        stored.turn().withAnswer(sourceLanguage, translations), stored.senderId());
                store.put(turnKey(conversation.prefix(), stored.sequence()), encode(answered));
                List<StoredTurn> after = new ArrayList<>(turns);
                after.set(i, answered);
                cache.put(new Conversation(conversation.prefix(), after));
                return true;
            }
        }
        return false;
    }

    /**
     * Deletes the turns of at most {@code batch} conversations whose last activity is before {@code cutoffMs},
     * oldest first; returns how many. Reads only expired activity keys and the turns it deletes, so a sweep costs
     * what it removes, not the size of the store. A conversation active less than a minute before the cutoff may
     * wait for the next sweep.
     */
    public int expireIdle(long cutoffMs, int batch) {
        List<String> idle = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> activity = store.range(ACTIVITY, ACTIVITY + '\uffff')) {
            while (activity.hasNext() && idle.size() < batch) {
                String key = activity.next().key;
                long minute = Long.parseLong(key, ACTIVITY.length(), ACTIVITY.length() + MINUTE_DIGITS, 10);
                if ((minute + 1) * ACTIVITY_RESOLUTION_MS > cutoffMs) {
                    break; // sorted by time: every later key is more recent
                }
                idle.add(key);
            }
        }
        for (String activityKey : idle) {
            String prefix = activityKey.substring(ACTIVITY.length() + MINUTE_DIGITS);
            List<String> keys = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> turns = store.range(turnKey(prefix, 0), turnKey(prefix, -1))) {
                turns.forEachRemaining(entry -> keys.add(entry.key));
            }
            keys.forEach(store::delete);
            store.delete(activityKey);
            cache.remove(prefix);
        }
        return idle.size();
    }

    // --- layout ----------------------------------------------------------------------------------------------

    /** One turn as stored: its place in the conversation, when it was recorded (epoch ms), the turn, who wrote it. */
    record StoredTurn(long sequence, long recordedAt, Turn turn, String senderId) {
        StoredTurn(long sequence, long recordedAt, Turn turn) {
            this(sequence, recordedAt, turn, null);
        }
    }

    /** A conversation's stored turns, oldest first, and their approximate size in memory. */
    record Conversation(String prefix, List<StoredTurn> turns, long bytes) {
        Conversation(String prefix, List<StoredTurn> turns) {
            this(prefix, turns, weigh(prefix, turns));
        }
    }

    private Conversation load(String tenantId, String conversationId) {
        String prefix = prefix(tenantId, conversationId);
        Conversation cached = cache.get(prefix);
        if (cached != null) {
            return cached;
        }
        List<StoredTurn> turns = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> stored = store.range(turnKey(prefix, 0), turnKey(prefix, -1))) {
            while (stored.hasNext()) {
                KeyValue<String, byte[]> entry = stored.next();
                turns.add(decode(entry.key, prefix.length(), entry.value));
            }
        }
        Conversation conversation = new Conversation(prefix, turns);
        cache.put(conversation);
        return conversation;
    }

    static String prefix(String tenantId, String conversationId) {
        return TURN + tenantId.length() + ':' + tenantId + conversationId.length() + ':' + conversationId;
    }

    /** The turn key; {@code sequence} -1 gives the highest key of the conversation, as the end of a range. */
    private static String turnKey(String prefix, long sequence) {
        StringBuilder key = new StringBuilder(prefix.length() + SEQUENCE_DIGITS).append(prefix);
        for (int shift = (SEQUENCE_DIGITS - 1) * 4; shift >= 0; shift -= 4) {
            key.append(Character.forDigit((int) (sequence >>> shift) & 0xF, 16));
        }
        return key.toString();
    }

    private static String activityKey(long minute, String prefix) {
        String digits = Long.toString(minute);
        return ACTIVITY + "0".repeat(MINUTE_DIGITS - digits.length()) + digits + prefix;
    }

    private static long minuteOf(long epochMs) {
        return Math.floorDiv(epochMs, ACTIVITY_RESOLUTION_MS);
    }

    private static byte[] encode(StoredTurn stored) {
        BinaryWriter out = new BinaryWriter(256 + 3 * stored.turn().text().length());
        out.writeByte(FORMAT);
        out.writeSignedVarLong(stored.recordedAt());
        CompactSerdes.writeTurn(out, stored.turn());
        out.writeString(stored.senderId());
        return out.toByteArray();
    }

    private static StoredTurn decode(String key, int prefixLength, byte[] value) {
        if (value.length == 0 || value[0] != FORMAT) {
            throw new SerializationException("not a stored turn (format byte)");
        }
        long sequence = Long.parseUnsignedLong(key, prefixLength, key.length(), 16);
        BinaryReader in = new BinaryReader(value, 1);
        long recordedAt = in.readSignedVarLong();
        Turn turn = CompactSerdes.readTurn(in);
        // turns stored before senders were kept end here
        String senderId = in.atEnd() ? null : in.readString();
        return new StoredTurn(sequence, recordedAt, turn, senderId);
    }

    private static List<Turn> turnsOf(List<StoredTurn> stored) {
        List<Turn> turns = new ArrayList<>(stored.size());
        for (StoredTurn turn : stored) {
            turns.add(turn.turn());
        }
        return turns;
    }

    private static long weigh(String prefix, List<StoredTurn> turns) {
        long chars = prefix.length();
        for (StoredTurn stored : turns) {
            Turn turn = stored.turn();
            chars += 64 + turn.messageId().length() + length(turn.senderName()) + turn.text().length()
                    + length(stored.senderId());
            for (Translation translation : turn.translations()) {
                chars += 16 + translation.text().length();
            }
        }
        return 128 + 2 * chars;
    }

    private static int length(String text) {
        return text == null ? 0 : text.length();
    }

    // --- the cache -------------------------------------------------------------------------------------------

    /** Decoded conversations of one task, least recently used first; stream thread only. */
    static final class Cache {
        private final long maxBytes;
        private final LinkedHashMap<String, Conversation> conversations = new LinkedHashMap<>(64, 0.75f, true);
        private long bytes;

        Cache(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        Conversation get(String prefix) {
            return conversations.get(prefix);
        }

        void put(Conversation conversation) {
            if (conversation.bytes() > maxBytes) {
                remove(conversation.prefix());
                return;
            }
            Conversation previous = conversations.put(conversation.prefix(), conversation);
            bytes += conversation.bytes() - (previous == null ? 0 : previous.bytes());
            Iterator<Conversation> eldest = conversations.values().iterator();
            while (bytes > maxBytes && eldest.hasNext()) {
                bytes -= eldest.next().bytes();
                eldest.remove();
            }
        }

        void remove(String prefix) {
            Conversation removed = conversations.remove(prefix);
            if (removed != null) {
                bytes -= removed.bytes();
            }
        }

        void clear() {
            conversations.clear();
            bytes = 0;
        }

        int size() {
            return conversations.size();
        }

        long bytes() {
            return bytes;
        }
    }

    /**
     * The caches of one built topology, one per task, so that the processors of a task that share the store also
     * share what they decoded. A processor attaches in {@code init()} (which empties the task's cache: the store may
     * have been restored) and detaches in {@code close()}.
     */
    public static final class Caches {
        private final Map<TaskId, Cache> byTask = new ConcurrentHashMap<>();

        Cache attach(TaskId task) {
            Cache cache = byTask.computeIfAbsent(task, id -> new Cache(CACHE_MAX_BYTES));
            cache.clear();
            return cache;
        }

        public void detach(TaskId task) {
            byTask.remove(task);
        }

        int tasks() {
            return byTask.size();
        }
    }
}
