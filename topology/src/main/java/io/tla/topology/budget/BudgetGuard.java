package io.tla.topology.budget;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.schemas.JsonSerde;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import io.tla.topology.ReplyIds;
import io.tla.topology.StageOutput;
import io.tla.topology.TelemetryEvents;
import io.tla.topology.Tokens;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationRequest;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
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
 * Stage 1: the per-tenant budget guard. Runs on records keyed by tenant id, so one stream task owns a tenant's
 * spend and reservations cannot race. Before any model call it reserves the estimated cost (input tokens plus
 * the maximum output tokens, at the primary provider's prices); a request whose reservation would take the day's
 * spend past the limit is refused with a polite {@code budget-exceeded} reply. Spend is kept per tenant per UTC
 * day in a changelogged store, so it survives restarts and rebalances.
 */
public final class BudgetGuard implements Processor<String, NormalizedMessage, String, StageOutput> {

    public static final String NAME = "budget-guard";
    public static final String TENANT_BUDGET_STORE = "tenant-budget-store";

    private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);

    private final TopologySettings settings;
    private final Clock clock;
    private final Counter refusals;
    private KeyValueStore<String, TenantSpend> spend;
    private ProcessorContext<String, StageOutput> context;

    public BudgetGuard(TopologySettings settings, Clock clock, MeterRegistry meters) {
        this.settings = settings;
        this.clock = clock;
        this.refusals = Counter.builder("tla.budget.rejections").description("Messages refused by the budget guard")
                .register(meters);
    }

    public static StoreBuilder<KeyValueStore<String, TenantSpend>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TENANT_BUDGET_STORE), Serdes.String(),
                new JsonSerde<>(TenantSpend.class));
    }

    @Override
    public void init(ProcessorContext<String, StageOutput> context) {
        this.context = context;
        this.spend = context.getStateStore(TENANT_BUDGET_STORE);
    }

    @Override
    public void process(Record<String, NormalizedMessage> record) {
        NormalizedMessage message = record.value();
        Instant now = clock.instant();
        String day = LocalDate.ofInstant(now, ZoneOffset.UTC).toString();
        String key = storeKey(message.tenantId(), day);
        TenantSpend today = spend.get(key);
        if (today == null) {
            today = TenantSpend.NONE;
        }
        BudgetReservation reservation = reserve(message, day);
        BigDecimal limit = settings.dailyBudgetUsdForTenant().apply(message.tenantId());
        BigDecimal after = today.spentUsd().add(reservation.estimatedCostUsd());
        boolean allowed = after.compareTo(limit) <= 0;
        TelemetryEvent decision = TelemetryEvents.forMessage(TelemetryEvent.Types.BUDGET_DECISION, message, now, Map.of(
                "decision", allowed ? "allowed" : "refused",
                "estimatedCostUsd", reservation.estimatedCostUsd(),
                "spentTodayUsd", today.spentUsd(),
                "limitUsd", limit,
                "estimatedTokens", reservation.estimatedInputTokens() + reservation.maxOutputTokens()));
        StageOutput output;
        if (allowed) {
            spend.put(key, today.allow(reservation));
            List<String> languages = settings.targetLanguagesForTenant().apply(message.tenantId());
            output = StageOutput.proceed(new TranslationRequest(message, languages, reservation, List.of()), decision);
        } else {
            spend.put(key, today.refuse());
            refusals.increment();
            ReplyEvent reply = refusal(message, now);
            output = StageOutput.reply(reply, decision, TelemetryEvents.replyEmitted(message, reply, now));
        }
        context.forward(record.withValue(output));
    }

    /** Spend is kept per tenant per UTC day. */
    static String storeKey(String tenantId, String day) {
        return tenantId + "|" + day;
    }

    private BudgetReservation reserve(NormalizedMessage message, String day) {
        long inputTokens = Tokens.estimate(message.text()) + settings.contextTurns() * 64L;
        long outputTokens = settings.maxOutputTokens();
        BigDecimal cost = settings.inputUsdPer1kTokens().multiply(BigDecimal.valueOf(inputTokens))
                .add(settings.outputUsdPer1kTokens().multiply(BigDecimal.valueOf(outputTokens)))
                .divide(THOUSAND, 8, RoundingMode.UP);
        return new BudgetReservation(day, inputTokens, outputTokens, cost);
    }

    private static ReplyEvent refusal(NormalizedMessage message, Instant now) {
        String text = "Translation is paused for today: your organisation's daily translation budget has been reached. "
                + "It resets at 00:00 UTC.";
        return new ReplyEvent(ReplyIds.of(message, ReplyKind.BUDGET_EXCEEDED), message.tenantId(), message.conversationId(),
                message.messageId(), ReplyKind.BUDGET_EXCEEDED, null, List.of(new Translation("en", text)), "budget-guard",
                null, null, now, message.conversationType(), message.teamAadGroupId(), message.channelId(),
                message.rootMessageId(), message.serviceUrl(), message.receivedAt());
    }
}
