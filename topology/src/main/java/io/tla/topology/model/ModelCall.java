package io.tla.topology.model;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.tla.topology.ReplyIds;
import io.tla.topology.StageOutput;
import io.tla.topology.TelemetryEvents;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationRequest;
import io.tla.topology.budget.BudgetSettlement;
import io.tla.topology.context.ConversationStore;
import io.tla.topology.errors.DeadLetter;
import io.tla.topology.glossary.Glossary;
import io.tla.topology.glossary.GlossaryTelemetry;
import io.tla.topology.glossary.GlossaryTerm;
import io.tla.topology.glossary.GlossaryViolation;
import io.tla.topology.language.LanguageDetection;
import io.tla.topology.language.LanguageTags;
import io.tla.topology.serde.CompactSerdes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 3: the model call, asynchronous and ordered per conversation.
 *
 * <ul>
 *   <li>{@code process()} writes the request to {@code model-pending-store} under
 *       {@code tenant␟conversation␟offset}; the write commits with the input offset.</li>
 *   <li>The oldest pending request of a conversation (its head) is dispatched when no other request of that
 *       conversation is in flight and the instance's {@link InFlightLimit} has a permit: served from the
 *       {@link TranslationCache}, or its source language is detected on the detection executor (CPU work kept
 *       off the stream thread) and the provider is called for the targets not already in that language. A
 *       message already in the only target language is not sent to the model: its telemetry says
 *       {@code translation.skipped}, no reply, its reservation released. Nothing here blocks the stream thread; completions only
 *       enqueue.</li>
 *   <li>The stream thread drains completions on every {@code process()} and from a wall-clock punctuator: it
 *       forwards the reply, the message's one telemetry event and budget settlement, deletes the pending entry (same transaction as the
 *       output) and dispatches the conversation's next request. Replies of a conversation therefore leave in
 *       the order its messages arrived.</li>
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
    private static final char SEPARATOR = '\u001f';
    private static final Duration DRAIN_INTERVAL = Duration.ofMillis(10);
    private static final Duration MAX_INTAKE_PAUSE = Duration.ofSeconds(30);

    private static final Duration CACHE_PURGE_INTERVAL = Duration.ofMinutes(1);
    private static final int MAX_ATTEMPTS = 2;

    /** Telemetry: a message that was not sent to the model, and why ({@code reason}, {@code language}). */
    public static final String TRANSLATION_SKIPPED = TelemetryEvent.Types.TRANSLATION_SKIPPED;
    public static final String ALREADY_IN_TARGET_LANGUAGE = "already-in-target-language";

    private final ModelProvider provider;
    private final Executor detection;
    private final int contextTurns;
    private final int contextMaxTokens;
    private final Duration timeout;
    private final int maxOutputTokens;
    private final int maxInputTokens;
    private final InFlightLimit limit;
    private final int pendingLimit;
    private final Duration cacheTtl;
    private final int cacheMaxEntries;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Timer callTimeOk;
    private final Timer callTimeError;
    private final Counter callsOk;
    private final Counter callsError;
    private final Counter inputTokens;
    private final Counter outputTokens;
    private final Counter costUsd;
    private final Counter skippedAlreadyInTarget;
    private TranslationCache cache;

    private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
    /** Conversation prefix → store key of its request in flight. Stream thread only. */
    private final Map<String, String> inFlight = new HashMap<>();
    /** Conversations whose head waits for a permit, oldest first. Stream thread only. */
    private final Set<String> waiting = new LinkedHashSet<>();
    /** Store key → attempt number of its next dispatch, for requests whose answer was malformed. */
    private final Map<String, Integer> retries = new HashMap<>();
    /**
     * Conversation prefix → its pending requests, oldest first: the store's content, kept in memory by this task
     * (at most {@code pendingLimit} requests), so that finding a conversation's head and its request never reads
     * the store. The store is written in step with it and only read back by {@code init()}.
     */
    private final Map<String, ArrayDeque<Queued>> queues = new HashMap<>();
    private long pendingCount;
    private volatile boolean closed;

    private ProcessorContext<String, StageOutput> context;
    private KeyValueStore<String, PendingCall> pending;

    /**
     * A dispatched request's outcome: the provider's (or the cache's) response, or the error; neither when the
     * message was already in the only target language. {@code sourceLanguage} is the detected language (null
     * for a cache hit, whose response carries it).
     */
    private record Completion(String conversation, String key, String sourceLanguage, ModelResponse response,
                              Throwable error, long nanos, int attempt, int chunks, boolean cached, String cacheKey) {
        boolean skipped() {
            return response == null && error == null;
        }
    }

    private record Queued(String key, PendingCall call) {
    }

    /** What the detection and the call yield together; no response when there was nothing to translate. */
    private record Answer(String sourceLanguage, ModelResponse response) {
    }

    /** The answer did not hold one non-empty translation for each target language. */
    static final class MalformedOutputException extends RuntimeException {
        MalformedOutputException(String message) {
            super(message);
        }
    }

    /**
     * @param detection runs source-language detection; the pipeline's is {@link LanguageDetection#executor()},
     *                  tests may run it on the calling thread
     */
    public ModelCall(ModelProvider provider, InFlightLimit limit, TopologySettings settings, Clock clock,
                     MeterRegistry meters, Executor detection) {
        this.provider = provider;
        this.detection = detection;
        this.contextTurns = settings.contextTurns();
        this.contextMaxTokens = settings.contextMaxTokens();
        this.timeout = settings.modelTimeout();
        this.maxOutputTokens = settings.maxOutputTokens();
        this.maxInputTokens = settings.maxInputTokens();
        this.limit = limit;
        this.pendingLimit = 2 * limit.max();
        this.cacheTtl = settings.cacheTtl();
        this.cacheMaxEntries = settings.cacheMaxEntries();
        this.clock = clock;
        this.meters = meters;
        // looked up once here rather than per completion: the registry returns the same meters to every task
        this.callTimeOk = callTime(provider, "ok", meters);
        this.callTimeError = callTime(provider, "error", meters);
        this.callsOk = Counter.builder("tla.model.calls").tag("provider", provider.name()).tag("outcome", "ok")
                .register(meters);
        this.callsError = Counter.builder("tla.model.calls").tag("provider", provider.name()).tag("outcome", "error")
                .register(meters);
        this.inputTokens = Counter.builder("tla.model.tokens").tag("provider", provider.name()).tag("direction", "input")
                .register(meters);
        this.outputTokens = Counter.builder("tla.model.tokens").tag("provider", provider.name())
                .tag("direction", "output").register(meters);
        this.costUsd = Counter.builder("tla.model.cost.usd").tag("provider", provider.name()).register(meters);
        this.skippedAlreadyInTarget = Counter.builder("tla.translation.skipped")
                .tag("reason", ALREADY_IN_TARGET_LANGUAGE)
                .description("Messages not sent to the model").register(meters);
    }

    private static Timer callTime(ModelProvider provider, String outcome, MeterRegistry meters) {
        return Timer.builder("tla.model.call.seconds").tag("provider", provider.name()).tag("outcome", outcome)
                .publishPercentileHistogram().register(meters);
    }

    public static StoreBuilder<KeyValueStore<String, PendingCall>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING_STORE), Serdes.String(),
                CompactSerdes.PENDING_CALL).withCachingEnabled();
    }

    @Override
    public void init(ProcessorContext<String, StageOutput> context) {
        this.context = context;
        this.pending = context.getStateStore(PENDING_STORE);
        LanguageDetection.warmUpInBackground();
        this.cache = new TranslationCache(context.getStateStore(TranslationCache.STORE), cacheTtl, cacheMaxEntries, meters);
        if (cache.enabled()) {
            context.schedule(CACHE_PURGE_INTERVAL, PunctuationType.WALL_CLOCK_TIME, cache::purge);
        }
        // Requests accepted before a crash, restart or rebalance: their conversations wait for dispatch again.
        // Keys sort by conversation, then by input offset: each queue comes back oldest first.
        ConversationStore turns = ConversationStore.open(context);
        try (KeyValueIterator<String, PendingCall> all = pending.all()) {
            while (all.hasNext()) {
                KeyValue<String, PendingCall> entry = all.next();
                String conversation = conversationOf(entry.key);
                queues.computeIfAbsent(conversation, c -> new ArrayDeque<>())
                        .addLast(new Queued(entry.key, withStoredContext(entry.value, turns)));
                waiting.add(conversation);
                pendingCount++;
            }
        }
        if (pendingCount > 0) {
            log.info("event=model_pending_recovered task={} requests={} conversations={}", context.taskId(),
                    pendingCount, waiting.size());
        }
        context.schedule(DRAIN_INTERVAL, PunctuationType.WALL_CLOCK_TIME, now -> drainAndDispatch());
        dispatchWaiting();
    }

    /** A recovered request with the context it was retrieved with, read back from the conversation's turns. */
    private PendingCall withStoredContext(PendingCall call, ConversationStore turns) {
        NormalizedMessage message = call.request().message();
        List<io.tla.topology.context.Turn> before = turns.contextBefore(message.tenantId(), message.conversationId(),
                message.messageId(), contextTurns, contextMaxTokens);
        if (before.isEmpty()) {
            return call;
        }
        return new PendingCall(call.request().withContext(before), call.timestamp(), call.replayAttempt());
    }

    @Override
    public void process(Record<String, TranslationRequest> record) {
        NormalizedMessage message = record.value().message();
        String conversation = conversationPrefix(message);
        long offset = context.recordMetadata().map(m -> m.offset()).orElse(System.nanoTime());
        String key = conversation + String.format("%020d", offset);
        ArrayDeque<Queued> queue = queues.computeIfAbsent(conversation, c -> new ArrayDeque<>());
        // the same input offset again (processed before a crash, restored with the store): already queued
        if (queue.stream().noneMatch(queued -> queued.key().equals(key))) {
            PendingCall call = new PendingCall(record.value(), record.timestamp(), replayAttempt(record));
            pending.put(key, call.withoutContext());
            queue.addLast(new Queued(key, call));
            pendingCount++;
        }
        if (!inFlight.containsKey(conversation)) {
            waiting.add(conversation);
        }
        drainAndDispatch();
        pauseIntakeWhileFull();
    }

    private void pauseIntakeWhileFull() {
        long deadline = System.nanoTime() + MAX_INTAKE_PAUSE.toNanos();
        while (pendingCount >= pendingLimit && !inFlight.isEmpty() && System.nanoTime() < deadline) {
            try {
                Completion completion = completions.poll(DRAIN_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
                if (completion != null) {
                    complete(completion);
                }
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
            Completion completion;
            while ((completion = completions.poll()) != null) {
                complete(completion);
            }
            dispatchWaiting();
        } while (!completions.isEmpty());
    }

    private void dispatchWaiting() {
        Iterator<String> conversations = waiting.iterator();
        while (conversations.hasNext()) {
            String conversation = conversations.next();
            if (inFlight.containsKey(conversation)) {
                conversations.remove();
                continue;
            }
            Queued head = headOf(conversation);
            if (head == null) {
                conversations.remove();
                continue;
            }
            if (!limit.tryAcquire()) {
                return;
            }
            conversations.remove();
            dispatch(conversation, head.key(), head.call());
        }
    }

    private void dispatch(String conversation, String key, PendingCall call) {
        inFlight.put(conversation, key);
        int attempt = retries.getOrDefault(key, 1);
        TranslationRequest request = call.request();
        NormalizedMessage message = request.message();
        // keyed by the tenant's targets, not the detected remainder: a hit needs no detection (the text decides
        // the language); tone, glossary and the conversation's turns shape the answer, so each is in the key
        String cacheKey = TranslationCache.key(message.tenantId(), provider.name(), request.targetLanguages(),
                request.tone() + "\n" + request.glossary(), request.context(), message.text());
        long started = System.nanoTime();
        var cached = attempt == 1 ? cache.lookup(cacheKey, clock.millis()) : java.util.Optional.<ModelResponse>empty();
        if (cached.isPresent()) {
            limit.release();
            completions.add(new Completion(conversation, key, null, cached.get(), null, System.nanoTime() - started,
                    attempt, 0, true, cacheKey));
            return;
        }
        List<String> chunks = TextChunks.split(message.text(), maxInputTokens);
        // detection and the provider call's start (prompt building, serialisation) both run on the detection
        // executor: composing on the detection future instead would run the call on the stream thread whenever
        // detection finished before the continuation was attached
        CompletableFuture.supplyAsync(() -> {
                    String source = LanguageDetection.detect(message.text());
                    List<String> targets = LanguageTags.remainingTargets(source, request.targetLanguages());
                    if (targets.isEmpty()) {
                        return CompletableFuture.completedFuture(new Answer(source, null));
                    }
                    TranslationRequest sent = request.withSourceLanguage(source, targets);
                    CompletableFuture<ModelResponse> answer = chunks.size() == 1
                            ? call(sent, message.text(), sent.context())
                            : callInChunks(sent, chunks);
                    return answer.thenApply(response -> new Answer(source, requireComplete(response, targets)));
                }, detection)
                .thenCompose(answer -> answer)
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((answer, error) -> {
                    limit.release();
                    if (!closed) {
                        completions.add(new Completion(conversation, key, answer == null ? null : answer.sourceLanguage(),
                                answer == null ? null : answer.response(), error, System.nanoTime() - started,
                                attempt, chunks.size(), false, cacheKey));
                    }
                });
    }

    private CompletableFuture<ModelResponse> call(TranslationRequest request, String text, List<io.tla.topology.context.Turn> turns) {
        NormalizedMessage message = request.message();
        ModelRequest modelRequest = new ModelRequest(message.tenantId(), message.conversationId(), message.messageId(),
                text, request.targetLanguages(), turns, maxOutputTokens, request.sourceLanguage(), request.tone(),
                request.glossary());
        try {
            return provider.translate(modelRequest).toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** One call per chunk, all in flight together; the translations are joined in chunk order per language. */
    private CompletableFuture<ModelResponse> callInChunks(TranslationRequest request, List<String> chunks) {
        List<CompletableFuture<ModelResponse>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            // earlier turns go with the first chunk only: they are context, not text to translate again
            calls.add(call(request, chunks.get(i), i == 0 ? request.context() : List.of()));
        }
        return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<ModelResponse> parts = calls.stream().map(CompletableFuture::join).toList();
            List<Translation> joined = request.targetLanguages().stream().map(language -> new Translation(language,
                    String.join(" ", parts.stream().map(part -> textIn(part, language)).toList()))).toList();
            long input = parts.stream().mapToLong(part -> part.usage().inputTokens()).sum();
            long output = parts.stream().mapToLong(part -> part.usage().outputTokens()).sum();
            java.math.BigDecimal cost = parts.stream().map(part -> part.usage().costUsd())
                    .reduce(java.math.BigDecimal.ZERO, java.math.BigDecimal::add);
            ModelResponse first = parts.get(0);
            // every chunk's fallbacks are reported; the provider named is the one that answered the first chunk
            return new ModelResponse(first.provider(), first.model(), first.sourceLanguage(), joined,
                    new Usage(input, output, cost), parts.stream().flatMap(part -> part.fallbacks().stream()).toList());
        });
    }

    private static String textIn(ModelResponse response, String language) {
        return response.translations().stream().filter(t -> language.equals(t.language())).map(Translation::text)
                .findFirst().orElseThrow(() -> new MalformedOutputException("no " + language + " translation in a chunk"));
    }

    /** Exactly the target languages, each once, each with text; anything else is malformed output. */
    static ModelResponse requireComplete(ModelResponse response, List<String> targetLanguages) {
        List<String> languages = response.translations().stream().map(Translation::language).toList();
        if (languages.size() != targetLanguages.size() || !languages.containsAll(targetLanguages)
                || response.translations().stream().anyMatch(t -> t.text() == null || t.text().isBlank())) {
            throw new MalformedOutputException("expected one translation for each of " + targetLanguages
                    + ", got " + languages);
        }
        return response;
    }

    private void complete(Completion completion) {
        if (!completion.key().equals(inFlight.get(completion.conversation()))) {
            return; // not ours any more (the task was re-initialised)
        }
        inFlight.remove(completion.conversation());
        if (isMalformed(completion.error()) && completion.attempt() < MAX_ATTEMPTS) {
            // one more try for a malformed answer; the conversation's head stays the same request
            log.info("event=model_output_malformed action=retry provider={} attempt={}", provider.name(),
                    completion.attempt());
            retries.put(completion.key(), completion.attempt() + 1);
            waiting.add(completion.conversation());
            return;
        }
        retries.remove(completion.key());
        if (completion.response() != null && !completion.cached()) {
            cache.put(completion.cacheKey(), completion.response(), clock.millis());
        }
        ArrayDeque<Queued> queue = queues.get(completion.conversation());
        Queued head = queue == null ? null : queue.peekFirst();
        if (head != null && head.key().equals(completion.key())) {
            queue.removeFirst();
            if (queue.isEmpty()) {
                queues.remove(completion.conversation());
            }
            PendingCall call = head.call();
            pending.delete(completion.key());
            pendingCount--;
            StageOutput output = completion.skipped() ? skipped(call.request(), completion.sourceLanguage())
                    : outputFor(call.request(), completion, call.replayAttempt());
            context.forward(new Record<>(call.request().message().conversationId(), output, call.timestamp()));
        }
        if (headOf(completion.conversation()) != null) {
            waiting.add(completion.conversation());
        }
    }

    /** Already in the language (or all the languages) the tenant reads: nothing for the model to do. */
    private StageOutput skipped(TranslationRequest request, String sourceLanguage) {
        NormalizedMessage message = request.message();
        skippedAlreadyInTarget.increment();
        Instant now = clock.instant();
        return StageOutput.observe(TelemetryEvents.processed(request.withFact(TRANSLATION_SKIPPED, Map.of(
                        "reason", ALREADY_IN_TARGET_LANGUAGE, "language", sourceLanguage), now), now))
                .settling(BudgetSettlement.release(message.tenantId(), message.messageId(), request.reservation()));
    }

    private StageOutput outputFor(TranslationRequest request, Completion completion, int replayAttempt) {
        NormalizedMessage message = request.message();
        ModelResponse response = completion.response();
        Instant now = clock.instant();
        String outcome = response != null ? "ok" : "error";
        (response != null ? callTimeOk : callTimeError).record(completion.nanos(), TimeUnit.NANOSECONDS);
        (response != null ? callsOk : callsError).increment();

        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("provider", provider.name());
        attributes.put("outcome", outcome);
        attributes.put("latencyMs", completion.nanos() / 1_000_000.0);
        attributes.put("cache", completion.cached() ? "hit" : "miss");
        attributes.put("attempt", completion.attempt());
        if (completion.chunks() > 1) {
            attributes.put("chunks", completion.chunks());
        }
        ReplyEvent reply;
        BudgetSettlement settlement;
        DeadLetter deadLetter = null;
        List<TelemetryEvent> glossaryTelemetry = List.of();
        if (response != null) {
            attributes.put("model", response.model());
            attributes.put("inputTokens", response.usage().inputTokens());
            attributes.put("outputTokens", response.usage().outputTokens());
            attributes.put("costUsd", response.usage().costUsd());
            inputTokens.increment(response.usage().inputTokens());
            outputTokens.increment(response.usage().outputTokens());
            costUsd.increment(response.usage().costUsd().doubleValue());
            // the provider's view of the source language wins; where it has none, the detected one stands
            String sourceLanguage = response.sourceLanguage() == null || "und".equals(response.sourceLanguage())
                    ? completion.sourceLanguage() : response.sourceLanguage();
            if (sourceLanguage != null) {
                attributes.put("sourceLanguage", sourceLanguage);
            }
            // strict glossary terms the answer did not use are reported and flagged in the reply's text; terms for a
            // target dropped because the message is already in that language do not apply
            Set<String> answered = new HashSet<>(response.translations().stream().map(Translation::language).toList());
            List<GlossaryTerm> terms = request.glossary().stream()
                    .filter(term -> answered.contains(term.targetLanguage())).toList();
            List<GlossaryViolation> violations = Glossary.violations(terms, response.translations());
            glossaryTelemetry = GlossaryTelemetry.violations(message, violations, now);
            reply = reply(message, ReplyKind.TRANSLATION, sourceLanguage, Glossary.flag(response.translations(), violations),
                    response.provider(), response.model(), response.usage(), now);
            settlement = new BudgetSettlement(message.tenantId(), message.messageId(), request.reservation(),
                    response.usage());
        } else {
            String error = describe(completion.error());
            attributes.put("error", error);
            log.warn("event=model_call_failed provider={} tenant={} conversation={} message_id={} error={}",
                    provider.name(), message.tenantId(), message.conversationId(), message.messageId(), error);
            reply = reply(message, ReplyKind.FAILED, null, List.of(new Translation("en",
                    "Sorry, this message could not be translated right now.")), provider.name(), null, null, now);
            settlement = BudgetSettlement.release(message.tenantId(), message.messageId(), request.reservation());
            deadLetter = deadLetter(message, completion, replayAttempt, now);
        }
        // the message's one event: what the earlier stages observed, the call and the reply
        TelemetryEvent processed = TelemetryEvents.processed(request
                .withFact(TelemetryEvent.Types.MODEL_CALL, attributes, now)
                .withFact(TelemetryEvent.Types.REPLY_EMITTED, TelemetryEvents.replyEmitted(message, reply, now), now),
                now);
        StageOutput output = StageOutput.reply(reply, processed)
                .and(glossaryTelemetry.toArray(TelemetryEvent[]::new))
                .and(fallbackTelemetry(message, response, completion.error(), now)).settling(settlement);
        return deadLetter == null ? output : output.deadLettering(deadLetter);
    }

    /**
     * The dead-letter record of a message no provider answered: the input it was read from (the by-tenant
     * repartition topic, this task's partition, the offset kept in its store key) and why, without secrets.
     */
    private DeadLetter deadLetter(NormalizedMessage message, Completion completion, int replayAttempt, Instant now) {
        Throwable cause = unwrap(completion.error());
        String key = completion.key();
        long offset = Long.parseLong(key.substring(key.lastIndexOf(SEPARATOR) + 1));
        return new DeadLetter(message, NAME, cause == null ? "unknown" : cause.getClass().getName(),
                cause == null ? null : String.valueOf(cause.getMessage()), describe(completion.error()),
                context.applicationId() + "-messages-by-tenant-repartition", context.taskId().partition(), offset,
                replayAttempt, now);
    }

    /** The record's {@code tla.replay.attempt} header: how often replay re-published it (0: never). */
    private static int replayAttempt(Record<?, ?> record) {
        org.apache.kafka.common.header.Header header = record.headers().lastHeader(ErrorHeaders.REPLAY_ATTEMPT);
        if (header == null || header.value() == null) {
            return 0;
        }
        try {
            return Integer.parseInt(new String(header.value(), java.nio.charset.StandardCharsets.UTF_8).trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** One {@code model.fallback} event per provider passed over, whether another answered or none did. */
    private static TelemetryEvent[] fallbackTelemetry(NormalizedMessage message, ModelResponse response, Throwable error,
                                                      Instant now) {
        List<ModelResponse.Fallback> fallbacks = response != null ? response.fallbacks()
                : unwrap(error) instanceof AllProvidersFailedException failed ? failed.fallbacks() : List.of();
        return fallbacks.stream().map(fallback -> TelemetryEvents.forMessage(TelemetryEvent.Types.MODEL_FALLBACK,
                message, now, Map.<String, Object>of("from", fallback.from(), "to", fallback.to(),
                        "reason", fallback.reason(), "attempt", fallback.attempt()))).toArray(TelemetryEvent[]::new);
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private static boolean isMalformed(Throwable error) {
        return unwrap(error) instanceof MalformedOutputException;
    }

    /** A failure's reason for telemetry and the dead-letter header: the provider's own where it gives one. */
    private static String describe(Throwable error) {
        Throwable cause = unwrap(error);
        if (cause instanceof AllProvidersFailedException failed) {
            return "all-providers-failed:" + failed.reason();
        }
        if (cause instanceof ProviderException failed) {
            return failed.reason();
        }
        if (cause instanceof TimeoutException) {
            return "timeout";
        }
        if (cause instanceof MalformedOutputException) {
            return "malformed-output";
        }
        return cause == null ? "error" : cause.getClass().getSimpleName();
    }

    /** The oldest pending request of a conversation, or null. */
    private Queued headOf(String conversation) {
        ArrayDeque<Queued> queue = queues.get(conversation);
        return queue == null ? null : queue.peekFirst();
    }

    private static String conversationPrefix(NormalizedMessage message) {
        return message.tenantId() + SEPARATOR + message.conversationId() + SEPARATOR;
    }

    private static String conversationOf(String key) {
        return key.substring(0, key.lastIndexOf(SEPARATOR) + 1);
    }

    private static ReplyEvent reply(NormalizedMessage message, ReplyKind kind, String sourceLanguage,
                                    List<Translation> translations, String provider, String model, Usage usage,
                                    Instant now) {
        return ReplyEvent.answering(message, ReplyIds.of(message, kind), kind, sourceLanguage, translations, provider,
                model, usage, now);
    }

    @Override
    public void close() {
        closed = true;
        completions.clear();
        retries.clear();
        inFlight.clear();
        waiting.clear();
        queues.clear();
    }
}
