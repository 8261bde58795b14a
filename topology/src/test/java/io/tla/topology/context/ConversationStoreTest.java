package io.tla.topology.context;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.Translation;
import io.tla.topology.StageOutput;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

class ConversationStoreTest {

    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
    private static final long NOW_MS = NOW.toEpochMilli();
    private static final String TENANT = "tenant-a";

    private final CountingStore raw = new CountingStore();
    private final ConversationStore store = ConversationStore.over(raw);

    /** A turn of exactly {@code tokens} estimated tokens (4 characters each). */
    private static Turn turn(String id, int tokens) {
        return new Turn(id, "Anna", "x".repeat(tokens * 4), NOW);
    }

    private static List<String> ids(List<Turn> turns) {
        return turns.stream().map(Turn::messageId).toList();
    }

    private List<String> storedIds(String conversation) {
        return ids(store.turns(TENANT, conversation));
    }

    @Test
    void keepsTheNewestTurnsWithinBothBoundsAndAlwaysTheNewOne() {
        for (int i = 1; i <= 5; i++) {
            store.append(TENANT, "conv", turn("m-" + i, 10), 3, 1000, NOW_MS);
        }
        assertThat(storedIds("conv")).containsExactly("m-3", "m-4", "m-5");

        store.append(TENANT, "conv", turn("m-6", 5000), 3, 1000, NOW_MS + 1);
        assertThat(storedIds("conv")).containsExactly("m-6");
        assertThat(store.contextFor(TENANT, "conv", "m-7", 3, 1000)).isEmpty();
        assertThat(turnKeys()).as("dropped turns are deleted, not left behind").hasSize(1);
    }

    @Test
    void givesTheContextForAMessageWithoutItselfAndTheContextBeforeItAsRetrievalSawIt() {
        for (int i = 1; i <= 4; i++) {
            store.append(TENANT, "conv", turn("m-" + i, 10), 8, 1000, NOW_MS);
        }

        assertThat(ids(store.contextFor(TENANT, "conv", "m-4", 8, 1000))).containsExactly("m-1", "m-2", "m-3");
        assertThat(ids(store.contextFor(TENANT, "conv", "m-4", 2, 1000))).containsExactly("m-2", "m-3");
        assertThat(ids(store.contextFor(TENANT, "conv", "m-5", 8, 25))).containsExactly("m-3", "m-4");
        assertThat(ids(store.contextBefore(TENANT, "conv", "m-3", 8, 1000))).containsExactly("m-1", "m-2");
        assertThat(store.contextBefore(TENANT, "conv", "m-1", 8, 1000)).isEmpty();
        assertThat(store.contextBefore(TENANT, "conv", "gone", 8, 1000)).isEmpty();
    }

    @Test
    void aRedeliveredMessageReplacesItsEarlierCopyAsTheNewestTurn() {
        store.append(TENANT, "conv", turn("m-1", 1), 8, 100, NOW_MS);
        store.append(TENANT, "conv", turn("m-2", 1), 8, 100, NOW_MS);
        store.append(TENANT, "conv", turn("m-1", 1), 8, 100, NOW_MS);

        assertThat(storedIds("conv")).containsExactly("m-2", "m-1");
        assertThat(turnKeys()).hasSize(2);
    }

    @Test
    void recordsAnAnswerOnItsTurnOnlyByRewritingThatTurn() {
        store.append(TENANT, "conv", turn("m-1", 1), 8, 100, NOW_MS);
        store.append(TENANT, "conv", turn("m-2", 1), 8, 100, NOW_MS);
        raw.puts.set(0);

        boolean recorded = store.recordAnswer(TENANT, "conv", "m-1", "de", List.of(new Translation("en", "hello")));

        assertThat(recorded).isTrue();
        assertThat(raw.puts.get()).isEqualTo(1);
        List<Turn> turns = store.turns(TENANT, "conv");
        assertThat(turns.get(0).translations()).containsExactly(new Translation("en", "hello"));
        assertThat(turns.get(0).sourceLanguage()).isEqualTo("de");
        assertThat(turns.get(1).translations()).isEmpty();
        assertThat(store.lastActivity(TENANT, "conv")).isEqualTo(NOW_MS);
    }

    @Test
    void recreatesNothingForAnAnswerWhoseTurnIsGone() {
        store.append(TENANT, "conv", turn("m-1", 1), 1, 100, NOW_MS);
        store.append(TENANT, "conv", turn("m-2", 1), 1, 100, NOW_MS);
        raw.puts.set(0);

        assertThat(store.recordAnswer(TENANT, "conv", "m-1", "de", List.of(new Translation("en", "x")))).isFalse();
        assertThat(store.recordAnswer(TENANT, "other", "m-1", "de", List.of(new Translation("en", "x")))).isFalse();
        assertThat(raw.puts.get()).isZero();
        assertThat(storedIds("other")).isEmpty();
    }

    @Test
    void keepsTenantsAndConversationsApartWhateverCharactersTheirIdsContain() {
        store.append("a|b", "c", turn("m-1", 1), 8, 100, NOW_MS);
        store.append("a", "b|c", turn("m-2", 1), 8, 100, NOW_MS);
        store.append("a", "b", turn("m-3", 1), 8, 100, NOW_MS);
        store.append("a", "b\u00000000000000000001", turn("m-4", 1), 8, 100, NOW_MS);
        store.append("a", "1:b", turn("m-5", 1), 8, 100, NOW_MS);
        store.append("a1:", "b", turn("m-6", 1), 8, 100, NOW_MS);

        assertThat(ids(store.turns("a|b", "c"))).containsExactly("m-1");
        assertThat(ids(store.turns("a", "b|c"))).containsExactly("m-2");
        assertThat(ids(store.turns("a", "b"))).containsExactly("m-3");
        assertThat(ids(store.turns("a", "b\u00000000000000000001"))).containsExactly("m-4");
        assertThat(ids(store.turns("a", "1:b"))).containsExactly("m-5");
        assertThat(ids(store.turns("a1:", "b"))).containsExactly("m-6");
    }

    @Test
    void expiresOnlyConversationsIdleSinceBeforeTheCutoffReadingNoMoreThanTheExpiredMinutes() {
        store.append(TENANT, "idle", turn("m-1", 1), 8, 100, NOW_MS);
        store.append(TENANT, "idle", turn("m-2", 1), 8, 100, NOW_MS);
        for (int i = 0; i < 50; i++) {
            store.append(TENANT, "active-" + i, turn("a-" + i, 1), 8, 100, NOW_MS + Duration.ofMinutes(40).toMillis());
        }
        long cutoff = NOW_MS + Duration.ofMinutes(30).toMillis();
        raw.read.set(0);

        assertThat(store.expireIdle(cutoff, 100)).isEqualTo(1);

        // the idle conversation's activity key and two turns, and the first key past the cutoff
        assertThat(raw.read.get()).isLessThanOrEqualTo(4);
        assertThat(storedIds("idle")).isEmpty();
        assertThat(storedIds("active-7")).containsExactly("a-7");
        assertThat(raw.keys()).hasSize(100);
    }

    @Test
    void movesTheActivityOfAConversationThatSpeaksAgainSoItDoesNotExpire() {
        store.append(TENANT, "conv", turn("m-1", 1), 8, 100, NOW_MS);
        long later = NOW_MS + Duration.ofHours(2).toMillis();
        store.append(TENANT, "conv", turn("m-2", 1), 8, 100, later);

        assertThat(store.expireIdle(NOW_MS + Duration.ofHours(1).toMillis(), 100)).isZero();
        assertThat(storedIds("conv")).containsExactly("m-1", "m-2");
        assertThat(raw.keys().stream().filter(k -> k.startsWith("a")).count()).isEqualTo(1);
        assertThat(store.expireIdle(later + Duration.ofMinutes(2).toMillis(), 100)).isEqualTo(1);
        assertThat(raw.keys()).isEmpty();
    }

    @Test
    void expiresAtMostABatchPerCallAndTheRestOnTheNext() {
        for (int i = 0; i < 5; i++) {
            store.append(TENANT, "conv-" + i, turn("m-" + i, 1), 8, 100, NOW_MS + i);
        }
        long cutoff = NOW_MS + Duration.ofHours(1).toMillis();

        assertThat(store.expireIdle(cutoff, 2)).isEqualTo(2);
        assertThat(store.expireIdle(cutoff, 2)).isEqualTo(2);
        assertThat(store.expireIdle(cutoff, 2)).isEqualTo(1);
        assertThat(store.expireIdle(cutoff, 2)).isZero();
        assertThat(raw.keys()).isEmpty();
    }

    @Test
    void readsTheSameTurnsBackAfterARestartWithAnEmptyCache() {
        store.append(TENANT, "conv", new Turn("m-1", "Anna Müller", "Grüße aus Köln 👋", NOW.plusNanos(5)), 8, 100, NOW_MS);
        store.recordAnswer(TENANT, "conv", "m-1", "de", List.of(new Translation("ja", "ケルンからこんにちは")));

        List<Turn> afterRestart = ConversationStore.over(raw).turns(TENANT, "conv");

        assertThat(afterRestart).isEqualTo(store.turns(TENANT, "conv"));
        assertThat(afterRestart.get(0).at()).isEqualTo(NOW.plusNanos(5));
    }

    @Test
    void processorsOfOneTaskShareTheDecodedTurnsSoTheAnswerNeedsNoRead() {
        MockProcessorContext<String, StageOutput> context = new MockProcessorContext<>();
        CountingStore shared = new CountingStore();
        KeyValueStore<String, byte[]> inMemory = Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(ConversationStore.NAME), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled().build();
        inMemory.init(context.getStateStoreContext(), inMemory);
        context.addStateStore(shared.over(inMemory));
        ConversationStore.Caches caches = new ConversationStore.Caches();
        ConversationStore retrieval = ConversationStore.open(context, caches);
        ConversationStore recorder = ConversationStore.open(context, caches);

        retrieval.append(TENANT, "conv", turn("m-1", 1), 8, 100, NOW_MS);
        shared.read.set(0);
        assertThat(recorder.recordAnswer(TENANT, "conv", "m-1", "de", List.of(new Translation("en", "hi")))).isTrue();
        assertThat(retrieval.turns(TENANT, "conv").get(0).translations()).containsExactly(new Translation("en", "hi"));
        assertThat(shared.read.get()).as("store reads after the first").isZero();

        // a task initialised again (restored store, aborted transaction) starts from the store, not the cache
        ConversationStore.open(context, caches);
        List<String> keys = new ArrayList<>();
        inMemory.all().forEachRemaining(entry -> keys.add(entry.key));
        keys.forEach(inMemory::delete);
        assertThat(retrieval.turns(TENANT, "conv")).isEmpty();
        assertThat(caches.tasks()).isEqualTo(1);
        caches.detach(context.taskId());
        assertThat(caches.tasks()).isZero();
    }

    @Test
    void boundsTheCacheByTheSizeOfWhatItHolds() {
        ConversationStore.Cache cache = new ConversationStore.Cache(64 * 1024);
        for (int i = 0; i < 100; i++) {
            List<ConversationStore.StoredTurn> turns = new ArrayList<>();
            turns.add(new ConversationStore.StoredTurn(0, NOW_MS, turn("m-" + i, 1000)));
            cache.put(new ConversationStore.Conversation("c" + i, turns));
        }

        assertThat(cache.bytes()).isLessThanOrEqualTo(64 * 1024);
        assertThat(cache.size()).isBetween(1, 9);
        assertThat(cache.get("c99")).as("the most recent stays").isNotNull();
        assertThat(cache.get("c0")).as("the least recent went first").isNull();
    }

    private List<String> turnKeys() {
        return raw.keys().stream().filter(k -> k.startsWith("c")).toList();
    }

    /** An in-memory store that counts what is read from it and written to it. */
    static final class CountingStore implements KeyValueStore<String, byte[]> {
        final java.util.TreeMap<String, byte[]> entries = new java.util.TreeMap<>(
                (a, b) -> Bytes.BYTES_LEXICO_COMPARATOR.compare(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        b.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        final AtomicInteger read = new AtomicInteger();
        final AtomicInteger puts = new AtomicInteger();
        private KeyValueStore<String, byte[]> delegate;

        /** Counts reads of {@code store} instead of holding the entries itself. */
        KeyValueStore<String, byte[]> over(KeyValueStore<String, byte[]> store) {
            delegate = store;
            return this;
        }

        List<String> keys() {
            return List.copyOf(entries.keySet());
        }

        @Override
        public void put(String key, byte[] value) {
            puts.incrementAndGet();
            if (delegate != null) {
                delegate.put(key, value);
            } else if (value == null) {
                entries.remove(key);
            } else {
                entries.put(key, value);
            }
        }

        @Override
        public byte[] putIfAbsent(String key, byte[] value) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void putAll(List<KeyValue<String, byte[]>> list) {
            list.forEach(entry -> put(entry.key, entry.value));
        }

        @Override
        public byte[] delete(String key) {
            if (delegate != null) {
                return delegate.delete(key);
            }
            return entries.remove(key);
        }

        @Override
        public byte[] get(String key) {
            read.incrementAndGet();
            return delegate != null ? delegate.get(key) : entries.get(key);
        }

        @Override
        public KeyValueIterator<String, byte[]> range(String from, String to) {
            KeyValueIterator<String, byte[]> source = delegate != null ? delegate.range(from, to)
                    : iterator(entries.subMap(from, true, to, true));
            return new KeyValueIterator<>() {
                @Override
                public void close() {
                    source.close();
                }

                @Override
                public String peekNextKey() {
                    return source.peekNextKey();
                }

                @Override
                public boolean hasNext() {
                    return source.hasNext();
                }

                @Override
                public KeyValue<String, byte[]> next() {
                    read.incrementAndGet();
                    return source.next();
                }
            };
        }

        private static KeyValueIterator<String, byte[]> iterator(java.util.SortedMap<String, byte[]> entries) {
            java.util.Iterator<java.util.Map.Entry<String, byte[]>> it = new ArrayList<>(entries.entrySet()).iterator();
            return new KeyValueIterator<>() {
                @Override
                public void close() {
                }

                @Override
                public String peekNextKey() {
                    throw new UnsupportedOperationException();
                }

                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public KeyValue<String, byte[]> next() {
                    java.util.Map.Entry<String, byte[]> entry = it.next();
                    return KeyValue.pair(entry.getKey(), entry.getValue());
                }
            };
        }

        @Override
        public KeyValueIterator<String, byte[]> all() {
            return range("", "\uffff");
        }

        @Override
        public long approximateNumEntries() {
            return delegate != null ? delegate.approximateNumEntries() : entries.size();
        }

        @Override
        public String name() {
            return ConversationStore.NAME;
        }

        @Override
        public void init(org.apache.kafka.streams.processor.StateStoreContext context,
                         org.apache.kafka.streams.processor.StateStore root) {
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }

        @Override
        public boolean persistent() {
            return false;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public org.apache.kafka.streams.query.Position getPosition() {
            return org.apache.kafka.streams.query.Position.emptyPosition();
        }
    }
}
