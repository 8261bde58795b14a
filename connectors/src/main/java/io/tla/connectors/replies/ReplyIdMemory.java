package io.tla.connectors.replies;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/**
 * What a reply sink remembers about the reply ids it delivered: a small value per id (1 to 127), in the order the
 * ids were first remembered, at most {@code maxIds} of them; the oldest are forgotten first, and the newest time
 * among the forgotten is kept so a caller can tell "never seen" from "may have been forgotten".
 *
 * <p>Reply ids are deterministic UUIDs (the pipeline's {@code ReplyIds}), so an id is held as its 128 bits in
 * primitive arrays (about 30 bytes an id with the index) rather than as a string in a map entry (about 130); a
 * sink remembering a million replies holds about 30 MB instead of 130. An id that is not a canonical lower-case
 * UUID is held as its 128-bit MD5 name UUID, where a collision is as unlikely as one between two reply ids.
 * Thread-safe.
 */
public final class ReplyIdMemory {

    private static final int INITIAL_CAPACITY = 1_024;
    private static final long MIX = 0x9E3779B97F4A7C15L;

    private final int maxIds;
    // the ring, in the order ids were first remembered: head is the oldest; value 0 marks a removed id
    private long[] high;
    private long[] low;
    private int[] atSeconds;
    private byte[] values;
    private int head;
    private int used;
    private int live;
    // open addressing with linear probing: ring position + 1, 0 for an empty slot
    private int[] slots;
    private long forgottenThroughSeconds = Long.MIN_VALUE;
    private long forgotten;

    public ReplyIdMemory(int maxIds) {
        if (maxIds < 1) {
            throw new IllegalArgumentException("maxIds must be at least 1: " + maxIds);
        }
        this.maxIds = maxIds;
        allocate(Math.min(maxIds, INITIAL_CAPACITY));
    }

    /** The value remembered for {@code replyId}, or 0. */
    public synchronized byte get(String replyId) {
        long[] key = key(replyId);
        int slot = find(key[0], key[1]);
        return slot < 0 ? 0 : values[slots[slot] - 1];
    }

    public boolean contains(String replyId) {
        return get(replyId) != 0;
    }

    /** Remembers {@code value} (1 to 127) for {@code replyId}, as of {@code at}; an id already held keeps its place. */
    public synchronized void put(String replyId, byte value, Instant at) {
        if (value <= 0) {
            throw new IllegalArgumentException("value must be 1 to 127: " + value);
        }
        long[] key = key(replyId);
        int seconds = (int) Math.min(Integer.MAX_VALUE, Math.max(0, at.getEpochSecond()));
        int slot = find(key[0], key[1]);
        if (slot >= 0) {
            int position = slots[slot] - 1;
            values[position] = value;
            atSeconds[position] = Math.max(atSeconds[position], seconds);
            return;
        }
        if (used == maxIds) {
            forgetOldest();
        } else if (used == high.length) {
            grow();
        }
        int position = (head + used) % high.length;
        high[position] = key[0];
        low[position] = key[1];
        atSeconds[position] = seconds;
        values[position] = value;
        used++;
        live++;
        insertSlot(key[0], key[1], position);
    }

    /** Forgets {@code replyId} (not counted as forgotten by age). */
    public synchronized void remove(String replyId) {
        long[] key = key(replyId);
        int slot = find(key[0], key[1]);
        if (slot >= 0) {
            values[slots[slot] - 1] = 0;
            deleteSlot(slot);
            live--;
        }
    }

    /** Ids held. */
    public synchronized int size() {
        return live;
    }

    /** Ids forgotten because the memory was full. */
    public synchronized long forgotten() {
        return forgotten;
    }

    /** The newest time among the ids forgotten because the memory was full, or {@code null} if none was. */
    public synchronized Instant forgottenThrough() {
        return forgotten == 0 ? null : Instant.ofEpochSecond(forgottenThroughSeconds);
    }

    private void forgetOldest() {
        if (values[head] != 0) {
            deleteSlot(find(high[head], low[head]));
            live--;
            forgotten++;
            forgottenThroughSeconds = Math.max(forgottenThroughSeconds, atSeconds[head]);
        }
        values[head] = 0;
        head = (head + 1) % high.length;
        used--;
    }

    private void allocate(int capacity) {
        high = new long[capacity];
        low = new long[capacity];
        atSeconds = new int[capacity];
        values = new byte[capacity];
        slots = new int[Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) * 2]; // load at most one half
    }

    /** Doubles the ring (up to maxIds), laying it out from the oldest, and rebuilds the index. */
    private void grow() {
        long[] oldHigh = high;
        long[] oldLow = low;
        int[] oldAt = atSeconds;
        byte[] oldValues = values;
        int oldHead = head;
        int oldUsed = used;
        allocate((int) Math.min(maxIds, oldHigh.length * 2L));
        head = 0;
        used = 0;
        for (int i = 0; i < oldUsed; i++) {
            int from = (oldHead + i) % oldHigh.length;
            if (oldValues[from] == 0) {
                continue; // removed ids do not move along
            }
            high[used] = oldHigh[from];
            low[used] = oldLow[from];
            atSeconds[used] = oldAt[from];
            values[used] = oldValues[from];
            insertSlot(high[used], low[used], used);
            used++;
        }
    }

    private int find(long hi, long lo) {
        int mask = slots.length - 1;
        for (int slot = hash(hi, lo) & mask; ; slot = (slot + 1) & mask) {
            int entry = slots[slot];
            if (entry == 0) {
                return -1;
            }
            if (high[entry - 1] == hi && low[entry - 1] == lo) {
                return slot;
            }
        }
    }

    private void insertSlot(long hi, long lo, int position) {
        int mask = slots.length - 1;
        int slot = hash(hi, lo) & mask;
        while (slots[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        slots[slot] = position + 1;
    }

    /** Linear-probing deletion by shifting later entries of the run back, so no tombstones build up. */
    private void deleteSlot(int slot) {
        int mask = slots.length - 1;
        int gap = slot;
        for (int next = (gap + 1) & mask; slots[next] != 0; next = (next + 1) & mask) {
            int position = slots[next] - 1;
            int home = hash(high[position], low[position]) & mask;
            // the entry may move into the gap if its home is not cyclically within (gap, next]
            boolean homeInRange = gap <= next ? (home > gap && home <= next) : (home > gap || home <= next);
            if (!homeInRange) {
                slots[gap] = slots[next];
                gap = next;
            }
        }
        slots[gap] = 0;
    }

    private static int hash(long hi, long lo) {
        long h = (hi ^ Long.rotateLeft(lo, 32)) * MIX;
        return (int) (h ^ (h >>> 29));
    }

    /** The id's 128 bits: a canonical lower-case UUID as itself, anything else as its MD5 name UUID. */
    static long[] key(String replyId) {
        UUID uuid = isCanonicalUuid(replyId) ? UUID.fromString(replyId)
                : UUID.nameUUIDFromBytes(replyId.getBytes(StandardCharsets.UTF_8));
        return new long[] {uuid.getMostSignificantBits(), uuid.getLeastSignificantBits()};
    }

    /** {@link UUID#fromString} accepts short groups and upper case, which would make two ids one. */
    private static boolean isCanonicalUuid(String s) {
        if (s.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "ReplyIdMemory[" + size() + " of at most " + maxIds + " ids]";
    }

    /** Bytes the arrays hold, for the memory figures in tests. */
    synchronized long bytesHeld() {
        return (long) high.length * (8 + 8 + 4 + 1) + (long) slots.length * 4;
    }
}
