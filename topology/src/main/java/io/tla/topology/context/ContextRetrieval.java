package io.tla.topology.context;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.TelemetryEvent;
import io.tla.topology.StageOutput;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationRequest;
import io.tla.topology.glossary.GlossaryLookup;
import io.tla.topology.glossary.GlossaryTerm;
import io.tla.topology.preferences.LanguagePreferenceState;
import io.tla.topology.preferences.LanguagePreferences;
import io.tla.topology.preferences.TargetLanguages;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Stage 2: context retrieval. Runs in the task that owns the message's tenant, so a conversation's turns are read
 * and written by one task, in the order its messages arrived.
 *
 * <ol>
 *   <li>Attaches the conversation's recent turns, newest first until {@code context.turns} turns or
 *       {@code context.max-tokens} estimated tokens are reached (older turns are dropped first), each with how
 *       it was translated once {@link ReplyTurnRecorder} recorded the answer; the tenant's tone; and the glossary
 *       terms the message contains, for all of the tenant's target languages (the model stage drops those of the
 *       language the message turns out to be in).</li>
 *   <li>Replaces the request's target languages (the tenant's, from the budget guard) with their union with the
 *       channel's and the people's: the sender's and those of the people who wrote the turns sent
 *       ({@link LanguagePreferences#targetsFor}); the telemetry fact {@code languages.resolved} counts where they
 *       came from (absent when they are all the tenant's).</li>
 *   <li>Records the message as the newest turn, and the time as the conversation's last activity; a wall-clock
 *       punctuator deletes conversations idle longer than {@code context.idle-expiry-hours}. The turns live in
 *       {@link ConversationStore}, one record per turn, shared with {@link ReplyTurnRecorder} in the same task.</li>
 * </ol>
 *
 * Source-language detection is not done here: it costs about a millisecond of CPU per message, so it runs with
 * the model call, off the stream thread ({@link io.tla.topology.model.ModelCall}).
 *
 * <p>Turns are stored under tenant and conversation together, so no turn of one tenant can reach another tenant's
 * prompt even if two tenants' conversation ids collided.
 */
public final class ContextRetrieval implements Processor<String, TranslationRequest, String, StageOutput> {

    public static final String NAME = "context-retrieval";
    public static final String CONVERSATION_TURNS_STORE = ConversationStore.NAME;

    /** How often idle conversations are looked for; expiry is counted in hours, so minutes late is fine. */
    static final Duration EXPIRY_INTERVAL = Duration.ofMinutes(5);
    /** Conversations deleted per punctuation at most, so a large expiry never stalls the stream thread in one sweep. */
    static final int EXPIRY_BATCH = 10_000;

    private final TopologySettings settings;
    private final Clock clock;
    private final DistributionSummary turnsSent;
    private final Timer retrievalTime;
    private final Counter expired;
    private final ConversationStore.Caches caches;
    private ConversationStore turns;
    private GlossaryLookup glossary;
    private final LanguagePreferenceState languageState;
    private LanguagePreferences languages;
    private ProcessorContext<String, StageOutput> context;

    /** A retrieval whose decoded turns no other processor shares. */
    public ContextRetrieval(TopologySettings settings, Clock clock, MeterRegistry meters) {
        this(settings, clock, meters, new ConversationStore.Caches());
    }

    /** @param caches shared with the {@link ReplyTurnRecorder} of the same topology */
    public ContextRetrieval(TopologySettings settings, Clock clock, MeterRegistry meters,
                            ConversationStore.Caches caches) {
        this(settings, clock, meters, caches, new LanguagePreferenceState());
    }

    /** @param languageState shared with the language command stage of the same topology */
    public ContextRetrieval(TopologySettings settings, Clock clock, MeterRegistry meters,
                            ConversationStore.Caches caches, LanguagePreferenceState languageState) {
        this.languageState = languageState;
        this.settings = settings;
        this.caches = caches;
        this.clock = clock;
        this.turnsSent = DistributionSummary.builder("tla.context.turns")
                .description("Earlier turns sent with a request").register(meters);
        this.retrievalTime = Timer.builder("tla.context.retrieval.seconds")
                .description("Context retrieval per message").publishPercentileHistogram().register(meters);
        this.expired = Counter.builder("tla.context.conversations.expired")
                .description("Idle conversations whose stored turns were deleted").register(meters);
    }

    public static StoreBuilder<KeyValueStore<String, byte[]>> storeBuilder() {
        return ConversationStore.storeBuilder();
    }

    @Override
    public void init(ProcessorContext<String, StageOutput> context) {
        this.context = context;
        this.turns = ConversationStore.open(context, caches);
        this.glossary = GlossaryLookup.from(context);
        this.languages = languageState.open(context, settings.languages(), clock);
        context.schedule(EXPIRY_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::expireIdleConversations);
    }

    @Override
    public void process(Record<String, TranslationRequest> record) {
        long started = System.nanoTime();
        TranslationRequest request = record.value();
        NormalizedMessage message = request.message();
        Instant now = clock.instant();
        List<Turn> sent = turns.contextFor(message.tenantId(), message.conversationId(), message.messageId(),
                settings.contextTurns(), settings.contextMaxTokens());
        TargetLanguages targets = languages.targetsFor(message, request.targetLanguages(),
                turns.sendersOf(message.tenantId(), message.conversationId(), sent));
        if (!targets.tenantOnly()) {
            request = request.withTargetLanguages(targets.languages())
                    .withFact(TelemetryEvent.Types.LANGUAGES_RESOLVED, targets.fact(), now);
        }
        Turn current = new Turn(message.messageId(), message.from().name(), message.text(), message.receivedAt());
        turns.append(message.tenantId(), message.conversationId(), current, LanguagePreferences.senderId(message),
                settings.contextTurns(), settings.contextMaxTokens(), now.toEpochMilli());

        turnsSent.record(sent.size());
        List<GlossaryTerm> terms = glossary.termsFor(message, request.targetLanguages());
        TranslationRequest next = request.withContext(sent)
                .withTone(settings.toneOf(message))
                .withGlossary(terms);
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("turns", sent.size());
        attributes.put("contextTokens", sent.stream().mapToLong(Turn::estimatedTokens).sum());
        attributes.put("glossaryTerms", terms.size());
        attributes.put("latencyMs", (System.nanoTime() - started) / 1_000_000.0);
        // sent with the message's other facts where its path ends
        StageOutput output = StageOutput.proceed(next.withFact(TelemetryEvent.Types.CONTEXT_RETRIEVED, attributes,
                now));
        retrievalTime.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        context.forward(record.withValue(output));
    }

    /**
     * Deletes the turns of conversations idle longer than the expiry, at most {@link #EXPIRY_BATCH} per call (the
     * rest on the next).
     */
    void expireIdleConversations(long nowMs) {
        expireIdleConversations(nowMs, EXPIRY_BATCH);
    }

    void expireIdleConversations(long nowMs, int batch) {
        expired.increment(turns.expireIdle(nowMs - settings.contextIdleExpiry().toMillis(), batch));
    }

    @Override
    public void close() {
        if (context != null) {
            caches.detach(context.taskId());
            languageState.detach(context.taskId());
        }
    }
}
