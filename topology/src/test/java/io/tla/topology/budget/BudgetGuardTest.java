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
import io.tla.topology.TextChunks;
import java.math.BigDecimal;
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
        return process("tenant-a", detectedLanguage, text, settings);
    }

    private StageOutput process(String tenant, String detectedLanguage, String text, TopologySettings settings) {
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
        NormalizedMessage message = new NormalizedMessage("m-1", tenant, "conv-1", ConversationType.PERSONAL,
                new Sender("29:1abc", "Anna Müller", "aad-anna"), text, null, null, null,
                "https://smba.trafficmanager.net/emea/", NOW);
        guard.process(new Record<>(tenant, message, NOW.toEpochMilli()));
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
     * 1 USD per 1k input and per 1k output tokens, 100 output tokens, at most 50 context tokens, one target
     * language: "Hallo" (2 tokens, one chunk) reserves 2 + 50 + 400 (the prompt around one chunk) + 64 (the
     * instruction about context) + 100 = 616 tokens and 0.616 USD whenever any context turn may be sent.
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
            "budget.daily-tokens,   616,   true",
            "budget.daily-tokens,   615,   false",
            "budget.monthly-tokens, 616,   true",
            "budget.monthly-tokens, 615,   false",
            "budget.daily-usd,      0.616, true",
            "budget.daily-usd,      0.615, false",
            "budget.monthly-usd,    0.616, true",
            "budget.monthly-usd,    0.615, false"})
    void shouldReserveTheContextTokenBoundAndAllowExactlyTheLimit(String key, String limit, boolean allowed) {
        StageOutput output = process("de", "Hallo", reservingContext("8", Map.of(key, limit)));

        assertThat(decision(output)).containsEntry("estimatedTokens", 616L)
                .containsEntry("decision", allowed ? "allowed" : "refused");
        assertThat(output.next().isPresent()).isEqualTo(allowed);
        assertThat(output.replies()).hasSize(allowed ? 0 : 1);
        output.next().ifPresent(request -> {
            assertThat(request.reservation().estimatedInputTokens()).isEqualTo(2 + 50 + 400 + 64);
            assertThat(request.reservation().estimatedCostUsd()).isEqualByComparingTo("0.616");
        });
    }

    @ParameterizedTest(name = "context.turns = {0}: {1} input tokens")
    @CsvSource({"0, 402", "1, 516", "8, 516", "64, 516"})
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
                .isEqualTo(Tokens.estimate("Hallo") + sentTokens + BudgetGuard.promptTokensPerChunk(1)
                        + BudgetGuard.CONTEXT_INSTRUCTION_TOKENS);
    }

    // --- long texts and the provider chain: every chunk, at the dearest price the tenant may be charged --------

    /** Three sentences of 38 to 40 estimated tokens: with model.max-input-tokens = 50 each is a chunk of its own. */
    static final String THREE_CHUNKS = "Der erste Abschnitt beschreibt ausführlich, wie das neue Projekt geplant "
            + "wurde und welche Teams von Anfang an daran beteiligt sind. Der zweite Abschnitt erklärt, welche Kosten "
            + "im kommenden Quartal erwartet werden und wer sie am Ende genehmigen muss. Der dritte Abschnitt fasst "
            + "die offenen Fragen zusammen, die wir in der nächsten Besprechung gemeinsam klären wollen.";

    /**
     * Two target languages (so 384 + 2 × 16 = 416 prompt tokens per chunk), no context, 100 output tokens per
     * call, and three offline providers: {@code cheap} (eu-west; input 1, output 4 USD per 1k), {@code dear}
     * (eu-west; input 3, output 2) and {@code overseas} (us-east; input 10, output 20). The tenant
     * {@code eu-tenant} may only use providers in eu-west.
     */
    private static TopologySettings chainOfThree() {
        Map<String, String> config = new HashMap<>(Map.of(
                "context.turns", "0",
                "translation.target-languages", "en,fr",
                "model.max-input-tokens", "50",
                "model.max-output-tokens", "100",
                "model.providers", "cheap,dear,overseas",
                "tenant.eu-tenant.allowed-regions", "eu-west",
                "budget.daily-usd", "1000",
                "budget.monthly-usd", "1000"));
        provider(config, "cheap", "1.0", "4.0", "eu-west");
        provider(config, "dear", "3.0", "2.0", "eu-west");
        provider(config, "overseas", "10.0", "20.0", "us-east");
        return TopologySettings.from(TlaConfig.of(config));
    }

    private static void provider(Map<String, String> config, String name, String input, String output, String region) {
        config.put("model.provider." + name + ".type", "offline");
        config.put("model.provider." + name + ".input-usd-per-1k-tokens", input);
        config.put("model.provider." + name + ".output-usd-per-1k-tokens", output);
        config.put("model.provider." + name + ".regions", region);
    }

    @Test
    void shouldReserveTheOutputAndPromptOfEveryChunkOfALongText() {
        assertThat(TextChunks.split(THREE_CHUNKS, 50)).hasSize(3);

        BudgetReservation reservation = process("eu-tenant", "de", THREE_CHUNKS, chainOfThree()).next().orElseThrow()
                .reservation();

        assertThat(reservation.maxOutputTokens()).isEqualTo(3 * 100);
        assertThat(reservation.estimatedInputTokens()).isEqualTo(Tokens.estimate(THREE_CHUNKS) + 3 * 416);
        // the chunks' own estimates, each rounded up, fit in what was reserved for the text
        long chunkEstimates = TextChunks.split(THREE_CHUNKS, 50).stream().mapToLong(Tokens::estimate).sum();
        assertThat(chunkEstimates).isLessThanOrEqualTo(Tokens.estimate(THREE_CHUNKS) + 3);
    }

    @Test
    void shouldPriceTheReservationAtTheDearestInputAndOutputPriceTheTenantsPolicyAllows() {
        long input = Tokens.estimate(THREE_CHUNKS) + 3 * 416;

        BudgetReservation eu = process("eu-tenant", "de", THREE_CHUNKS, chainOfThree()).next().orElseThrow()
                .reservation();
        // input at dear's 3 USD, output at cheap's 4 USD: overseas is not allowed for this tenant
        assertThat(eu.estimatedCostUsd()).isEqualByComparingTo(BigDecimal.valueOf(input * 3 + 300 * 4)
                .divide(BigDecimal.valueOf(1000)));

        BudgetReservation anywhere = process("any-tenant", "de", THREE_CHUNKS, chainOfThree()).next().orElseThrow()
                .reservation();
        assertThat(anywhere.estimatedCostUsd()).isEqualByComparingTo(BigDecimal.valueOf(input * 10 + 300 * 20)
                .divide(BigDecimal.valueOf(1000)));
    }

    @Test
    void shouldReserveNothingInUsdForATenantNoProviderMaySeeWhileStillCountingItsTokens() {
        Map<String, String> config = new HashMap<>(Map.of("context.turns", "0", "model.max-output-tokens", "100",
                "model.providers", "overseas", "tenant.eu-tenant.allowed-regions", "eu-west"));
        provider(config, "overseas", "10.0", "20.0", "us-east");

        BudgetReservation reservation = process("eu-tenant", "de", "Hallo", TopologySettings.from(TlaConfig.of(config)))
                .next().orElseThrow().reservation();

        // the model stage will answer "failed" without a call; a USD limit must not refuse it first
        assertThat(reservation.estimatedCostUsd()).isEqualByComparingTo("0");
        assertThat(reservation.reservedTokens()).isEqualTo(2 + 400 + 100);
    }
}
