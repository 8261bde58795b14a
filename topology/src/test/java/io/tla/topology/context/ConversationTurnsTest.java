package io.tla.topology.context;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.JsonSerde;
import io.tla.schemas.Translation;
import io.tla.topology.TranslationRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConversationTurnsTest {

    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

    /** A turn of exactly {@code tokens} estimated tokens (4 characters each). */
    private static Turn turn(String id, int tokens) {
        return new Turn(id, "Anna", "x".repeat(tokens * 4), NOW);
    }

    private static List<String> ids(List<Turn> turns) {
        return turns.stream().map(Turn::messageId).toList();
    }

    @Test
    void shouldSendTheNewestTurnsThatFitTheTokenBoundAndDropTheOldestFirst() {
        List<Turn> turns = List.of(turn("m-1", 10), turn("m-2", 10), turn("m-3", 10), turn("m-4", 10));

        assertThat(ids(ConversationTurns.newestWithin(turns, 8, 25))).containsExactly("m-3", "m-4");
        assertThat(ids(ConversationTurns.newestWithin(turns, 8, 40))).containsExactly("m-1", "m-2", "m-3", "m-4");
        assertThat(ids(ConversationTurns.newestWithin(turns, 3, 1000))).containsExactly("m-2", "m-3", "m-4");
        assertThat(ConversationTurns.newestWithin(turns, 0, 1000)).isEmpty();
        assertThat(ConversationTurns.newestWithin(turns, 8, 0)).isEmpty();
    }

    @Test
    void shouldKeepTheContextContiguousWhenAnOlderSmallTurnWouldStillFit() {
        List<Turn> turns = List.of(turn("m-1", 1), turn("m-2", 50), turn("m-3", 10));

        assertThat(ids(ConversationTurns.newestWithin(turns, 8, 20))).containsExactly("m-3");
    }

    @Test
    void shouldCountTranslationsIntoATurnsTokens() {
        Turn translated = turn("m-1", 10).withAnswer(null, List.of(new Translation("en", "y".repeat(40)),
                new Translation("fr", "z".repeat(40))));

        assertThat(translated.estimatedTokens()).isEqualTo(30);
        assertThat(ConversationTurns.newestWithin(List.of(translated), 8, 29)).isEmpty();
    }

    @Test
    void shouldStoreWithinBothBoundsAndAlwaysKeepTheNewTurn() {
        ConversationTurns stored = ConversationTurns.EMPTY;
        for (int i = 1; i <= 5; i++) {
            stored = stored.append(turn("m-" + i, 10), 3, 1000, NOW);
        }
        assertThat(ids(stored.turns())).containsExactly("m-3", "m-4", "m-5");

        ConversationTurns huge = stored.append(turn("m-6", 5000), 3, 1000, NOW.plusSeconds(1));
        assertThat(ids(huge.turns())).containsExactly("m-6");
        assertThat(huge.lastActivity()).isEqualTo(NOW.plusSeconds(1));
        assertThat(huge.contextFor("m-7", 3, 1000)).isEmpty();
    }

    @Test
    void shouldNeverSendAMessageAsItsOwnContext() {
        ConversationTurns stored = ConversationTurns.EMPTY.append(turn("m-1", 1), 8, 100, NOW)
                .append(turn("m-2", 1), 8, 100, NOW);

        assertThat(ids(stored.contextFor("m-2", 8, 100))).containsExactly("m-1");
        // a redelivered message replaces its earlier copy instead of appearing twice
        assertThat(ids(stored.append(turn("m-1", 1), 8, 100, NOW).turns())).containsExactly("m-2", "m-1");
    }

    @Test
    void shouldRecordTranslationsOnlyOnTheTurnTheyAnswer() {
        ConversationTurns stored = ConversationTurns.EMPTY.append(turn("m-1", 1), 8, 100, NOW)
                .append(turn("m-2", 1), 8, 100, NOW);

        ConversationTurns answered = stored.withAnswer("m-1", null, List.of(new Translation("en", "hello")));

        assertThat(answered.turns().get(0).translations()).containsExactly(new Translation("en", "hello"));
        assertThat(answered.turns().get(1).translations()).isEmpty();
        assertThat(answered.lastActivity()).isEqualTo(stored.lastActivity());
    }

    @Test
    void shouldReadStoredTurnsWrittenBeforeLanguageTranslationsAndActivityWereKept() {
        JsonSerde<ConversationTurns> serde = new JsonSerde<>(ConversationTurns.class);
        String before = "{\"turns\":[{\"messageId\":\"m-1\",\"senderName\":\"Anna\",\"text\":\"Hallo\","
                + "\"at\":\"2026-11-20T08:00:00Z\"}]}";

        ConversationTurns read = serde.deserializer().deserialize("t", before.getBytes(StandardCharsets.UTF_8));

        assertThat(read.turns().get(0).translations()).isEmpty();
        assertThat(read.turns().get(0).sourceLanguage()).isNull();
        assertThat(read.lastActiveAt()).isEqualTo(Instant.parse("2026-11-20T08:00:00Z"));
    }

    @Test
    void shouldRoundTripTurnsAndRequestsWithLanguageAndTranslations() {
        JsonSerde<ConversationTurns> turnsSerde = new JsonSerde<>(ConversationTurns.class);
        ConversationTurns turns = ConversationTurns.EMPTY
                .append(new Turn("m-1", "Anna", "Hallo zusammen", NOW, "de", List.of(new Translation("en", "Hi all"))),
                        8, 100, NOW);
        byte[] stored = turnsSerde.serializer().serialize("t", turns);
        assertThat(new String(stored, StandardCharsets.UTF_8)).doesNotContain("lastActiveAt", "estimatedTokens");
        assertThat(turnsSerde.deserializer().deserialize("t", stored)).isEqualTo(turns);

        JsonSerde<TranslationRequest> requests = new JsonSerde<>(TranslationRequest.class);
        TranslationRequest request = new TranslationRequest(null, List.of("en", "fr"), null, List.of())
                .withContext(turns.turns()).withTone("polite").withSourceLanguage("de", List.of("en", "fr"));
        assertThat(requests.deserializer().deserialize("t", requests.serializer().serialize("t", request)))
                .isEqualTo(request);
    }

    @Test
    void givesTheContextBeforeAMessageWithoutTheTurnsThatCameAfterIt() {
        ConversationTurns stored = ConversationTurns.EMPTY;
        for (int i = 1; i <= 4; i++) {
            stored = stored.append(turn("m-" + i, 10), 8, 1_000, NOW);
        }

        assertThat(ids(stored.contextBefore("m-3", 8, 1_000))).containsExactly("m-1", "m-2");
        assertThat(ids(stored.contextBefore("m-3", 1, 1_000))).containsExactly("m-2");
        assertThat(stored.contextBefore("m-1", 8, 1_000)).isEmpty();
        assertThat(stored.contextBefore("gone", 8, 1_000)).isEmpty();
    }
}
