package io.tla.topology.model;

import static io.tla.topology.TopologyHarness.message;
import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.tla.topology.TopologyHarness;
import io.tla.topology.TranslationRequest;
import io.tla.topology.budget.BudgetReservation;
import io.tla.topology.model.ModelCallTest.ManualProvider;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The dispatcher alone: no Kafka Streams, a provider the test answers, the caller's thread as the stream thread. */
class ModelDispatcherTest {

    private static final String TENANT = "tenant-a";
    private static final String GERMAN = "Können wir das Meeting bitte auf Donnerstagnachmittag verschieben?";
    private static final String ENGLISH = "Could you please send me the latest version of the quarterly report?";

    private final ManualProvider provider = new ManualProvider();
    /** Conversation → its pending requests, oldest first: what the pending queue would hold. */
    private final Map<String, ArrayDeque<ModelDispatcher.Head>> queues = new HashMap<>();
    private final MapCache cache = new MapCache();
    private final List<ExecutorService> executors = new ArrayList<>();

    /** A cache in a map, answering with zero usage as the translation cache does. */
    static final class MapCache implements ModelDispatcher.ResponseCache {
        final Map<String, ModelResponse> entries = new HashMap<>();
        int lookups;

        @Override
        public Optional<ModelResponse> lookup(String key, long nowMs) {
            lookups++;
            return Optional.ofNullable(entries.get(key));
        }

        @Override
        public void put(String key, ModelResponse response, long nowMs) {
            entries.put(key, response);
        }
    }

    @AfterEach
    void stopExecutors() {
        executors.forEach(ExecutorService::shutdownNow);
    }

    private ModelDispatcher dispatcher(InFlightLimit limit) {
        return dispatcher(limit, Runnable::run, Duration.ofSeconds(30), 1_000);
    }

    private ModelDispatcher dispatcher(InFlightLimit limit, java.util.concurrent.Executor detection, Duration timeout,
                                       int maxInputTokens) {
        return new ModelDispatcher(provider, limit, detection, cache, Clock.fixed(TopologyHarness.NOW, ZoneOffset.UTC),
                timeout, maxInputTokens, 100);
    }

    /** Queues a request and tells the dispatcher its conversation has one. */
    private void queue(ModelDispatcher dispatcher, String conversation, String id, String text, String... targets) {
        TranslationRequest request = new TranslationRequest(message(TENANT, conversation, id, text),
                targets.length == 0 ? List.of("en") : List.of(targets),
                new BudgetReservation("2026-11-25", 1, 10, BigDecimal.ZERO), List.of());
        queues.computeIfAbsent(conversation, c -> new ArrayDeque<>())
                .addLast(new ModelDispatcher.Head(conversation + "|" + id, request));
        dispatcher.wake(conversation);
    }

    /** German text of its own, so the cache cannot answer it for another message. */
    private static String german(String id) {
        return GERMAN + " (" + id + ")";
    }

    private ModelDispatcher.Head head(String conversation) {
        ArrayDeque<ModelDispatcher.Head> queue = queues.get(conversation);
        return queue == null ? null : queue.peekFirst();
    }

    /** What the stream thread does with finished calls: drops each from its queue, wakes its conversation. */
    private List<ModelCompletion> drainAndDispatch(ModelDispatcher dispatcher) {
        List<ModelCompletion> done = dispatcher.drain();
        for (ModelCompletion completion : done) {
            queues.get(completion.conversation()).removeIf(head -> head.key().equals(completion.key()));
            if (head(completion.conversation()) != null) {
                dispatcher.wake(completion.conversation());
            }
        }
        dispatcher.dispatchWaiting(this::head);
        return done;
    }

    @Test
    void sendsOneRequestPerConversationAtATimeAndOtherConversationsAtOnce() {
        ModelDispatcher dispatcher = dispatcher(new InFlightLimit(256));
        queue(dispatcher, "conv-a", "a1", german("a1"));
        queue(dispatcher, "conv-a", "a2", german("a2"));
        queue(dispatcher, "conv-b", "b1", german("b1"));
        dispatcher.dispatchWaiting(this::head);
        assertThat(provider.calledMessageIds()).containsExactly("a1", "b1");
        assertThat(dispatcher.busy()).isTrue();

        provider.answer("a1");
        assertThat(drainAndDispatch(dispatcher)).singleElement().satisfies(completion -> {
            assertThat(completion.key()).isEqualTo("conv-a|a1");
            assertThat(completion.response().translations()).extracting(Translation::text)
                    .containsExactly("translated a1");
            assertThat(completion.sourceLanguage()).isEqualTo("de");
            assertThat(completion.cached()).isFalse();
        });
        assertThat(provider.calledMessageIds()).containsExactly("a1", "b1", "a2");
    }

    @Test
    void aConversationWithoutAPermitWaitsOldestFirstAndGoesWhenOneIsReleased() {
        InFlightLimit limit = new InFlightLimit(1);
        ModelDispatcher dispatcher = dispatcher(limit);
        queue(dispatcher, "conv-a", "a1", german("a1"));
        queue(dispatcher, "conv-b", "b1", german("b1"));
        queue(dispatcher, "conv-c", "c1", german("c1"));
        dispatcher.dispatchWaiting(this::head);
        assertThat(provider.calledMessageIds()).containsExactly("a1");
        assertThat(limit.inFlight()).isEqualTo(1);

        provider.answer("a1");
        drainAndDispatch(dispatcher);
        assertThat(provider.calledMessageIds()).containsExactly("a1", "b1");
        provider.answer("b1");
        drainAndDispatch(dispatcher);
        provider.answer("c1");
        drainAndDispatch(dispatcher);

        assertThat(provider.calledMessageIds()).containsExactly("a1", "b1", "c1");
        assertThat(limit.inFlight()).isZero();
        assertThat(dispatcher.busy()).isFalse();
    }

    @Test
    void keepsAGoodAnswerAndServesTheSameTextFromTheCacheWithoutACall() {
        InFlightLimit limit = new InFlightLimit(256);
        ModelDispatcher dispatcher = dispatcher(limit);
        queue(dispatcher, "conv-a", "a1", GERMAN);
        dispatcher.dispatchWaiting(this::head);
        provider.answer("a1");
        drainAndDispatch(dispatcher);
        assertThat(cache.entries).hasSize(1);

        queue(dispatcher, "conv-b", "b1", GERMAN);
        assertThat(drainAndDispatch(dispatcher)).isEmpty();
        assertThat(drainAndDispatch(dispatcher)).singleElement().satisfies(completion -> {
            assertThat(completion.cached()).isTrue();
            assertThat(completion.chunks()).isZero();
            assertThat(completion.response().translations()).extracting(Translation::text)
                    .containsExactly("translated a1");
        });
        assertThat(provider.calledMessageIds()).containsExactly("a1");
        assertThat(limit.inFlight()).isZero();
    }

    @Test
    void asksOnceMoreForAMalformedAnswerNotFromTheCacheThenReportsIt() {
        ModelDispatcher dispatcher = dispatcher(new InFlightLimit(256));
        queue(dispatcher, "conv-a", "a1", GERMAN, "en", "fr");
        dispatcher.dispatchWaiting(this::head);
        int lookups = cache.lookups;

        provider.answer("a1"); // only "en": malformed for en,fr
        assertThat(drainAndDispatch(dispatcher)).as("retried, not reported").isEmpty();
        assertThat(provider.calledMessageIds()).containsExactly("a1", "a1");
        assertThat(cache.lookups).as("a retry does not ask the cache").isEqualTo(lookups);

        provider.calls.get(1).answer().complete(new ModelResponse("manual", "manual-1", "de",
                List.of(new Translation("en", "One")), Usage.NONE));
        assertThat(drainAndDispatch(dispatcher)).singleElement().satisfies(completion -> {
            assertThat(completion.attempt()).isEqualTo(2);
            assertThat(completion.malformed()).isTrue();
            assertThat(completion.reason()).isEqualTo("malformed-output");
        });
        assertThat(cache.entries).isEmpty();
    }

    @Test
    void reportsAMessageAlreadyInTheOnlyTargetLanguageAsSkippedWithoutACall() {
        InFlightLimit limit = new InFlightLimit(256);
        ModelDispatcher dispatcher = dispatcher(limit);
        queue(dispatcher, "conv-a", "a1", ENGLISH, "en");
        dispatcher.dispatchWaiting(this::head);

        assertThat(drainAndDispatch(dispatcher)).singleElement().satisfies(completion -> {
            assertThat(completion.skipped()).isTrue();
            assertThat(completion.sourceLanguage()).isEqualTo("en");
        });
        assertThat(provider.calls).isEmpty();
        assertThat(limit.inFlight()).isZero();
    }

    @Test
    void detectsAndStartsTheCallOnTheDetectionExecutorNeverOnTheCallersThread() throws Exception {
        ExecutorService detection = Executors.newSingleThreadExecutor(task -> new Thread(task, "detection-under-test"));
        executors.add(detection);
        ModelDispatcher dispatcher = dispatcher(new InFlightLimit(256), detection, Duration.ofSeconds(30), 1_000);
        queue(dispatcher, "conv-a", "a1", GERMAN, "en", "de");
        dispatcher.dispatchWaiting(this::head);

        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (provider.calls.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(provider.calls.get(0).thread()).isEqualTo("detection-under-test");
        // the source language went with the call, and only the targets still needed
        assertThat(provider.calls.get(0).request().sourceLanguage()).isEqualTo("de");
        assertThat(provider.calls.get(0).request().targetLanguages()).containsExactly("en");
        provider.answer("a1");
        assertThat(dispatcher.await(Duration.ofSeconds(10))).singleElement()
                .satisfies(completion -> assertThat(completion.response()).isNotNull());
    }

    @Test
    void reportsATimeoutWhenTheProviderDoesNotAnswerInTimeAndReleasesThePermit() throws Exception {
        InFlightLimit limit = new InFlightLimit(256);
        ModelDispatcher dispatcher = dispatcher(limit, Runnable::run, Duration.ofMillis(50), 1_000);
        queue(dispatcher, "conv-a", "a1", GERMAN);
        dispatcher.dispatchWaiting(this::head);

        List<ModelCompletion> done = dispatcher.await(Duration.ofSeconds(10));

        assertThat(done).singleElement().satisfies(completion -> {
            assertThat(completion.response()).isNull();
            assertThat(completion.cause()).isInstanceOf(TimeoutException.class);
            assertThat(completion.reason()).isEqualTo("timeout");
        });
        assertThat(limit.inFlight()).isZero();
        assertThat(dispatcher.busy()).isFalse();
    }

    @Test
    void dropsAnswersThatArriveAfterClose() {
        InFlightLimit limit = new InFlightLimit(256);
        ModelDispatcher dispatcher = dispatcher(limit);
        queue(dispatcher, "conv-a", "a1", GERMAN);
        dispatcher.dispatchWaiting(this::head);

        dispatcher.close();
        provider.answer("a1");

        assertThat(dispatcher.hasCompletions()).isFalse();
        assertThat(dispatcher.drain()).isEmpty();
        assertThat(limit.inFlight()).as("the permit is given back all the same").isZero();
    }

    @Test
    void sendsTheChunksOfALongTextTogetherAndJoinsTheirTranslationsInOrder() {
        ModelDispatcher dispatcher = dispatcher(new InFlightLimit(256), Runnable::run, Duration.ofSeconds(30), 12);
        String text = "Der erste Satz dieser Nachricht ist ziemlich lang geraten. "
                + "Der zweite Satz dieser Nachricht ist ebenfalls recht lang.";
        queue(dispatcher, "conv-a", "a1", text);
        dispatcher.dispatchWaiting(this::head);
        assertThat(provider.calls).hasSizeGreaterThan(1);
        for (int i = 0; i < provider.calls.size(); i++) {
            provider.calls.get(i).answer().complete(new ModelResponse("manual", "manual-1", "de",
                    List.of(new Translation("en", "part" + i)), new Usage(10, 5, new BigDecimal("0.001"))));
        }

        assertThat(drainAndDispatch(dispatcher)).singleElement().satisfies(completion -> {
            assertThat(completion.chunks()).isEqualTo(provider.calls.size());
            assertThat(completion.response().translations().get(0).text())
                    .isEqualTo(String.join(" ", provider.calls.stream()
                            .map(call -> "part" + provider.calls.indexOf(call)).toList()));
            assertThat(completion.response().usage().inputTokens()).isEqualTo(10L * provider.calls.size());
        });
        // the first call carries the beginning of the text
        assertThat(provider.calls.get(0).request().text()).startsWith("Der erste Satz");
    }
}
