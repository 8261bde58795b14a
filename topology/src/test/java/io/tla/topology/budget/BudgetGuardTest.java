package io.tla.topology.budget;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.testing.MutableClock;
import io.tla.schemas.ConversationType;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Sender;
import io.tla.topology.StageOutput;
import io.tla.topology.Tokens;
import io.tla.topology.TopologySettings;
import io.tla.topology.context.ConversationTurns;
import io.tla.topology.context.Turn;
import io.tla.topology.serde.CompactSerdes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The guard alone, with {@link MockProcessorContext}: how a refusal is worded for the sender, and how much a
 * request reserves.
 */
class BudgetGuardTest {

    private static final Instant NOW = Instant.parse("2026-11-25T10:15:30Z");

    /** Every request passes the daily USD limit of 0.05: its reservation is 0.10 USD. */
    private static final TopologySettings SETTINGS = TopologySettings.from(TlaConfig.of(Map.of(
            "context.turns", "0",
            "model.max-output-tokens", "100",
            "model.provider.offline.output-usd-per-1k-tokens", "1.0",
            "budget.daily-usd", "0.05")));

    private final List<String> languageAsked = new ArrayList<>();

    private StageOutput process(String detectedLanguage, String text, TopologySettings settings) {
        MockProcessorContext<String, StageOutput> context = new MockProcessorContext<>();
        KeyValueStore<String, TenantSpend> store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(BudgetGuard.TENANT_BUDGET_STORE), Serdes.String(),
                        CompactSerdes.TENANT_SPEND)
                .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        BudgetGuard guard = new BudgetGuard(settings, new MutableClock(NOW), new SimpleMeterRegistry(), t -> {
            languageAsked.add(t);
            return detectedLanguage;
        });
        guard.init(context);
        NormalizedMessage message = new NormalizedMessage("m-1", "tenant-a", "conv-1", ConversationType.PERSONAL,
                new Sender("29:1abc", "Anna Müller", "aad-anna"), text, null, null, null,
                "https://smba.trafficmanager.net/emea/", NOW);
        guard.process(new Record<>("tenant-a", message, NOW.toEpochMilli()));
        assertThat(context.forwarded()).hasSize(1);
        return context.forwarded().get(0).record().value();
    }

    @Test
    void shouldWordTheRefusalInTheSendersLanguage() {
        StageOutput output = process("de", "Guten Morgen, wie geht es?", SETTINGS);

        ReplyEvent reply = output.replies().get(0);
        assertThat(reply.kind()).isEqualTo(ReplyKind.BUDGET_EXCEEDED);
        assertThat(reply.sourceLanguage()).isEqualTo("de");
        assertThat(reply.translations()).singleElement().satisfies(t -> {
            assertThat(t.language()).isEqualTo("de");
            assertThat(t.text()).isEqualTo(BudgetRefusals.refusal("de", BudgetLimit.DAILY_USD).text())
                    .contains("tägliches Übersetzungsbudget");
        });
        assertThat(languageAsked).containsExactly("Guten Morgen, wie geht es?");
    }

    @Test
    void shouldFallBackToEnglishForALanguageWithoutARefusalText() {
        StageOutput output = process("sw", "Habari za asubuhi", SETTINGS);

        assertThat(output.replies().get(0).translations()).singleElement().satisfies(t -> {
            assertThat(t.language()).isEqualTo("en");
            assertThat(t.text()).contains("daily translation budget");
        });
    }

    @Test
    void shouldFallBackToEnglishWhenTheLanguageIsUndetermined() {
        StageOutput output = process("und", "ok", SETTINGS);

        assertThat(output.replies().get(0).translations().get(0).language()).isEqualTo("en");
    }

    @Test
    void shouldNotAskForTheLanguageOfAnAllowedMessage() {
        StageOutput output = process("de", "Guten Morgen", TopologySettings.from(TlaConfig.of(Map.of())));

        assertThat(output.next()).isPresent();
        assertThat(output.replies()).isEmpty();
        assertThat(languageAsked).isEmpty();
    }

    // --- the reservation: the text, the most context a prompt can carry, the maximum output ------------------

    /**
     * 1 USD per 1k input and per 1k output tokens, 100 output tokens, at most 50 context tokens: "Hallo" (2
     * tokens) reserves 2 + 50 + 100 = 152 tokens and 0.152 USD whenever any context turn may be sent.
     */
    private static TopologySettings reservingContext(String contextTurns, Map<String, String> limits) {
        Map<String, String> config = new HashMap<>(Map.of(
                "context.turns", contextTurns,
                "context.max-tokens", "50",
                "model.max-output-tokens", "100",
                "model.provider.offline.input-usd-per-1k-tokens", "1.0",
                "model.provider.offline.output-usd-per-1k-tokens", "1.0"));
        config.putAll(limits);
        return TopologySettings.from(TlaConfig.of(config));
    }

    /** The budget decision: carried on by an allowed request, in the message's one event when it is refused. */
    private static Map<String, Object> decision(StageOutput output) {
        return output.next().map(request -> request.facts().get("budget.decision"))
                .orElseGet(() -> output.telemetry().stream().flatMap(e -> e.facts("budget.decision").stream())
                        .findFirst().orElseThrow());
    }

    @ParameterizedTest(name = "{0} = {1}: allowed {2}")
    @CsvSource({
            "budget.daily-tokens, 152,   true",
            "budget.daily-tokens, 151,   false",
            "budget.daily-usd,    0.152, true",
            "budget.daily-usd,    0.151, false",
            "budget.monthly-usd,  0.152, true",
            "budget.monthly-usd,  0.151, false"})
    void shouldReserveTheContextTokenBoundAndAllowExactlyTheLimit(String key, String limit, boolean allowed) {
        StageOutput output = process("de", "Hallo", reservingContext("8", Map.of(key, limit)));

        assertThat(decision(output)).containsEntry("estimatedTokens", 152L)
                .containsEntry("decision", allowed ? "allowed" : "refused");
        assertThat(output.next().isPresent()).isEqualTo(allowed);
        assertThat(output.replies()).hasSize(allowed ? 0 : 1);
        output.next().ifPresent(request -> {
            assertThat(request.reservation().estimatedInputTokens()).isEqualTo(2 + 50);
            assertThat(request.reservation().estimatedCostUsd()).isEqualByComparingTo("0.152");
        });
    }

    @ParameterizedTest(name = "context.turns = {0}: {1} input tokens")
    @CsvSource({"0, 2", "1, 52", "8, 52", "64, 52"})
    void shouldReserveTheTokenBoundOnceWhateverTheNumberOfTurns(String contextTurns, long inputTokens) {
        StageOutput output = process("de", "Hallo", reservingContext(contextTurns, Map.of()));

        assertThat(output.next().orElseThrow().reservation().estimatedInputTokens()).isEqualTo(inputTokens);
    }

    @Test
    void shouldReserveAtLeastTheContextThatRetrievalCanSendInOneTurn() {
        // a single earlier turn of exactly context.max-tokens is sent whole, so the bound must not shrink per turn
        Turn earlier = new Turn("m-0", "Anna Müller", "x".repeat(200), NOW);
        List<Turn> sent = new ConversationTurns(List.of(earlier), NOW).contextFor("m-1", 8, 50);
        assertThat(sent).containsExactly(earlier);
        long sentTokens = sent.stream().mapToLong(Turn::estimatedTokens).sum();
        assertThat(sentTokens).isEqualTo(50);

        StageOutput output = process("de", "Hallo", reservingContext("8", Map.of()));

        assertThat(output.next().orElseThrow().reservation().estimatedInputTokens())
                .isEqualTo(Tokens.estimate("Hallo") + sentTokens);
    }
}
