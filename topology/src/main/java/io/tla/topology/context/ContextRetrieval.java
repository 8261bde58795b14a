package io.tla.topology.context;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.schemas.JsonSerde;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.TelemetryEvent;
import io.tla.topology.StageOutput;
import io.tla.topology.TelemetryEvents;
import io.tla.topology.Tokens;
import io.tla.topology.TranslationRequest;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Stage 2: context retrieval. Runs on records keyed by conversation id, so a conversation's turns live in one
 * task and arrive in order. Attaches the recent turns of the conversation to the request, then records the
 * message as the newest turn. Turns are stored under tenant and conversation together, so no turn of one tenant
 * can reach another tenant's prompt even if two tenants' conversation ids collided.
 */
public final class ContextRetrieval implements Processor<String, TranslationRequest, String, StageOutput> {

    public static final String NAME = "context-retrieval";
    public static final String CONVERSATION_TURNS_STORE = "conversation-turns-store";

    private final int turnLimit;
    private final Clock clock;
    private final DistributionSummary turnsSent;
    private KeyValueStore<String, ConversationTurns> turns;
    private ProcessorContext<String, StageOutput> context;

    public ContextRetrieval(int turnLimit, Clock clock, MeterRegistry meters) {
        this.turnLimit = turnLimit;
        this.clock = clock;
        this.turnsSent = DistributionSummary.builder("tla.context.turns")
                .description("Earlier turns sent with a request").register(meters);
    }

    public static StoreBuilder<KeyValueStore<String, ConversationTurns>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CONVERSATION_TURNS_STORE), Serdes.String(),
                new JsonSerde<>(ConversationTurns.class));
    }

    @Override
    public void init(ProcessorContext<String, StageOutput> context) {
        this.context = context;
        this.turns = context.getStateStore(CONVERSATION_TURNS_STORE);
    }

    @Override
    public void process(Record<String, TranslationRequest> record) {
        long started = System.nanoTime();
        NormalizedMessage message = record.value().message();
        String key = storeKey(message);
        ConversationTurns stored = turns.get(key);
        List<Turn> earlier = stored == null ? List.of() : stored.turns().stream()
                .filter(turn -> !turn.messageId().equals(message.messageId()))
                .toList();
        Turn current = new Turn(message.messageId(), message.from().name(), message.text(), message.receivedAt());
        turns.put(key, (stored == null ? ConversationTurns.EMPTY : stored).append(current, Math.max(1, turnLimit)));
        List<Turn> sent = turnLimit == 0 ? List.of() : earlier.subList(Math.max(0, earlier.size() - turnLimit), earlier.size());
        turnsSent.record(sent.size());
        long contextTokens = sent.stream().mapToLong(turn -> Tokens.estimate(turn.text())).sum();
        TelemetryEvent retrieved = TelemetryEvents.forMessage(TelemetryEvent.Types.CONTEXT_RETRIEVED, message,
                clock.instant(), Map.of("turns", sent.size(), "contextTokens", contextTokens,
                        "latencyMs", (System.nanoTime() - started) / 1_000_000.0));
        context.forward(record.withValue(StageOutput.proceed(record.value().withContext(sent), retrieved)));
    }

    /** Tenant and conversation together: isolation does not rest on conversation ids being globally unique. */
    static String storeKey(NormalizedMessage message) {
        return message.tenantId() + "|" + message.conversationId();
    }
}
