package io.tla.topology.model;

import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.tla.topology.TextChunks;
import io.tla.topology.TranslationRequest;
import io.tla.topology.context.Turn;
import io.tla.topology.language.LanguageDetection;
import io.tla.topology.language.LanguageTags;
import io.tla.topology.quality.Verification;
import io.tla.topology.tone.ToneTemplate;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a task's pending requests to the model, one conversation at a time, many conversations at once, without
 * the Kafka Streams API: the caller (the stream thread) says which conversations have a request waiting
 * ({@link #wake}) and gives each conversation's oldest when asked ({@link #dispatchWaiting}); completions come
 * back through {@link #drain} in the order they finished.
 *
 * <ul>
 *   <li>At most one request per conversation is in flight, and at most the instance's {@link InFlightLimit}
 *       overall; a conversation that finds no permit waits, remembered by id only, oldest first.</li>
 *   <li>A request is answered from the {@link ResponseCache} when it can be; otherwise its source language is
 *       detected on the detection executor (the costliest CPU work per message, kept off the stream thread), and
 *       the provider is called from there for the targets not already in that language (long texts in chunks,
 *       all in flight together). Nothing else runs off the caller's thread: the callback only releases the permit
 *       and queues the completion.</li>
 *   <li>A malformed answer is asked for once more ({@link #MAX_ATTEMPTS}); the conversation's head stays the same
 *       request, and its retry does not come from the cache.</li>
 *   <li>A good answer is put in the cache when it is drained.</li>
 * </ul>
 *
 * Every method but the provider's callbacks is for one thread, the caller's.
 */
final class ModelDispatcher {

    private static final Logger log = LoggerFactory.getLogger(ModelDispatcher.class);

    static final int MAX_ATTEMPTS = 2;

    /** Answers already paid for: the {@link TranslationCache} in the pipeline. */
    interface ResponseCache {
        ResponseCache NONE = new ResponseCache() {
            @Override
            public Optional<ModelResponse> lookup(String key, long nowMs) {
                return Optional.empty();
            }

            @Override
            public void put(String key, ModelResponse response, long nowMs) {
            }
        };

        Optional<ModelResponse> lookup(String key, long nowMs);

        void put(String key, ModelResponse response, long nowMs);
    }

    /** A conversation's oldest pending request and its key, with the tone template it is to be sent with. */
    record Head(String key, TranslationRequest request, ToneTemplate toneTemplate) {
        Head {
            toneTemplate = toneTemplate == null ? ToneTemplate.NONE : toneTemplate;
        }

        /** A head without a tone template. */
        Head(String key, TranslationRequest request) {
            this(key, request, ToneTemplate.NONE);
        }
    }

    /** What the detection and the call yield together; no response when there was nothing to translate. */
    private record Answer(String sourceLanguage, ModelResponse response) {
    }

    private final ModelProvider provider;
    private final InFlightLimit limit;
    private final Executor detection;
    private final ResponseCache cache;
    private final Clock clock;
    private final Duration timeout;
    private final int maxInputTokens;
    private final int maxOutputTokens;

    private final LinkedBlockingQueue<ModelCompletion> completions = new LinkedBlockingQueue<>();
    /** Conversation → key of its request in flight. */
    private final Map<String, String> inFlight = new HashMap<>();
    /** Conversations whose head waits for dispatch, oldest first. */
    private final Set<String> waiting = new LinkedHashSet<>();
    /** Key → attempt number of its next dispatch, for requests whose answer was malformed. */
    private final Map<String, Integer> retries = new HashMap<>();
    private volatile boolean closed;

    /**
     * @param detection runs source-language detection and starts the provider call; the pipeline's is
     *                  {@link LanguageDetection#executor()}, tests may run it on the calling thread
     */
    ModelDispatcher(ModelProvider provider, InFlightLimit limit, Executor detection, ResponseCache cache, Clock clock,
                    Duration timeout, int maxInputTokens, int maxOutputTokens) {
        this.provider = provider;
        this.limit = limit;
        this.detection = detection;
        this.cache = cache;
        this.clock = clock;
        this.timeout = timeout;
        this.maxInputTokens = maxInputTokens;
        this.maxOutputTokens = maxOutputTokens;
    }

    /** The conversation may have a request to send; ignored while one of it is in flight. */
    void wake(String conversation) {
        if (!inFlight.containsKey(conversation)) {
            waiting.add(conversation);
        }
    }

    /**
     * Sends the head of each waiting conversation, oldest waiting first, while permits last; a conversation
     * without a head ({@code heads} answers null) stops waiting.
     */
    void dispatchWaiting(Function<String, Head> heads) {
        Iterator<String> conversations = waiting.iterator();
        while (conversations.hasNext()) {
            String conversation = conversations.next();
            if (inFlight.containsKey(conversation)) {
                conversations.remove();
                continue;
            }
            Head head = heads.apply(conversation);
            if (head == null) {
                conversations.remove();
                continue;
            }
            if (!limit.tryAcquire()) {
                return;
            }
            conversations.remove();
            dispatch(conversation, head);
        }
    }

    /** True while completions wait to be drained. */
    boolean hasCompletions() {
        return !completions.isEmpty();
    }

    /** True while a request of this task is in flight. */
    boolean busy() {
        return !inFlight.isEmpty();
    }

    /**
     * The calls finished since the last drain, in the order they finished: each conversation with one is free
     * again. A malformed answer on its first attempt is not among them: its conversation waits for the retry.
     */
    List<ModelCompletion> drain() {
        List<ModelCompletion> done = new ArrayList<>();
        ModelCompletion completion;
        while ((completion = completions.poll()) != null) {
            settle(completion, done);
        }
        return done;
    }

    /** {@link #drain}, after waiting up to {@code max} for a first completion. */
    List<ModelCompletion> await(Duration max) throws InterruptedException {
        List<ModelCompletion> done = new ArrayList<>();
        ModelCompletion first = completions.poll(max.toMillis(), TimeUnit.MILLISECONDS);
        if (first != null) {
            settle(first, done);
            done.addAll(drain());
        }
        return done;
    }

    private void settle(ModelCompletion completion, List<ModelCompletion> done) {
        if (!completion.key().equals(inFlight.get(completion.conversation()))) {
            return; // not ours any more (the caller was re-initialised)
        }
        inFlight.remove(completion.conversation());
        if (completion.malformed() && completion.attempt() < MAX_ATTEMPTS) {
            // one more try for a malformed answer; the conversation's head stays the same request
            log.info("event=model_output_malformed action=retry provider={} attempt={}", provider.name(),
                    completion.attempt());
            retries.put(completion.key(), completion.attempt() + 1);
            waiting.add(completion.conversation());
            return;
        }
        retries.remove(completion.key());
        if (completion.response() != null && !completion.cached() && cacheable(completion.response())) {
            cache.put(completion.cacheKey(), completion.response(), clock.millis());
        }
        done.add(completion);
    }

    /**
     * A provider that checks its answers has only those that passed cached, so a hit can say it was verified
     * without keeping how; an unverified answer is asked for again next time.
     */
    private boolean cacheable(ModelResponse response) {
        return provider.checksAnswers() ? response.verification().verified()
                : response.verification().status() != Verification.Status.UNVERIFIED;
    }

    private void dispatch(String conversation, Head head) {
        String key = head.key();
        inFlight.put(conversation, key);
        int attempt = retries.getOrDefault(key, 1);
        TranslationRequest request = head.request();
        NormalizedMessage message = request.message();
        // keyed by the tenant's targets, not the detected remainder: a hit needs no detection (the text decides
        // the language); tone, glossary and the conversation's turns shape the answer, so each is in the key
        ToneTemplate toneTemplate = head.toneTemplate();
        String cacheKey = TranslationCache.key(message.tenantId(), provider.name(), request.targetLanguages(),
                request.tone() + "\n" + request.glossary() + toneTemplateVariant(toneTemplate), request.context(),
                message.text());
        long started = System.nanoTime();
        Optional<ModelResponse> cached = attempt == 1 ? cache.lookup(cacheKey, clock.millis()) : Optional.empty();
        if (cached.isPresent()) {
            limit.release();
            ModelResponse hit = cached.get().withVerification(provider.checksAnswers()
                    ? new Verification(Verification.Status.VERIFIED, List.of()) : Verification.NOT_CHECKED);
            completions.add(new ModelCompletion(conversation, key, null, hit, null,
                    System.nanoTime() - started, attempt, 0, true, cacheKey, toneTemplate.scope()));
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
                            ? call(sent, message.text(), sent.context(), toneTemplate)
                            : callInChunks(sent, chunks, toneTemplate);
                    return answer.thenApply(response -> new Answer(source, requireComplete(response, targets)));
                }, detection)
                .thenCompose(answer -> answer)
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((answer, error) -> {
                    limit.release();
                    if (!closed) {
                        completions.add(new ModelCompletion(conversation, key,
                                answer == null ? null : answer.sourceLanguage(),
                                answer == null ? null : answer.response(), error, System.nanoTime() - started,
                                attempt, chunks.size(), false, cacheKey, toneTemplate.scope()));
                    }
                });
    }

    private CompletableFuture<ModelResponse> call(TranslationRequest request, String text, List<Turn> turns,
                                                  ToneTemplate toneTemplate) {
        NormalizedMessage message = request.message();
        ModelRequest modelRequest = new ModelRequest(message.tenantId(), message.conversationId(), message.messageId(),
                text, request.targetLanguages(), turns, maxOutputTokens, request.sourceLanguage(), request.tone(),
                request.glossary(), toneTemplate.text());
        try {
            return provider.translate(modelRequest).toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** One call per chunk, all in flight together; the translations are joined in chunk order per language. */
    private CompletableFuture<ModelResponse> callInChunks(TranslationRequest request, List<String> chunks,
                                                          ToneTemplate toneTemplate) {
        List<CompletableFuture<ModelResponse>> calls = new ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            // earlier turns go with the first chunk only: they are context, not text to translate again
            calls.add(call(request, chunks.get(i), i == 0 ? request.context() : List.of(), toneTemplate));
        }
        return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<ModelResponse> parts = calls.stream().map(CompletableFuture::join).toList();
            List<Translation> joined = request.targetLanguages().stream().map(language -> new Translation(language,
                    String.join(" ", parts.stream().map(part -> textIn(part, language)).toList()))).toList();
            long input = parts.stream().mapToLong(part -> part.usage().inputTokens()).sum();
            long output = parts.stream().mapToLong(part -> part.usage().outputTokens()).sum();
            BigDecimal cost = parts.stream().map(part -> part.usage().costUsd())
                    .reduce(BigDecimal.ZERO, BigDecimal::add);
            ModelResponse first = parts.get(0);
            // every chunk's fallbacks are reported; the provider named is the one that answered the first chunk
            return new ModelResponse(first.provider(), first.model(), first.sourceLanguage(), joined,
                    new Usage(input, output, cost), parts.stream().flatMap(part -> part.fallbacks().stream()).toList(),
                    Verification.joined(parts.stream().map(ModelResponse::verification).toList()));
        });
    }

    private static String textIn(ModelResponse response, String language) {
        return response.translations().stream().filter(t -> language.equals(t.language())).map(Translation::text)
                .findFirst()
                .orElseThrow(() -> new MalformedOutputException("no " + language + " translation in a chunk"));
    }

    /**
     * The tone template's part of the cache key: empty without one (keys stay those of earlier releases), else the
     * text after a line break, which no glossary term can hold, so a changed template is never served the answer
     * built with the old one.
     */
    static String toneTemplateVariant(ToneTemplate toneTemplate) {
        return toneTemplate.text() == null ? "" : "\ntone-template:" + toneTemplate.text();
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

    /** Forgets everything in flight and waiting; answers that arrive later are dropped. */
    void close() {
        closed = true;
        completions.clear();
        retries.clear();
        inFlight.clear();
        waiting.clear();
    }
}
