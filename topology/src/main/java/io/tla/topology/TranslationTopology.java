package io.tla.topology;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.schemas.JsonSerde;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.topology.budget.BudgetGuard;
import io.tla.topology.budget.BudgetSettlement;
import io.tla.topology.budget.BudgetSettler;
import io.tla.topology.context.ContextRetrieval;
import io.tla.topology.context.ReplyTurnRecorder;
import io.tla.topology.dedupe.DuplicateActivityFilter;
import io.tla.topology.glossary.GlossaryStore;
import io.tla.topology.language.LanguageDetection;
import io.tla.topology.model.InFlightLimit;
import io.tla.topology.model.ModelCall;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.TranslationCache;
import java.time.Clock;
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
 * tla.glossary.v1 (compacted) → global store [glossary-store], read by context-retrieval
 * teams.messages.v1 (by conversation)
 *   → re-key by tenant ─────────────────────────── repartition "messages-by-tenant"
 *   → drop-duplicate-activities   [seen-activities-store]
 *   → budget-guard                [tenant-budget-store]        → replies, telemetry
 *   → re-key by conversation ───────────────────── repartition "requests-by-conversation"
 *   → context-retrieval           [conversation-turns-store]   → telemetry (a message already in the
 *                                                                only target language stops here)
 *   → model-call                  [model-pending-store,        → replies, telemetry
 *                                  translation-cache-store]
 *       → record-reply-turns      [conversation-turns-store]
 *   → re-key by tenant ─────────────────────────── repartition "settlements-by-tenant"
 *   → budget-settle               [tenant-budget-store]
 * </pre>
 *
 * Each stage returns a {@link StageOutput}; its replies go to {@code teams.replies.v1} keyed by conversation, its
 * telemetry to {@code tla.telemetry.v1} keyed by tenant. Records that fail go to {@code teams.messages.dlq.v1}
 * through {@link io.tla.topology.errors.DeadLetterHandler}. Every processor, store and internal topic is named,
 * so changelog and repartition topics keep their names across releases.
 */
public final class TranslationTopology {

    private static final Serde<String> KEYS = Serdes.String();
    private static final Serde<NormalizedMessage> MESSAGES = new JsonSerde<>(NormalizedMessage.class);
    private static final Serde<TranslationRequest> REQUESTS = new JsonSerde<>(TranslationRequest.class);
    private static final Serde<BudgetSettlement> SETTLEMENTS = new JsonSerde<>(BudgetSettlement.class);

    private TranslationTopology() {
    }

    public static Topology buildTopology(TopologySettings settings, ModelProvider model, Clock clock, MeterRegistry meters) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(DuplicateActivityFilter.storeBuilder());
        builder.addStateStore(BudgetGuard.storeBuilder());
        builder.addStateStore(ContextRetrieval.storeBuilder());
        builder.addStateStore(ModelCall.storeBuilder());
        builder.addStateStore(TranslationCache.storeBuilder());
        GlossaryStore.addGlobalStore(builder);
        InFlightLimit inFlight = new InFlightLimit(settings.maxInFlight());
        Gauge.builder("tla.model.in.flight", inFlight, InFlightLimit::inFlight)
                .description("Model calls in flight in this instance").register(meters);

        // One task owns each tenant: duplicate detection and budget reservations cannot race.
        KStream<String, NormalizedMessage> byTenant = builder
                .stream(Topics.MESSAGES.name(), Consumed.with(KEYS, MESSAGES).withName("read-messages"))
                .selectKey((conversationId, message) -> message.tenantId(), Named.as("key-by-tenant"))
                .repartition(Repartitioned.with(KEYS, MESSAGES).withName("messages-by-tenant"));

        KStream<String, StageOutput> budgeted = byTenant
                .process(() -> new DuplicateActivityFilter(settings.duplicateWindow(), meters),
                        Named.as(DuplicateActivityFilter.NAME), DuplicateActivityFilter.SEEN_ACTIVITIES_STORE)
                // detection runs for refused messages only: the refusal is worded in the sender's language
                .process(() -> new BudgetGuard(settings, clock, meters, LanguageDetection::detect),
                        Named.as(BudgetGuard.NAME), BudgetGuard.TENANT_BUDGET_STORE);
        emit(budgeted, BudgetGuard.NAME);

        // Back to conversation order: turns of one conversation are read and written by one task, in order.
        KStream<String, StageOutput> withContext = budgeted
                .flatMapValues(StageOutput::continuation, Named.as("budget-allowed"))
                .selectKey((tenantId, request) -> request.message().conversationId(), Named.as("key-by-conversation"))
                .repartition(Repartitioned.with(KEYS, REQUESTS).withName("requests-by-conversation"))
                .process(() -> new ContextRetrieval(settings, clock, meters),
                        Named.as(ContextRetrieval.NAME), ContextRetrieval.CONVERSATION_TURNS_STORE);
        emit(withContext, ContextRetrieval.NAME);

        KStream<String, StageOutput> answered = withContext
                .flatMapValues(StageOutput::continuation, Named.as("context-attached"))
                .process(() -> new ModelCall(model, inFlight, settings, clock, meters),
                        Named.as(ModelCall.NAME), ModelCall.PENDING_STORE, TranslationCache.STORE);
        emit(answered, ModelCall.NAME);

        // The model's answer becomes the assistant side of its turn: later requests see how it was translated.
        answered.flatMapValues(StageOutput::replies, Named.as("replies-to-record"))
                .process(ReplyTurnRecorder::new, Named.as(ReplyTurnRecorder.NAME),
                        ContextRetrieval.CONVERSATION_TURNS_STORE);

        // Settle each reservation with the real usage, or release it (a message the model never saw), back in
        // the tenant's task.
        withContext.merge(answered, Named.as("settling-stages"))
                .flatMap((conversationId, out) -> out.settlements().stream()
                                .map(settlement -> KeyValue.pair(settlement.tenantId(), settlement)).toList(),
                        Named.as("budget-settlements"))
                .repartition(Repartitioned.with(KEYS, SETTLEMENTS).withName("settlements-by-tenant"))
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
