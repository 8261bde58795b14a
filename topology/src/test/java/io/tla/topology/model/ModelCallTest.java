package io.tla.topology.model;

import static io.tla.topology.TopologyHarness.message;
import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.schemas.NormalizedMessage;
import io.tla.topology.StageOutput;
import io.tla.topology.TopologyHarness;
import io.tla.topology.TranslationRequest;
import io.tla.topology.budget.BudgetReservation;
import io.tla.topology.budget.BudgetSettlement;
import io.tla.topology.context.ConversationStore;
import io.tla.topology.context.Turn;
import io.tla.topology.serde.CompactSerdes;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import io.tla.topology.budget.BudgetGuard;
import io.tla.topology.budget.TenantSpend;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCallTest {

    private static final String TENANT = "tenant-a";

    @TempDir
    Path stateDir;

    /** A provider whose answers the test gives, one future per call, in call order. */
    static final class ManualProvider implements ModelProvider {
        /** {@code thread}: the thread the call was made on. */
        record Call(ModelRequest request, CompletableFuture<ModelResponse> answer, String thread) {
        }

        final List<Call> calls = new CopyOnWriteArrayList<>();

        @Override
        public String name() {
            return "manual";
        }

        @Override
        public CompletionStage<ModelResponse> translate(ModelRequest request) {
            CompletableFuture<ModelResponse> answer = new CompletableFuture<>();
            calls.add(new Call(request, answer, Thread.currentThread().getName()));
            return answer;
        }

        List<String> calledMessageIds() {
            return calls.stream().map(call -> call.request().messageId()).toList();
        }

        void answer(String messageId) {
            Call call = calls.stream().filter(c -> c.request().messageId().equals(messageId)).findFirst().orElseThrow();
            call.answer().complete(new ModelResponse("manual", "manual-1", "de",
                    List.of(new Translation("en", "translated " + messageId)), new Usage(10, 5, new BigDecimal("0.001"))));
        }

        void fail(String messageId) {
            calls.stream().filter(c -> c.request().messageId().equals(messageId)).findFirst().orElseThrow()
                    .answer().completeExceptionally(new IllegalStateException("provider down"));
        }
    }

    private static Map<String, String> config(int maxInFlight) {
        return Map.of("model.providers", "manual", "model.provider.manual.type", "offline",
                "model.provider.manual.max-in-flight", Integer.toString(maxInFlight));
    }

    private static void drain(TopologyHarness harness) {
        harness.driver.advanceWallClockTime(Duration.ofMillis(20));
    }

    @Test
    void dispatchesOneCallPerConversationAtATimeAndKeepsEachConversationsOrder() {
        ManualProvider provider = new ManualProvider();
        try (TopologyHarness harness = new TopologyHarness(stateDir, config(256), provider)) {
            harness.send(message(TENANT, "conv-a", "a1", "Eins"));
            harness.send(message(TENANT, "conv-a", "a2", "Zwei"));
            harness.send(message(TENANT, "conv-b", "b1", "Drei"));
            assertThat(provider.calledMessageIds()).containsExactly("a1", "b1");

            provider.answer("b1");
            drain(harness);
            assertThat(harness.replies.readValuesToList()).extracting(ReplyEvent::replyToId).containsExactly("b1");

            provider.answer("a1");
            drain(harness);
            assertThat(provider.calledMessageIds()).containsExactly("a1", "b1", "a2");
            provider.answer("a2");
            drain(harness);
            assertThat(harness.replies.readValuesToList()).extracting(ReplyEvent::replyToId).containsExactly("a1", "a2");
        }
    }

    @Test
    void neverHasMoreCallsInFlightThanTheLimitAndDispatchesWaitingConversationsAsCallsFinish() {
        ManualProvider provider = new ManualProvider();
        try (TopologyHarness harness = new TopologyHarness(stateDir, config(2), provider)) {
            harness.send(message(TENANT, "conv-a", "a1", "Eins"));
            harness.send(message(TENANT, "conv-b", "b1", "Zwei"));
            harness.send(message(TENANT, "conv-c", "c1", "Drei"));
            assertThat(provider.calledMessageIds()).containsExactly("a1", "b1");

            provider.answer("a1");
            drain(harness);
            assertThat(provider.calledMessageIds()).containsExactly("a1", "b1", "c1");
            assertThat(harness.replies.readValuesToList()).extracting(ReplyEvent::replyToId).containsExactly("a1");
        }
    }

    @Test
    void dispatchesPendingRequestsAgainAfterARestartAndRepliesExactlyOnce() {
        // One store outlives two processor instances, as the changelog-restored store outlives a crashed task.
        MockProcessorContext<String, StageOutput> firstContext = new MockProcessorContext<>();
        KeyValueStore<String, PendingCall> store = pendingStore(firstContext);
        ManualProvider first = new ManualProvider();
        ModelCall crashed = modelCall(first);
        crashed.init(firstContext);
        process(firstContext, crashed, 0, "a1");
        process(firstContext, crashed, 1, "a2");
        assertThat(first.calledMessageIds()).containsExactly("a1");
        crashed.close();
        first.answer("a1"); // arrives after close: dropped, never forwarded
        assertThat(firstContext.forwarded()).isEmpty();

        MockProcessorContext<String, StageOutput> secondContext = new MockProcessorContext<>();
        secondContext.addStateStore(store);
        addCacheStore(secondContext);
        addTurnsStore(secondContext);
        ManualProvider second = new ManualProvider();
        ModelCall restarted = modelCall(second);
        restarted.init(secondContext);
        assertThat(second.calledMessageIds()).containsExactly("a1");

        second.answer("a1");
        punctuate(secondContext);
        second.answer("a2");
        punctuate(secondContext);
        assertThat(secondContext.forwarded()).extracting(f -> f.record().value().replies().get(0).replyToId())
                .containsExactly("a1", "a2");
        assertThat(store.approximateNumEntries()).isZero();
    }

    private static ModelCall modelCall(ModelProvider provider) {
        return new ModelCall(provider, new InFlightLimit(256),
                io.tla.topology.TopologySettings.from(io.tla.platform.config.TlaConfig.of(Map.of())),
                java.time.Clock.fixed(TopologyHarness.NOW, java.time.ZoneOffset.UTC), new SimpleMeterRegistry(),
                Runnable::run);
    }

    /** The pending store, plus empty cache and conversation-turns stores, registered with the context. */
    private static KeyValueStore<String, PendingCall> pendingStore(MockProcessorContext<String, StageOutput> context) {
        KeyValueStore<String, PendingCall> store = Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(ModelCall.PENDING_STORE), Serdes.String(),
                CompactSerdes.PENDING_CALL).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        addCacheStore(context);
        addTurnsStore(context);
        return store;
    }

    private static KeyValueStore<String, byte[]> addTurnsStore(MockProcessorContext<String, StageOutput> context) {
        KeyValueStore<String, byte[]> turns = Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(ConversationStore.NAME), Serdes.String(),
                Serdes.ByteArray()).withLoggingDisabled().build();
        turns.init(context.getStateStoreContext(), turns);
        context.addStateStore(turns);
        return turns;
    }

    private static void addCacheStore(MockProcessorContext<String, StageOutput> context) {
        KeyValueStore<String, CachedTranslation> cache = Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(TranslationCache.STORE), Serdes.String(),
                CompactSerdes.CACHED_TRANSLATION).withLoggingDisabled().build();
        cache.init(context.getStateStoreContext(), cache);
        context.addStateStore(cache);
    }

    private static void process(MockProcessorContext<String, StageOutput> context, ModelCall call, long offset, String id) {
        context.setRecordMetadata("tla-streams-messages-by-tenant-repartition", 0, offset);
        NormalizedMessage message = message(TENANT, "conv-a", id, "Text " + id);
        BudgetReservation reservation = new BudgetReservation("2026-11-25", 1, 10, BigDecimal.ZERO);
        call.process(new Record<>("conv-a", new TranslationRequest(message, List.of("en"), reservation, List.of()),
                TopologyHarness.NOW.toEpochMilli()));
    }

    private static void punctuate(MockProcessorContext<String, StageOutput> context) {
        context.scheduledPunctuators().forEach(p -> p.getPunctuator().punctuate(System.currentTimeMillis()));
    }

    @Test
    void keepsPendingRequestsWithoutTheirContextAndReadsItBackFromTheTurnsAfterARestart() {
        MockProcessorContext<String, StageOutput> firstContext = new MockProcessorContext<>();
        KeyValueStore<String, PendingCall> store = pendingStore(firstContext);
        KeyValueStore<String, byte[]> turns = firstContext.getStateStore(ConversationStore.NAME);
        java.time.Instant at = TopologyHarness.NOW;
        ConversationStore conversations = ConversationStore.over(turns);
        conversations.append(TENANT, "conv-a", new Turn("a0", "Anna", "Guten Morgen", at), 8, 1_000, at.toEpochMilli());
        conversations.append(TENANT, "conv-a", new Turn("a1", "Ben", "Hallo Anna", at), 8, 1_000, at.toEpochMilli());
        conversations.append(TENANT, "conv-a", new Turn("a2", "Anna", "Wie geht's?", at), 8, 1_000, at.toEpochMilli());
        List<Turn> conversation = conversations.turns(TENANT, "conv-a");
        ManualProvider first = new ManualProvider();
        ModelCall crashed = modelCall(first);
        crashed.init(firstContext);
        firstContext.setRecordMetadata("tla-streams-messages-by-tenant-repartition", 0, 7);
        // a1 arrived when a0 was its only earlier turn; a2 came later and waits behind it
        call(crashed, "a1", conversation.subList(0, 1));
        assertThat(first.calls).singleElement()
                .satisfies(c -> assertThat(c.request().context()).extracting(Turn::messageId).containsExactly("a0"));
        assertThat(store.all().next().value.request().context()).isEmpty();
        crashed.close();

        MockProcessorContext<String, StageOutput> secondContext = new MockProcessorContext<>();
        secondContext.addStateStore(store);
        addCacheStore(secondContext);
        secondContext.addStateStore(turns);
        ManualProvider second = new ManualProvider();
        modelCall(second).init(secondContext);

        // after the restart: the turns before the message (not the later a2), as retrieval gave them when it arrived
        assertThat(second.calls).singleElement()
                .satisfies(c -> assertThat(c.request().context()).extracting(Turn::messageId).containsExactly("a0"));
    }

    private static void call(ModelCall call, String id, List<Turn> context) {
        NormalizedMessage message = message(TENANT, "conv-a", id, "Text " + id);
        call.process(new Record<>(TENANT, new TranslationRequest(message, List.of("en"),
                new BudgetReservation("2026-11-25", 1, 10, BigDecimal.ZERO), context), TopologyHarness.NOW.toEpochMilli()));
    }

    @Test
    void sendsAMessageAlreadyInTheOnlyTargetLanguageNowhereAndReleasesItsReservation() {
        MockProcessorContext<String, StageOutput> context = new MockProcessorContext<>();
        KeyValueStore<String, PendingCall> store = pendingStore(context);
        ManualProvider provider = new ManualProvider();
        ModelCall call = modelCall(provider);
        call.init(context);
        context.setRecordMetadata("tla-streams-messages-by-tenant-repartition", 0, 0);
        NormalizedMessage message = message(TENANT, "conv-a", "a1",
                "Could you send me the latest version of the quarterly report before noon?");
        BudgetReservation reservation = new BudgetReservation("2026-11-25", 20, 100, new BigDecimal("0.1"));

        call.process(new Record<>(TENANT, new TranslationRequest(message, List.of("en"), reservation, List.of()),
                TopologyHarness.NOW.toEpochMilli()));

        assertThat(provider.calls).isEmpty();
        StageOutput output = context.forwarded().get(0).record().value();
        assertThat(output.replies()).isEmpty();
        assertThat(output.next()).isEmpty();
        assertThat(output.settlements()).containsExactly(BudgetSettlement.release(TENANT, "a1", reservation));
        // the skip ends the message's path: its one event carries the skip
        assertThat(output.telemetry()).singleElement().satisfies(event -> {
            assertThat(event.type()).isEqualTo(TelemetryEvent.Types.MESSAGE_PROCESSED);
            assertThat(event.eventId()).isEqualTo("message.processed:" + TENANT + ":a1");
            assertThat(event.facts("translation.skipped").orElseThrow()).containsEntry("language", "en")
                    .containsEntry("reason", "already-in-target-language");
        });
        assertThat(store.approximateNumEntries()).isZero();
    }

    @Test
    void detectsTheSourceLanguageOnTheDetectionExecutorAndAsksOnlyForTheTargetsStillNeeded() throws Exception {
        ExecutorService detection = Executors.newSingleThreadExecutor(task -> new Thread(task, "detection-under-test"));
        try {
            MockProcessorContext<String, StageOutput> context = new MockProcessorContext<>();
            pendingStore(context);
            ManualProvider provider = new ManualProvider();
            ModelCall call = new ModelCall(provider, new InFlightLimit(256),
                    io.tla.topology.TopologySettings.from(io.tla.platform.config.TlaConfig.of(Map.of())),
                    java.time.Clock.fixed(TopologyHarness.NOW, java.time.ZoneOffset.UTC), new SimpleMeterRegistry(),
                    detection);
            call.init(context);
            context.setRecordMetadata("tla-streams-messages-by-tenant-repartition", 0, 0);
            NormalizedMessage message = message(TENANT, "conv-a", "a1",
                    "Guten Morgen zusammen, können wir das Meeting auf Donnerstag verschieben?");
            call.process(new Record<>(TENANT, new TranslationRequest(message, List.of("de", "en"),
                    new BudgetReservation("2026-11-25", 20, 100, BigDecimal.ZERO), List.of()),
                    TopologyHarness.NOW.toEpochMilli()));
            detection.submit(() -> { }).get(); // the single detection thread has run everything before it

            assertThat(provider.calls).singleElement().satisfies(c -> {
                assertThat(c.thread()).isEqualTo("detection-under-test");
                assertThat(c.request().sourceLanguage()).isEqualTo("de");
                assertThat(c.request().targetLanguages()).containsExactly("en");
            });
            provider.answer("a1");
            punctuate(context);
            assertThat(context.forwarded()).singleElement()
                    .satisfies(f -> assertThat(f.record().value().replies()).singleElement()
                            .satisfies(reply -> assertThat(reply.sourceLanguage()).isEqualTo("de")));
        } finally {
            detection.shutdownNow();
        }
    }

    @Test
    void turnsAProviderFailureIntoAFailedReplyAndReleasesTheReservation() {
        ManualProvider provider = new ManualProvider();
        Map<String, String> config = new java.util.HashMap<>(config(256));
        config.put("model.provider.manual.output-usd-per-1k-tokens", "1.0");
        try (TopologyHarness harness = new TopologyHarness(stateDir, config, provider)) {
            harness.send(message(TENANT, "conv-a", "a1", "Eins"));
            TenantSpend reserved = harness.driver.<String, TenantSpend>getKeyValueStore(BudgetGuard.TENANT_BUDGET_STORE)
                    .get(TENANT + "|2026-11-25");
            assertThat(reserved.spentUsd()).isPositive();

            provider.fail("a1");
            drain(harness);

            ReplyEvent reply = harness.replies.readValue();
            assertThat(reply.kind()).isEqualTo(ReplyKind.FAILED);
            assertThat(reply.replyToId()).isEqualTo("a1");
            TenantSpend settled = harness.driver.<String, TenantSpend>getKeyValueStore(BudgetGuard.TENANT_BUDGET_STORE)
                    .get(TENANT + "|2026-11-25");
            assertThat(settled.spentUsd()).isZero();
            assertThat(perType(harness.telemetry.readValuesToList())).filteredOn(e -> e.type().equals("model.call"))
                    .singleElement().satisfies(e -> assertThat(e.attributes()).containsEntry("outcome", "error")
                            .containsEntry("error", "IllegalStateException"));
        }
    }

    @Test
    void aFailureInOneConversationDoesNotHoldUpTheNextRequestOfIt() {
        ManualProvider provider = new ManualProvider();
        try (TopologyHarness harness = new TopologyHarness(stateDir, config(256), provider)) {
            harness.send(message(TENANT, "conv-a", "a1", "Eins"));
            harness.send(message(TENANT, "conv-a", "a2", "Zwei"));
            provider.fail("a1");
            drain(harness);
            provider.answer("a2");
            drain(harness);
            assertThat(harness.replies.readValuesToList()).extracting(r -> r.replyToId() + ":" + r.kind().wireName())
                    .containsExactly("a1:failed", "a2:translation");
        }
    }

    @Test
    void servesARepeatedTextFromTheCacheWithoutAModelCallAndAtNoCost() {
        ManualProvider provider = new ManualProvider();
        try (TopologyHarness harness = new TopologyHarness(stateDir, config(256), provider)) {
            harness.send(message(TENANT, "conv-a", "a1", "Guten  Morgen"));
            provider.answer("a1");
            drain(harness);
            harness.send(message(TENANT, "conv-b", "b1", "Guten Morgen"));
            drain(harness);

            assertThat(provider.calledMessageIds()).containsExactly("a1");
            List<ReplyEvent> out = harness.replies.readValuesToList();
            assertThat(out).extracting(ReplyEvent::replyToId).containsExactly("a1", "b1");
            assertThat(out.get(1).translations()).isEqualTo(out.get(0).translations());
            assertThat(out.get(1).usage().costUsd()).isZero();
            assertThat(perType(harness.telemetry.readValuesToList())).filteredOn(e -> e.type().equals("model.call"))
                    .extracting(e -> e.attributes().get("cache")).containsExactly("miss", "hit");
        }
    }

    @Test
    void neverSharesCachedTranslationsBetweenTenants() {
        ManualProvider provider = new ManualProvider();
        try (TopologyHarness harness = new TopologyHarness(stateDir, config(256), provider)) {
            harness.send(message(TENANT, "conv-a", "a1", "Guten Morgen"));
            provider.answer("a1");
            drain(harness);
            harness.send(message("tenant-b", "conv-b", "b1", "Guten Morgen"));
            assertThat(provider.calledMessageIds()).containsExactly("a1", "b1");
        }
    }

    @Test
    void sameTextInTwoConversationsWithDifferentContextDoesNotShareACacheEntry() {
        ManualProvider provider = new ManualProvider();
        try (TopologyHarness harness = new TopologyHarness(stateDir, config(256), provider)) {
            harness.send(message(TENANT, "conv-a", "a0", "Der Vertrag mit Contoso ist geheim"));
            provider.answer("a0");
            drain(harness);
            harness.send(message(TENANT, "conv-a", "a1", "Guten Morgen"));
            provider.answer("a1");
            drain(harness);
            harness.send(message(TENANT, "conv-b", "b0", "Wie spät ist es?"));
            provider.answer("b0");
            drain(harness);
            harness.send(message(TENANT, "conv-b", "b1", "Guten Morgen"));
            drain(harness);

            // b1 carries conv-b's turn, a1 carried conv-a's: a1's answer must not be served for b1
            assertThat(provider.calledMessageIds()).containsExactly("a0", "a1", "b0", "b1");
            assertThat(provider.calls.get(3).request().context()).extracting(Turn::text)
                    .containsExactly("Wie spät ist es?");
            String withA = TranslationCache.key(TENANT, "manual", List.of("en"), "tone",
                    provider.calls.get(1).request().context(), "Guten Morgen");
            String withB = TranslationCache.key(TENANT, "manual", List.of("en"), "tone",
                    provider.calls.get(3).request().context(), "Guten Morgen");
            assertThat(withA).isNotEqualTo(withB);
        }
    }

    @Test
    void twoTenantsNeverShareACacheKeyWhateverTheyShareOtherwise() {
        List<Turn> turns = List.of(new Turn("m-0", "Anna", "Hallo", TopologyHarness.NOW));
        assertThat(TranslationCache.key("tenant-a", "manual", List.of("en"), "tone", turns, "Guten Morgen"))
                .isNotEqualTo(TranslationCache.key("tenant-b", "manual", List.of("en"), "tone", turns, "Guten Morgen"))
                .startsWith("tenant-a|");
        // the same prompt context (ids and times aside) is the same key: equal contexts may share answers
        assertThat(TranslationCache.key("tenant-a", "manual", List.of("en"), "tone", turns, "Guten Morgen"))
                .isEqualTo(TranslationCache.key("tenant-a", "manual", List.of("en"), "tone",
                        List.of(new Turn("m-9", "Anna", "Hallo", TopologyHarness.NOW.plusSeconds(60))),
                        "Guten Morgen"));
    }

    @Test
    void retriesAMalformedAnswerOnceThenRepliesFailed() {
        ManualProvider provider = new ManualProvider();
        Map<String, String> config = new java.util.HashMap<>(config(256));
        config.put("translation.target-languages", "en,fr");
        try (TopologyHarness harness = new TopologyHarness(stateDir, config, provider)) {
            harness.send(message(TENANT, "conv-a", "a1", "Eins"));
            provider.answer("a1"); // English only: malformed for en,fr
            drain(harness);
            assertThat(provider.calledMessageIds()).containsExactly("a1", "a1");
            assertThat(harness.replies.isEmpty()).isTrue();

            provider.calls.get(1).answer().complete(new ModelResponse("manual", "manual-1", "de",
                    List.of(new Translation("en", "One")), Usage.NONE));
            drain(harness);
            ReplyEvent reply = harness.replies.readValue();
            assertThat(reply.kind()).isEqualTo(ReplyKind.FAILED);
            assertThat(perType(harness.telemetry.readValuesToList())).filteredOn(e -> e.type().equals("model.call"))
                    .singleElement().satisfies(e -> assertThat(e.attributes())
                            .containsEntry("error", "malformed-output").containsEntry("attempt", 2));
        }
    }

    @Test
    void acceptsAMalformedAnswerFollowedByAGoodOne() {
        ManualProvider provider = new ManualProvider();
        Map<String, String> config = new java.util.HashMap<>(config(256));
        config.put("translation.target-languages", "en,fr");
        try (TopologyHarness harness = new TopologyHarness(stateDir, config, provider)) {
            harness.send(message(TENANT, "conv-a", "a1", "Eins"));
            provider.answer("a1");
            drain(harness);
            provider.calls.get(1).answer().complete(new ModelResponse("manual", "manual-1", "de",
                    List.of(new Translation("fr", "Un"), new Translation("en", "One")), Usage.NONE));
            drain(harness);
            assertThat(harness.replies.readValue().kind()).isEqualTo(ReplyKind.TRANSLATION);
        }
    }

    @Test
    void splitsALongTextIntoSentenceChunksAndJoinsTheTranslationsInOrder() {
        ManualProvider provider = new ManualProvider();
        Map<String, String> config = new java.util.HashMap<>(config(256));
        config.put("model.max-input-tokens", "50"); // one sentence (about 30 tokens) per chunk
        String first = "Das ist der erste Satz, und er ist ziemlich lang, damit er allein fast einen ganzen Abschnitt der Nachricht füllt. ";
        String second = "Hier kommt der zweite Satz, ebenfalls lang genug, um einen eigenen Abschnitt für sich allein zu brauchen. ";
        String third = "Und zum Schluss ein dritter Satz, der wieder einen eigenen Abschnitt braucht, weil er so lang geraten ist.";
        try (TopologyHarness harness = new TopologyHarness(stateDir, config, provider)) {
            harness.send(message(TENANT, "conv-a", "a1", first + second + third));
            assertThat(provider.calls).hasSize(3);
            assertThat(provider.calls).extracting(c -> c.request().text())
                    .containsExactly(first.strip(), second.strip(), third.strip());
            // answer out of order: the joined text still follows the original order
            for (int i : new int[] {2, 0, 1}) {
                provider.calls.get(i).answer().complete(new ModelResponse("manual", "manual-1", "de",
                        List.of(new Translation("en", "part" + i)), new Usage(10, 5, BigDecimal.ZERO)));
            }
            drain(harness);
            ReplyEvent reply = harness.replies.readValue();
            assertThat(reply.translations()).containsExactly(new Translation("en", "part0 part1 part2"));
            assertThat(reply.usage().inputTokens()).isEqualTo(30);
        }
    }

    @Test
    void reportsTheFallbacksOfEveryChunkOfALongText() {
        ManualProvider provider = new ManualProvider();
        Map<String, String> config = new java.util.HashMap<>(config(256));
        config.put("model.max-input-tokens", "50");
        String first = "Das ist der erste Satz, und er ist ziemlich lang, damit er allein fast einen ganzen Abschnitt der Nachricht füllt. ";
        String second = "Hier kommt der zweite Satz, ebenfalls lang genug, um einen eigenen Abschnitt für sich allein zu brauchen.";
        try (TopologyHarness harness = new TopologyHarness(stateDir, config, provider)) {
            harness.send(message(TENANT, "conv-a", "a1", first + second));
            assertThat(provider.calls).hasSize(2);
            for (int i = 0; i < 2; i++) {
                provider.calls.get(i).answer().complete(new ModelResponse("backup", "manual-1", "de",
                        List.of(new Translation("en", "part" + i)), new Usage(10, 5, BigDecimal.ZERO),
                        List.of(new ModelResponse.Fallback("primary", "backup", "http-503", 1))));
            }
            drain(harness);

            assertThat(harness.replies.readValue().provider()).isEqualTo("backup");
            assertThat(harness.telemetry.readValuesToList()).filteredOn(e -> e.type().equals("model.fallback"))
                    .hasSize(2).allSatisfy(e -> assertThat(e.attributes()).containsEntry("reason", "http-503"));
        }
    }

    @Test
    void sendsTheApplicableGlossaryTermsAndFlagsAStrictTermTheAnswerDidNotUse() {
        ManualProvider provider = new ManualProvider();
        try (TopologyHarness harness = new TopologyHarness(stateDir, config(256), provider)) {
            harness.define(new io.tla.schemas.GlossaryEntry(TENANT, io.tla.schemas.GlossaryEntry.Scope.TENANT, null,
                    "Angebot", "en", "quotation", true, TopologyHarness.NOW));
            harness.send(message(TENANT, "conv-a", "a1", "Bitte schick mir das Angebot bis Freitag."));

            assertThat(provider.calls.get(0).request().glossary()).singleElement()
                    .satisfies(term -> assertThat(term.targetTerm()).isEqualTo("quotation"));
            provider.answer("a1"); // "translated a1": no "quotation" in it
            drain(harness);

            ReplyEvent reply = harness.replies.readValue();
            assertThat(reply.translations().get(0).text()).startsWith("translated a1").contains("quotation");
            assertThat(harness.telemetry.readValuesToList()).filteredOn(e -> e.type().equals("glossary.violation"))
                    .singleElement().satisfies(e -> assertThat(e.attributes())
                            .containsEntry("sourceTerm", "Angebot").containsEntry("targetLanguage", "en"));
        }
    }

    @Test
    void emitsOneFallbackEventPerProviderPassedOverAndRepliesAsTheProviderThatAnswered() {
        ManualProvider provider = new ManualProvider();
        try (TopologyHarness harness = new TopologyHarness(stateDir, config(256), provider)) {
            harness.send(message(TENANT, "conv-a", "a1", "Eins"));
            provider.calls.get(0).answer().complete(new ModelResponse("backup", "backup-1", "de",
                    List.of(new Translation("en", "One")), Usage.NONE, List.of(
                            new ModelResponse.Fallback("primary", "secondary", "http-503", 1),
                            new ModelResponse.Fallback("secondary", "backup", "timeout", 2))));
            drain(harness);

            ReplyEvent reply = harness.replies.readValue();
            assertThat(reply.kind()).isEqualTo(ReplyKind.TRANSLATION);
            assertThat(reply.provider()).isEqualTo("backup");
            assertThat(harness.telemetry.readValuesToList()).filteredOn(e -> e.type().equals("model.fallback"))
                    .extracting(e -> e.attributes())
                    .containsExactly(
                            Map.of("from", "primary", "to", "secondary", "reason", "http-503", "attempt", 1),
                            Map.of("from", "secondary", "to", "backup", "reason", "timeout", "attempt", 2));
        }
    }

    @Test
    void reportsEveryFallbackWhenAllProvidersFailedAndRepliesFailed() {
        ManualProvider provider = new ManualProvider();
        try (TopologyHarness harness = new TopologyHarness(stateDir, config(256), provider)) {
            harness.send(message(TENANT, "conv-a", "a1", "Eins"));
            provider.calls.get(0).answer().completeExceptionally(new AllProvidersFailedException("backup", "http-500",
                    List.of(new ModelResponse.Fallback("primary", "backup", "breaker-open", 1),
                            new ModelResponse.Fallback("backup", "none", "http-500", 2))));
            drain(harness);

            assertThat(harness.replies.readValue().kind()).isEqualTo(ReplyKind.FAILED);
            assertThat(harness.telemetry.readValuesToList()).filteredOn(e -> e.type().equals("model.fallback"))
                    .extracting(e -> e.attributes().get("reason")).containsExactly("breaker-open", "http-500");
        }
    }

    /** The events of each type, also those a message's one event carries. */
    private static List<TelemetryEvent> perType(List<TelemetryEvent> events) {
        return events.stream().flatMap(event -> event.perType().stream()).toList();
    }
}
