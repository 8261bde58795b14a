package io.tla.topology.context;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tla.schemas.JsonSerde;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.TelemetryEvent;
import io.tla.topology.StageOutput;
import io.tla.topology.TelemetryEvents;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationRequest;
import io.tla.topology.glossary.GlossaryLookup;
import io.tla.topology.glossary.GlossaryTerm;
import io.tla.topology.budget.BudgetSettlement;
import io.tla.topology.language.LanguageDetection;
import io.tla.topology.language.LanguageTags;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

/**
 * Stage 2: context retrieval. Runs on records keyed by conversation id, so a conversation's turns live in one
 * task and arrive in order.
 *
 * <ol>
 *   <li>Detects the message's source language. When the tenant translates into that one language only, the
 *       message is not sent to the model: no reply, a {@code translation.skipped} event, and the budget
 *       reservation is released. With several targets, the source language is dropped from them.</li>
 *   <li>Attaches the conversation's recent turns, newest first until {@code context.turns} turns or
 *       {@code context.max-tokens} estimated tokens are reached (older turns are dropped first), each with how
 *       it was translated once {@link ReplyTurnRecorder} recorded the answer.</li>
 *   <li>Records the message as the newest turn, and the time as the conversation's last activity; a wall-clock
 *       punctuator deletes conversations idle longer than {@code context.idle-expiry-hours}.</li>
 * </ol>
 *
 * Turns are stored under tenant and conversation together, so no turn of one tenant can reach another tenant's
 * prompt even if two tenants' conversation ids collided.
 */
public final class ContextRetrieval implements Processor<String, TranslationRequest, String, StageOutput> {

    public static final String NAME = "context-retrieval";
    public static final String CONVERSATION_TURNS_STORE = "conversation-turns-store";
    /** Telemetry: a message that was not sent to the model, and why ({@code reason}, {@code language}). */
    public static final String TRANSLATION_SKIPPED = TelemetryEvent.Types.TRANSLATION_SKIPPED;
    public static final String ALREADY_IN_TARGET_LANGUAGE = "already-in-target-language";

    /** How often idle conversations are looked for; expiry is counted in hours, so minutes late is fine. */
    static final Duration EXPIRY_INTERVAL = Duration.ofMinutes(5);
    /** Conversations examined per punctuation, so a large store never stalls the stream thread in one sweep. */
    static final int EXPIRY_BATCH = 10_000;

    private final TopologySettings settings;
    private final Clock clock;
    private final DistributionSummary turnsSent;
    private final Timer retrievalTime;
    private final Counter skippedAlreadyInTarget;
    private final Counter expired;
    private KeyValueStore<String, ConversationTurns> turns;
    private GlossaryLookup glossary;
    private ProcessorContext<String, StageOutput> context;
    /** Where the next expiry sweep continues; in memory only, a restart starts over from the first key. */
    private String sweepFrom;

    public ContextRetrieval(TopologySettings settings, Clock clock, MeterRegistry meters) {
        this.settings = settings;
        this.clock = clock;
        this.turnsSent = DistributionSummary.builder("tla.context.turns")
                .description("Earlier turns sent with a request").register(meters);
        this.retrievalTime = Timer.builder("tla.context.retrieval.seconds")
                .description("Source-language detection and context retrieval per message")
                .publishPercentileHistogram().register(meters);
        this.skippedAlreadyInTarget = Counter.builder("tla.translation.skipped")
                .tag("reason", ALREADY_IN_TARGET_LANGUAGE)
                .description("Messages not sent to the model").register(meters);
        this.expired = Counter.builder("tla.context.conversations.expired")
                .description("Idle conversations whose stored turns were deleted").register(meters);
    }

    public static StoreBuilder<KeyValueStore<String, ConversationTurns>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CONVERSATION_TURNS_STORE), Serdes.String(),
                new JsonSerde<>(ConversationTurns.class));
    }

    @Override
    public void init(ProcessorContext<String, StageOutput> context) {
        this.context = context;
        this.turns = context.getStateStore(CONVERSATION_TURNS_STORE);
        this.glossary = GlossaryLookup.from(context);
        LanguageDetection.warmUpInBackground();
        context.schedule(EXPIRY_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::expireIdleConversations);
    }

    @Override
    public void process(Record<String, TranslationRequest> record) {
        long started = System.nanoTime();
        TranslationRequest request = record.value();
        NormalizedMessage message = request.message();
        Instant now = clock.instant();
        String sourceLanguage = LanguageDetection.detect(message.text());
        List<String> targets = LanguageTags.remainingTargets(sourceLanguage, request.targetLanguages());

        String key = storeKey(message.tenantId(), message.conversationId());
        ConversationTurns stored = turns.get(key);
        List<Turn> sent = stored == null ? List.of()
                : stored.contextFor(message.messageId(), settings.contextTurns(), settings.contextMaxTokens());
        Turn current = new Turn(message.messageId(), message.from().name(), message.text(), message.receivedAt(),
                sourceLanguage, List.of());
        turns.put(key, (stored == null ? ConversationTurns.EMPTY : stored)
                .append(current, settings.contextTurns(), settings.contextMaxTokens(), now));

        StageOutput output;
        if (targets.isEmpty()) {
            // Already in the language (or all the languages) the tenant reads: nothing for the model to do.
            skippedAlreadyInTarget.increment();
            output = StageOutput.observe(TelemetryEvents.forMessage(TRANSLATION_SKIPPED, message, now, Map.of(
                            "reason", ALREADY_IN_TARGET_LANGUAGE, "language", sourceLanguage)))
                    .settling(BudgetSettlement.release(message.tenantId(), message.messageId(), request.reservation()));
        } else {
            turnsSent.record(sent.size());
            long contextTokens = sent.stream().mapToLong(Turn::estimatedTokens).sum();
            Map<String, Object> attributes = new LinkedHashMap<>();
            attributes.put("turns", sent.size());
            attributes.put("contextTokens", contextTokens);
            attributes.put("sourceLanguage", sourceLanguage);
            attributes.put("latencyMs", (System.nanoTime() - started) / 1_000_000.0);
            List<GlossaryTerm> terms = glossary.termsFor(message, targets);
            attributes.put("glossaryTerms", terms.size());
            TranslationRequest next = request.withContext(sent)
                    .withLanguages(sourceLanguage, targets, settings.toneOf(message))
                    .withGlossary(terms);
            output = StageOutput.proceed(next,
                    TelemetryEvents.forMessage(TelemetryEvent.Types.CONTEXT_RETRIEVED, message, now, attributes));
        }
        retrievalTime.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        context.forward(record.withValue(output));
    }

    /**
     * Deletes the turns of conversations idle longer than the expiry, examining at most {@link #EXPIRY_BATCH}
     * conversations per call and continuing where the previous call stopped (from the first key again once it
     * reached the last).
     */
    void expireIdleConversations(long nowMs) {
        expireIdleConversations(nowMs, EXPIRY_BATCH);
    }

    void expireIdleConversations(long nowMs, int batch) {
        Instant cutoff = Instant.ofEpochMilli(nowMs).minus(settings.contextIdleExpiry());
        List<String> idle = new ArrayList<>();
        String resumeAt = null;
        int examined = 0;
        try (KeyValueIterator<String, ConversationTurns> entries = turns.range(sweepFrom, null)) {
            while (entries.hasNext()) {
                KeyValue<String, ConversationTurns> entry = entries.next();
                if (examined++ == batch) {
                    resumeAt = entry.key;
                    break;
                }
                if (entry.value == null || entry.value.lastActiveAt().isBefore(cutoff)) {
                    idle.add(entry.key);
                }
            }
        }
        sweepFrom = resumeAt;
        idle.forEach(turns::delete);
        expired.increment(idle.size());
    }

    /**
     * Tenant and conversation together: isolation does not rest on conversation ids being globally unique.
     * The tenant's length goes first, so no (tenant, conversation) pair can spell another's key whatever
     * characters the ids contain.
     */
    static String storeKey(String tenantId, String conversationId) {
        return tenantId.length() + ":" + tenantId + "|" + conversationId;
    }
}
