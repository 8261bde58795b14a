package io.tla.topology.model;

import io.micrometer.core.instrument.MeterRegistry;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.NormalizedMessage;
import io.tla.topology.InputOffsets;
import io.tla.topology.StageOutput;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationRequest;
import io.tla.topology.context.ConversationStore;
import io.tla.topology.context.Turn;
import io.tla.topology.language.LanguageDetection;
import io.tla.topology.serde.CompactSerdes;
import io.tla.topology.tone.ToneTemplates;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 3: the model call, asynchronous and ordered per conversation. This processor wires three parts to the
 * stream thread: the {@link PendingQueue} (accepted requests, per conversation, in {@code model-pending-store}),
 * the {@link ModelDispatcher} (which sends them to the model, off the stream thread) and {@link ModelOutcomes}
 * (what each finished call becomes).
 *
 * <ul>
 *   <li>{@code process()} queues the request, written to {@code model-pending-store} under
 *       {@code tenant␟conversation␟offset}; the write commits with the input offset.</li>
 *   <li>The oldest pending request of a conversation (its head) is dispatched when no other request of that
 *       conversation is in flight and the instance's {@link InFlightLimit} has a permit: served from the
 *       {@link TranslationCache}, or its source language is detected on the detection executor (CPU work kept
 *       off the stream thread) and the provider is called for the targets not already in that language. A
 *       message already in the only target language is not sent to the model: its telemetry says
 *       {@code translation.skipped}, no reply, its reservation released. Nothing here blocks the stream thread;
 *       completions only enqueue.</li>
 *   <li>The stream thread drains completions on every {@code process()} and from a wall-clock punctuator: it
 *       forwards the reply, the message's one telemetry event and the budget settlement, deletes the pending
 *       entry (same transaction as the output) and dispatches the conversation's next request. Replies of a
 *       conversation therefore leave in the order its messages arrived.</li>
 *   <li>When a task holds {@code pendingLimit} requests, intake pauses: {@code process()} waits for own
 *       completions (bounded, so the thread still polls within {@code max.poll.interval.ms}).</li>
 *   <li>After a restart or rebalance, {@code init()} finds the pending requests in the store and dispatches
 *       each conversation's head again: the reply topic stays exactly-once, the model call is at-least-once.
 *       Completions that arrive after {@code close()} are dropped.</li>
 * </ul>
 */
public final class ModelCall implements Processor<String, TranslationRequest, String, StageOutput> {

    public static final String NAME = "model-call";
    public static final String PENDING_STORE = "model-pending-store";

    private static final Logger log = LoggerFactory.getLogger(ModelCall.class);
    private static final Duration DRAIN_INTERVAL = Duration.ofMillis(10);
    private static final Duration MAX_INTAKE_PAUSE = Duration.ofSeconds(30);
    private static final Duration CACHE_PURGE_INTERVAL = Duration.ofMinutes(1);

    private final ModelProvider provider;
    private final InFlightLimit limit;
    private final Executor detection;
    private final TopologySettings settings;
    private final int contextTurns;
    private final int contextMaxTokens;
    private final int pendingLimit;
    private final Clock clock;
    private final MeterRegistry meters;
    private final ModelOutcomes outcomes;

    private ProcessorContext<String, StageOutput> context;
    private PendingQueue pending;
    private ModelDispatcher dispatcher;
    private ToneTemplates toneTemplates;

    /**
     * @param detection runs source-language detection; the pipeline's is {@link LanguageDetection#executor()},
     *                  tests may run it on the calling thread
     */
    public ModelCall(ModelProvider provider, InFlightLimit limit, TopologySettings settings, Clock clock,
                     MeterRegistry meters, Executor detection) {
        this.provider = provider;
        this.limit = limit;
        this.detection = detection;
        this.settings = settings;
        this.contextTurns = settings.contextTurns();
        this.contextMaxTokens = settings.contextMaxTokens();
        this.pendingLimit = 2 * limit.max();
        this.clock = clock;
        this.meters = meters;
        this.outcomes = new ModelOutcomes(provider.name(), clock, meters);
    }

    public static StoreBuilder<KeyValueStore<String, PendingCall>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING_STORE), Serdes.String(),
                CompactSerdes.PENDING_CALL).withCachingEnabled();
    }

    @Override
    public void init(ProcessorContext<String, StageOutput> context) {
        this.context = context;
        this.pending = new PendingQueue(context.getStateStore(PENDING_STORE));
        this.toneTemplates = ToneTemplates.from(context, settings.toneTemplateMaxChars(), meters);
        LanguageDetection.warmUpInBackground();
        TranslationCache cache = new TranslationCache(context.getStateStore(TranslationCache.STORE),
                settings.cacheTtl(), settings.cacheMaxEntries(), meters);
        if (cache.enabled()) {
            context.schedule(CACHE_PURGE_INTERVAL, PunctuationType.WALL_CLOCK_TIME, cache::purge);
        }
        this.dispatcher = new ModelDispatcher(provider, limit, detection, cache, clock, settings.modelTimeout(),
                settings.maxInputTokens(), settings.maxOutputTokens());
        // Requests accepted before a crash, restart or rebalance: their conversations wait for dispatch again.
        ConversationStore turns = ConversationStore.open(context);
        var recovered = pending.recover(call -> withStoredContext(call, turns));
        recovered.forEach(dispatcher::wake);
        if (pending.size() > 0) {
            log.info("event=model_pending_recovered task={} requests={} conversations={}", context.taskId(),
                    pending.size(), recovered.size());
        }
        context.schedule(DRAIN_INTERVAL, PunctuationType.WALL_CLOCK_TIME, now -> drainAndDispatch());
        dispatcher.dispatchWaiting(this::headOf);
    }

    /** A recovered request with the context it was retrieved with, read back from the conversation's turns. */
    private PendingCall withStoredContext(PendingCall call, ConversationStore turns) {
        NormalizedMessage message = call.request().message();
        List<Turn> before = turns.contextBefore(message.tenantId(), message.conversationId(), message.messageId(),
                contextTurns, contextMaxTokens);
        if (before.isEmpty()) {
            return call;
        }
        return new PendingCall(call.request().withContext(before), call.timestamp(), call.replayAttempt());
    }

    @Override
    public void process(Record<String, TranslationRequest> record) {
        String conversation = PendingQueue.conversationOf(record.value().message());
        // a request the rate limit held back is forwarded from its punctuator: its offset is in a header
        long offset = InputOffsets.of(record, context);
        pending.accept(PendingQueue.key(conversation, offset),
                new PendingCall(record.value(), record.timestamp(), replayAttempt(record)));
        dispatcher.wake(conversation);
        drainAndDispatch();
        pauseIntakeWhileFull();
    }

    private void pauseIntakeWhileFull() {
        long deadline = System.nanoTime() + MAX_INTAKE_PAUSE.toNanos();
        while (pending.size() >= pendingLimit && dispatcher.busy() && System.nanoTime() < deadline) {
            try {
                dispatcher.await(DRAIN_INTERVAL).forEach(this::complete);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            drainAndDispatch();
        }
    }

    /** Until nothing moves: a provider that answers at once completes during dispatch. */
    private void drainAndDispatch() {
        do {
            dispatcher.drain().forEach(this::complete);
            dispatcher.dispatchWaiting(this::headOf);
        } while (dispatcher.hasCompletions());
    }

    private ModelDispatcher.Head headOf(String conversation) {
        PendingQueue.Queued head = pending.head(conversation);
        // the tone template is looked up as the request is dispatched: a changed template applies to the next call
        return head == null ? null : new ModelDispatcher.Head(head.key(), head.call().request(),
                toneTemplates.forMessage(head.call().request().message()));
    }

    /** Forwards what a finished call became, in the transaction that deletes its pending entry. */
    private void complete(ModelCompletion completion) {
        PendingCall call = pending.removeHead(completion.conversation(), completion.key());
        if (call != null) {
            ModelOutcome outcome = outcomes.of(call, completion,
                    context.applicationId() + "-messages-by-tenant-repartition", context.taskId().partition());
            context.forward(new Record<>(call.request().message().conversationId(), outcome.output(),
                    call.timestamp()));
        }
        if (pending.head(completion.conversation()) != null) {
            dispatcher.wake(completion.conversation());
        }
    }

    /** The record's {@code tla.replay.attempt} header: how often replay re-published it (0: never). */
    private static int replayAttempt(Record<?, ?> record) {
        Header header = record.headers().lastHeader(ErrorHeaders.REPLAY_ATTEMPT);
        if (header == null || header.value() == null) {
            return 0;
        }
        try {
            return Integer.parseInt(new String(header.value(), StandardCharsets.UTF_8).trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public void close() {
        if (dispatcher != null) {
            dispatcher.close();
        }
        if (pending != null) {
            pending.clear();
        }
    }
}
