package io.tla.topology.context;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.Translation;
import io.tla.topology.serde.BinaryWriter;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Who wrote each stored turn is kept after the turn's fields, so context retrieval can add the languages of the
 * people who wrote the turns it sends; turns stored before (without it) still read, as turns without a sender.
 */
class ConversationSendersTest {

    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
    private static final long NOW_MS = NOW.toEpochMilli();
    private static final String TENANT = "tenant-a";

    private final ConversationStoreTest.CountingStore raw = new ConversationStoreTest.CountingStore();
    private final ConversationStore store = ConversationStore.over(raw);

    private static Turn turn(String id, String author) {
        return new Turn(id, author, "Hallo von " + author, NOW);
    }

    @Test
    void sendersOfTheTurnsSentAreNewestFirstEachOnceAndSurviveTheAnswer() {
        store.append(TENANT, "conv", turn("m-1", "Ben"), "aad-ben", 8, 1000, NOW_MS);
        store.append(TENANT, "conv", turn("m-2", "Anna"), "aad-anna", 8, 1000, NOW_MS);
        store.append(TENANT, "conv", turn("m-3", "Ben"), "aad-ben", 8, 1000, NOW_MS);
        store.append(TENANT, "conv", turn("m-4", "Guest"), null, 8, 1000, NOW_MS);
        store.recordAnswer(TENANT, "conv", "m-2", "de", List.of(new Translation("en", "Hello from Anna")));

        List<Turn> sent = store.contextFor(TENANT, "conv", "m-5", 8, 1000);
        assertThat(store.sendersOf(TENANT, "conv", sent)).containsExactly("aad-ben", "aad-anna");
        // only the turns sent count: the bounds dropped Ben's first turn, not his second
        List<Turn> lastTwo = store.contextFor(TENANT, "conv", "m-5", 2, 1000);
        assertThat(store.sendersOf(TENANT, "conv", lastTwo)).containsExactly("aad-ben");
        // read from the store, not the cache
        ConversationStore reread = ConversationStore.over(raw);
        assertThat(reread.sendersOf(TENANT, "conv", reread.contextFor(TENANT, "conv", "m-5", 8, 1000)))
                .containsExactly("aad-ben", "aad-anna");
        assertThat(reread.turns(TENANT, "conv").get(1).translations()).extracting(Translation::text)
                .containsExactly("Hello from Anna");
    }

    @Test
    void aTurnStoredBeforeSendersWereKeptReadsWithoutOne() {
        store.append(TENANT, "conv", turn("m-1", "Ben"), "aad-ben", 8, 1000, NOW_MS);
        byte[] trailing = new BinaryWriter(16).writeString("aad-ben").toByteArray();
        for (Map.Entry<String, byte[]> entry : raw.entries.entrySet()) {
            if (entry.getKey().startsWith("c")) {
                // what the earlier release wrote: the same value without the sender after the turn
                entry.setValue(Arrays.copyOf(entry.getValue(), entry.getValue().length - trailing.length));
            }
        }
        ConversationStore reread = ConversationStore.over(raw);
        List<Turn> sent = reread.contextFor(TENANT, "conv", "m-2", 8, 1000);
        assertThat(sent).extracting(Turn::text).containsExactly("Hallo von Ben");
        assertThat(reread.sendersOf(TENANT, "conv", sent)).isEmpty();
    }
}
