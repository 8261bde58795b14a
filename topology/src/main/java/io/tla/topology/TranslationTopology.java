package io.tla.topology;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.schemas.JsonSerde;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.topology.budget.BudgetGuard;
import io.tla.topology.budget.BudgetSettler;
import io.tla.topology.compliance.PiiGuard;
import io.tla.topology.errors.DeadLetterRecords;
import io.tla.topology.context.ContextRetrieval;
import io.tla.topology.context.ConversationStore;
import io.tla.topology.context.ReplyTurnRecorder;
import io.tla.topology.dedupe.DuplicateActivityFilter;
import io.tla.topology.glossary.GlossaryStore;
import io.tla.topology.language.LanguageDetection;
import io.tla.topology.model.InFlightLimit;
import io.tla.topology.model.ModelCall;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.TranslationCache;
import io.tla.topology.ratelimit.RateLimit;
import io.tla.topology.preferences.LanguageCommandOutcome;
import io.tla.topology.preferences.LanguageCommands;
import io.tla.topology.preferences.LanguagePreferenceState;
import io.tla.topology.preferences.LanguagePreferenceStore;
import io.tla.topology.serde.CompactSerdes;
import io.tla.topology.tone.ToneTemplateStore;
import java.time.Clock;
import java.util.concurrent.Executor;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * The translation pipeline, top to bottom:
 *
 * <pre>
 * tla.glossary.v1 (compacted)  → global store [glossary-store], read by context-retrieval
 * tla.tones.v1 (compacted)     → global store [tone-template-store], read by model-call
 * tla.languages.v1 (compacted) → global store [language-preferences-store], read by language-commands and
 *                                context-retrieval
 * teams.messages.v1 (by conversation)
 *   → re-key by tenant ─────────────────────────── repartition "messages-by-tenant" (the only one)
 *   → drop-duplicate-activities   [seen-activities-store]
 *   → language-commands                                        → replies, telemetry, tla.languages.v1 (a message
 *                                                                that is exactly a language command is answered
 *                                                                here: not translated, not charged)
 *   → budget-guard                [tenant-budget-store]        → replies, telemetry
 *   → rate-limit                  [tenant-rate-store,          → replies, telemetry (over the tenant's per-minute
 *                                  rate-limit-waiting-store]     limits a message waits, in order, then goes on
 *                                                                or is refused; a wall-clock punctuator releases)
 *   → pii-guard                                                → replies, telemetry (personal data redacted, or
 *                                                                the message refused, before any text can leave)
 *   → context-retrieval           [conversation-turns-v2-store] → telemetry
 *   → model-call                  [model-pending-store,        → replies, telemetry, dead letters (source-language detection
 *                                  translation-cache-store,      runs with the call, off the stream thread; a
 *                                  conversation-turns-v2-store]
 *                                                                message already in the only target language
 *                                                                stops here)
 *       → record-reply-turns      [conversation-turns-v2-store]
 *       → budget-settle           [tenant-budget-store]      (also of the rate limit's and the PII guard's
 *                                                                refusals)
 * </pre>
 *
 * After the one repartition, every stage runs in the task that owns the tenant: the budget is reserved and
 * settled there, and a conversation (which belongs to one tenant) is read, answered and recorded there, so its
 * replies leave in the order its messages arrived. One hop through the broker instead of one per stage; the price
 * is that a tenant's messages are processed by one stream thread at a time, which the asynchronous model stage
 * makes cheap (the thread never waits for a model). Tenants spread over the partitions and instances.
 *
 * <p>Each stage returns a {@link StageOutput}; its replies go to {@code teams.replies.v1} keyed by conversation, its
 * telemetry to {@code tla.telemetry.v1} keyed by tenant. Records that fail go to {@code teams.messages.dlq.v1}
 * through {@link io.tla.topology.errors.DeadLetterHandler}. Every processor, store and internal topic is named,
 * so changelog and repartition topics keep their names across releases. The stores and the repartition topic hold
 * the compact binary form of {@link CompactSerdes} (and still read the JSON of earlier releases); the public
 * topics are JSON.
 */
public final class TranslationTopology {

    private static final Serde<String> KEYS = Serdes.String();
    private static final Serde<NormalizedMessage> MESSAGES = new JsonSerde<>(NormalizedMessage.class);
    /** Only this topology reads the repartition topic: binary, no JSON parsing on the hop. */
    private static final Serde<NormalizedMessage> REPARTITIONED = CompactSerdes.MESSAGE;

    private TranslationTopology() {
    }

    /** The topology as it runs: source-language detection on {@link LanguageDetection#executor()}. */
    public static Topology buildTopology(TopologySettings settings, ModelProvider model, Clock clock, MeterRegistry meters) {
        return buildTopology(settings, model, clock, meters, LanguageDetection.executor());
    }

    /**
     * The topology with source-language detection run by {@code detection} (tests pass a direct executor, so a
     * provider that answers at once answers within the {@code process()} call that dispatched it).
     */
    public static Topology buildTopology(TopologySettings settings, ModelProvider model, Clock clock,
                                         MeterRegistry meters, Executor detection) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(DuplicateActivityFilter.storeBuilder());
        builder.addStateStore(BudgetGuard.storeBuilder());
        builder.addStateStore(ConversationStore.storeBuilder());
        builder.addStateStore(ModelCall.storeBuilder());
        builder.addStateStore(TranslationCache.storeBuilder());
        builder.addStateStore(RateLimit.rateStoreBuilder());
        builder.addStateStore(RateLimit.waitingStoreBuilder());
        GlossaryStore.addGlobalStore(builder);
        ToneTemplateStore.addGlobalStore(builder, meters);
        LanguagePreferenceState languages = LanguagePreferenceState.create(meters);
        LanguagePreferenceStore.addGlobalStore(builder, languages);
        // context retrieval and the reply recorder of a task share the turns they decoded
        ConversationStore.Caches turnCaches = new ConversationStore.Caches();
        InFlightLimit inFlight = new InFlightLimit(settings.maxInFlight());
        Gauge.builder("tla.model.in.flight", inFlight, InFlightLimit::inFlight)
                .description("Model calls in flight in this instance").register(meters);

        // One task owns each tenant: duplicate detection, budget reservations and a conversation's turns cannot race.
        KStream<String, NormalizedMessage> byTenant = builder
                .stream(Topics.MESSAGES.name(), Consumed.with(KEYS, MESSAGES).withName("read-messages"))
                .selectKey((conversationId, message) -> message.tenantId(), Named.as("key-by-tenant"))
                .repartition(Repartitioned.with(KEYS, REPARTITIONED).withName("messages-by-tenant"));

        KStream<String, LanguageCommandOutcome> commands = byTenant
                .process(() -> new DuplicateActivityFilter(settings.duplicateWindow(), meters),
                        Named.as(DuplicateActivityFilter.NAME), DuplicateActivityFilter.SEEN_ACTIVITIES_STORE)
                .process(() -> new LanguageCommands(settings, clock, meters, languages),
                        Named.as(LanguageCommands.NAME));
        emit(commands.flatMapValues(LanguageCommandOutcome::answers, Named.as("language-commands-answered")),
                LanguageCommands.NAME);
        // a changed choice leaves in the transaction of its confirmation
        commands.flatMap((tenant, outcome) -> outcome.preferenceWrites(), Named.as("language-preference-changes"))
                .to(Topics.LANGUAGES.name(), Produced.with(KEYS, Topics.LANGUAGES.valueSerde())
                        .withName(LanguageCommands.NAME + "-write-preferences"));

        KStream<String, StageOutput> budgeted = commands
                .flatMapValues(LanguageCommandOutcome::continuation, Named.as("not-language-commands"))
                // detection runs for refused messages only: the refusal is worded in the sender's language
                .process(() -> new BudgetGuard(settings, clock, meters, LanguageDetection::detect),
                        Named.as(BudgetGuard.NAME), BudgetGuard.TENANT_BUDGET_STORE);
        emit(budgeted, BudgetGuard.NAME);

        // over its tenant's per-minute limits a message waits in the task's store; a punctuator releases it
        KStream<String, StageOutput> limited = budgeted
                .flatMapValues(StageOutput::continuation, Named.as("budget-allowed"))
                .process(() -> new RateLimit(settings.rateLimit(), clock, meters, LanguageDetection::detect),
                        Named.as(RateLimit.NAME), RateLimit.RATE_STORE, RateLimit.WAITING_STORE);
        emit(limited, RateLimit.NAME);

        KStream<String, StageOutput> screened = limited
                .flatMapValues(StageOutput::continuation, Named.as("rate-limit-passed"))
                .process(() -> new PiiGuard(settings.compliance(), clock, meters, LanguageDetection::detect), Named.as(PiiGuard.NAME));
        emit(screened, PiiGuard.NAME);

        KStream<String, StageOutput> withContext = screened
                .flatMapValues(StageOutput::continuation, Named.as("pii-screened"))
                .process(() -> new ContextRetrieval(settings, clock, meters, turnCaches, languages),
                        Named.as(ContextRetrieval.NAME), ContextRetrieval.CONVERSATION_TURNS_STORE);
        emit(withContext, ContextRetrieval.NAME);

        KStream<String, StageOutput> answered = withContext
                .flatMapValues(StageOutput::continuation, Named.as("context-attached"))
                .process(() -> new ModelCall(model, inFlight, settings, clock, meters, detection),
                        Named.as(ModelCall.NAME), ModelCall.PENDING_STORE, TranslationCache.STORE,
                        ContextRetrieval.CONVERSATION_TURNS_STORE);
        emit(answered, ModelCall.NAME);
        // a message no provider could answer goes to the dead-letter topic too, for replay
        answered.process(() -> new DeadLetterRecords(meters), Named.as(ModelCall.NAME + "-dead-letters"))
                .to(Topics.MESSAGES_DLQ.name(), Produced.with(KEYS, MESSAGES).withName(ModelCall.NAME + "-write-dead-letters"));

        // The model's answer becomes the assistant side of its turn: later requests see how it was translated.
        answered.flatMapValues(StageOutput::replies, Named.as("replies-to-record"))
                .process(() -> new ReplyTurnRecorder(turnCaches), Named.as(ReplyTurnRecorder.NAME),
                        ContextRetrieval.CONVERSATION_TURNS_STORE);

        // Settle each reservation with the real usage, or release it (a message the model never saw or could not
        // answer), in the same task and transaction as the reply.
        answered.merge(screened, Named.as("settling-stages"))
                .merge(limited, Named.as("rate-limit-settling"))
                .flatMapValues(StageOutput::settlements, Named.as("budget-settlements"))
                .process(BudgetSettler::new, Named.as(BudgetSettler.NAME), BudgetGuard.TENANT_BUDGET_STORE);

        return builder.build();
    }

    /** Routes a stage's replies and telemetry to their topics, under names derived from the stage. */
    private static void emit(KStream<String, StageOutput> output, String stage) {
        output.flatMap((key, out) -> out.replies().stream()
                                .map(reply -> KeyValue.pair(reply.conversationId(), reply)).toList(),
                        Named.as(stage + "-replies"))
                .to(Topics.REPLIES.name(), Produced.<String, ReplyEvent>with(KEYS, Topics.REPLIES.valueSerde())
                        .withName(stage + "-write-replies"));
        output.flatMap((key, out) -> out.telemetry().stream()
                                .map(event -> KeyValue.pair(event.tenantId(), event)).toList(),
                        Named.as(stage + "-telemetry"))
                .to(Topics.TELEMETRY.name(), Produced.<String, TelemetryEvent>with(KEYS, Topics.TELEMETRY.valueSerde())
                        .withName(stage + "-write-telemetry"));
    }
}
