package io.tla.topology.budget;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
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
import io.tla.topology.budget.BudgetLimit.Period;
import io.tla.topology.TextChunks;
import io.tla.topology.serde.CompactSerdes;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
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
 * Stage 1: the per-tenant budget guard. Runs on records keyed by tenant id, so one stream task owns a tenant's
 * spend and reservations cannot race.
 *
 * <p><b>Limits.</b> Each tenant has four ({@link BudgetLimits}, from {@code budget.*} and
 * {@code tenant.ID.budget.*}): USD per UTC day, USD per UTC calendar month, tokens (input plus output) per UTC
 * day, and tokens per UTC calendar month (only when {@code budget.monthly-tokens} or the tenant's override is set).
 *
 * <p><b>Reservation.</b> Before any model call the guard reserves what the model stage can spend at most on the
 * request. The model stage splits a text longer than {@code model.max-input-tokens} into {@code n} chunks
 * ({@code TextChunks.split}) and makes one call per chunk, each with up to {@code model.max-output-tokens} of
 * output, and each call may fall back along the whole provider chain. So the reservation is:
 * <ul>
 *   <li>output {@code n × model.max-output-tokens};</li>
 *   <li>input {@code Tokens.estimate(text) + C + n × P + (C > 0 ? K : 0)}. {@code C} is the most context the
 *       prompt can carry (the first chunk carries it): context retrieval sends the newest turns while at most
 *       {@code context.turns} turns and {@code context.max-tokens} estimated tokens
 *       ({@code ConversationTurns.contextFor}), so {@code C = min(context.max-tokens, context.turns × T)} with
 *       {@code T} the most one turn can hold. Nothing else bounds a turn, so one turn alone may fill
 *       {@code context.max-tokens}: {@code C} is {@code context.max-tokens} when {@code context.turns > 0}, and 0
 *       when it is 0. {@code P} ({@link #promptTokensPerChunk}) is what every call's prompt carries besides the
 *       text: the fixed instructions and the answer's JSON schema ({@code PromptBuilder}), which measure at most
 *       380 estimated tokens for one target language over every tone, and about 13 more per further target,
 *       plus the chat framing of the system and user messages (about 4 tokens each and 3 to prime the answer):
 *       {@value #PROMPT_TOKENS_PER_CHUNK} + {@value #PROMPT_TOKENS_PER_TARGET} per target language. {@code K}
 *       ({@value #CONTEXT_INSTRUCTION_TOKENS}) is the instruction that explains the context turns (63 measured),
 *       sent with the first chunk only. The sum of the chunks' estimates is at most the text's estimate plus one
 *       per chunk (each rounds up), which {@code P} covers. Not counted: glossary terms in the prompt and the
 *       turns' framing (a line each); settlement replaces the reservation with the provider's real usage.</li>
 *   <li>priced at the highest input and the highest output price among the providers the tenant's text may be
 *       sent to ({@code model.providers} that its compliance policy allows, {@link ReservationPrices}), since any
 *       chunk may be answered by any of them.</li>
 * </ul>
 * The request is refused when the reservation would take any limit past its value
 * ({@code spent + reserved > limit}); a request that lands exactly on a limit is allowed. A refused request
 * reserves nothing.
 *
 * <p><b>Store.</b> {@value #TENANT_BUDGET_STORE} (persistent, changelogged) holds one {@link TenantSpend} per tenant
 * and period: key {@code TENANT|2026-11-25} for the UTC day (USD and tokens, for the daily limits) and key
 * {@code TENANT|2026-11} for the UTC month (USD and tokens, for the monthly limits). The day key
 * is the one the day-only guard used, so spend carries over an upgrade. Each reservation names the day and month
 * it was booked on; {@link BudgetSettler} corrects exactly those two records when the model stage is done, even
 * after midnight or a month's end. An hourly wall-clock punctuator deletes day records older than
 * {@value #DAYS_KEPT} days and month records before the previous month.
 *
 * <p><b>Thresholds.</b> When spend (including in-flight reservations) reaches 80 % and 100 % of a limit, one
 * {@value #THRESHOLD_EVENT} telemetry event is emitted per limit, threshold and period; which ones were emitted
 * is kept in the period's record, so neither another message nor a restart repeats them. A refusal counts as
 * reaching 100 % of every limit it would have passed. A zero spend never reaches a threshold, even of a zero limit.
 *
 * <p><b>Refusal.</b> One polite sentence ({@link BudgetRefusals}) in the sender's language as told by
 * {@code languageOf}, naming the limit reached. When several would be passed, the one that lasts longest is named
 * (monthly USD, then monthly tokens, then daily USD, then daily tokens).
 */
public final class BudgetGuard implements Processor<String, NormalizedMessage, String, StageOutput> {

    public static final String NAME = "budget-guard";
    public static final String TENANT_BUDGET_STORE = "tenant-budget-store";
    public static final String THRESHOLD_EVENT = TelemetryEvent.Types.BUDGET_THRESHOLD;

    static final Duration PURGE_INTERVAL = Duration.ofHours(1);
    /** Day records are kept this many days after their day: settlements arrive within minutes, this leaves room. */
    static final int DAYS_KEPT = 7;

    private static final List<Double> THRESHOLDS = List.of(0.8, 1.0);
    private static final List<BudgetLimit> LONGEST_LASTING_FIRST = List.of(BudgetLimit.MONTHLY_USD,
            BudgetLimit.MONTHLY_TOKENS, BudgetLimit.DAILY_USD, BudgetLimit.DAILY_TOKENS);
    /** Every call's prompt besides the text, for one target language: instructions, schema, chat framing. */
    static final long PROMPT_TOKENS_PER_CHUNK = 384;
    /** What each target language adds to a call's prompt (its name in the instructions, example and schema). */
    static final long PROMPT_TOKENS_PER_TARGET = 16;
    /** The instruction that explains the context turns, in the first chunk's prompt when turns may be sent. */
    static final long CONTEXT_INSTRUCTION_TOKENS = 64;
    private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);

    private final TopologySettings settings;
    private final Clock clock;
    private final Function<String, String> languageOf;
    private final Map<BudgetLimit, Counter> rejections = new EnumMap<>(BudgetLimit.class);
    private final MeterRegistry meters;
    private final BudgetGauges gauges;
    private KeyValueStore<String, TenantSpend> spend;
    private ProcessorContext<String, StageOutput> context;

    /**
     * @param languageOf the BCP-47 primary language of a text ({@code de}, or {@code und} when unknown); only
     *                   asked for refused messages, to word the refusal
     */
    public BudgetGuard(TopologySettings settings, Clock clock, MeterRegistry meters,
                       Function<String, String> languageOf) {
        this.settings = settings;
        this.clock = clock;
        this.languageOf = languageOf;
        for (BudgetLimit limit : BudgetLimit.values()) {
            rejections.put(limit, Counter.builder("tla.budget.rejections")
                    .description("Messages refused by the budget guard, by the limit that refused them")
                    .tag("limit", limit.wireName()).register(meters));
        }
        this.meters = meters;
        this.gauges = BudgetGauges.of(meters, clock, settings.budgetMetricsMaxTenants());
    }

    public static StoreBuilder<KeyValueStore<String, TenantSpend>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TENANT_BUDGET_STORE), Serdes.String(),
                CompactSerdes.TENANT_SPEND).withCachingEnabled();
    }

    @Override
    public void init(ProcessorContext<String, StageOutput> context) {
        this.context = context;
        this.spend = context.getStateStore(TENANT_BUDGET_STORE);
        context.schedule(PURGE_INTERVAL, PunctuationType.WALL_CLOCK_TIME, timestamp -> purgeOldPeriods());
    }

    @Override
    public void process(Record<String, NormalizedMessage> record) {
        NormalizedMessage message = record.value();
        String tenant = message.tenantId();
        Instant now = clock.instant();
        LocalDate date = LocalDate.ofInstant(now, ZoneOffset.UTC);
        Map<Period, String> periods = Map.of(
                Period.DAY, date.toString(),
                Period.MONTH, YearMonth.from(date).toString());
        Map<Period, TenantSpend> before = new EnumMap<>(Period.class);
        periods.forEach((period, name) -> {
            TenantSpend stored = spend.get(storeKey(tenant, name));
            before.put(period, stored == null ? TenantSpend.NONE : stored);
        });
        List<String> languages = settings.targetLanguagesForTenant().apply(tenant);
        BudgetReservation reservation = reserve(message, languages, periods.get(Period.DAY), periods.get(Period.MONTH));
        BudgetLimits limits = limitsFor(tenant);
        List<BudgetLimit> passed = LONGEST_LASTING_FIRST.stream()
                .filter(limit -> limit.appliesTo(limits))
                .filter(limit -> limit.spentIn(before.get(limit.period())).add(limit.amountOf(reservation))
                        .compareTo(limit.valueIn(limits)) > 0)
                .toList();
        boolean allowed = passed.isEmpty();

        Map<Period, TenantSpend> after = new EnumMap<>(Period.class);
        before.forEach((period, spent) -> after.put(period, allowed ? spent.allow(reservation) : spent.refuse()));
        List<TelemetryEvent> telemetry = new ArrayList<>();
        Map<String, Object> decision = decision(allowed ? null : passed.get(0), reservation, limits, before);
        for (BudgetLimit limit : BudgetLimit.values()) {
            if (!limit.appliesTo(limits)) {
                continue;
            }
            after.put(limit.period(), reportThresholds(limit, after.get(limit.period()), limits, passed.contains(limit),
                    periods.get(limit.period()), message, now, telemetry));
        }
        after.forEach((period, spent) -> spend.put(storeKey(tenant, periods.get(period)), spent));
        for (BudgetLimit limit : BudgetLimit.values()) {
            if (!limit.appliesTo(limits)) {
                continue; // no series for a limit the tenant does not have
            }
            TenantSpend spent = after.get(limit.period());
            gauges.record(meters, tenant, limit, periods.get(limit.period()), limit.spentIn(spent), limit.valueIn(limits),
                    spent.reported(thresholdMark(limit, 1.0)));
        }

        // the decision travels with an allowed request and is sent with the rest of its facts where its path ends;
        // a refusal ends it here. Thresholds are rare and go on their own.
        StageOutput output;
        if (allowed) {
            output = StageOutput.proceed(new TranslationRequest(message, languages, reservation, List.of())
                            .withFact(TelemetryEvent.Types.BUDGET_DECISION, decision, now),
                    telemetry.toArray(TelemetryEvent[]::new));
        } else {
            rejections.get(passed.get(0)).increment();
            ReplyEvent reply = refusal(message, passed.get(0), now);
            Map<String, Map<String, Object>> facts = TelemetryEvents.withFact(Map.of(),
                    TelemetryEvent.Types.BUDGET_DECISION, decision, now);
            telemetry.add(TelemetryEvents.processed(message, TelemetryEvents.withFact(facts,
                    TelemetryEvent.Types.REPLY_EMITTED, TelemetryEvents.replyEmitted(message, reply, now), now), now));
            output = StageOutput.reply(reply, telemetry.toArray(TelemetryEvent[]::new));
        }
        context.forward(record.withValue(output));
    }

    /** How a reported threshold is kept in a period's record: {@code daily-usd@0.8}. */
    static String thresholdMark(BudgetLimit limit, double threshold) {
        return limit.wireName() + "@" + threshold;
    }

    /** A tenant's spend in one period: {@code TENANT|2026-11-25} for a UTC day, {@code TENANT|2026-11} for a month. */
    static String storeKey(String tenantId, String period) {
        return tenantId + "|" + period;
    }

    /**
     * Emits the thresholds of {@code limit} that {@code spent} has reached and that were not yet reported in this
     * period; returns the record marked with them.
     */
    private TenantSpend reportThresholds(BudgetLimit limit, TenantSpend spent, BudgetLimits limits, boolean refusedBy,
                                         String period, NormalizedMessage message, Instant now,
                                         List<TelemetryEvent> telemetry) {
        BigDecimal used = limit.spentIn(spent);
        BigDecimal value = limit.valueIn(limits);
        for (double threshold : THRESHOLDS) {
            String mark = thresholdMark(limit, threshold);
            boolean reached = used.signum() > 0 && used.compareTo(value.multiply(BigDecimal.valueOf(threshold))) >= 0
                    || refusedBy && threshold == 1.0;
            if (reached && !spent.reported(mark)) {
                spent = spent.reporting(mark);
                String tenant = message.tenantId();
                telemetry.add(new TelemetryEvent(
                        THRESHOLD_EVENT + ":" + tenant + ":" + limit.wireName() + ":" + period + ":" + threshold,
                        THRESHOLD_EVENT, tenant, message.conversationId(), message.messageId(), now, Map.of(
                        "limit", limit.wireName(),
                        "threshold", threshold,
                        "period", period,
                        "spent", limit.telemetryValue(used),
                        "limitValue", limit.telemetryValue(value))));
            }
        }
        return spent;
    }

    /** The attributes of {@code budget.decision}. */
    private static Map<String, Object> decision(BudgetLimit refusedBy, BudgetReservation reservation,
                                                BudgetLimits limits, Map<Period, TenantSpend> before) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("decision", refusedBy == null ? "allowed" : "refused");
        if (refusedBy != null) {
            attributes.put("limit", refusedBy.wireName());
        }
        attributes.put("estimatedCostUsd", reservation.estimatedCostUsd());
        attributes.put("estimatedTokens", reservation.reservedTokens());
        attributes.put("spentTodayUsd", before.get(Period.DAY).spentUsd());
        attributes.put("limitUsd", limits.dailyUsd());
        attributes.put("spentMonthUsd", before.get(Period.MONTH).spentUsd());
        attributes.put("monthlyLimitUsd", limits.monthlyUsd());
        attributes.put("tokensToday", before.get(Period.DAY).tokens());
        attributes.put("dailyTokenLimit", limits.dailyTokens());
        attributes.put("tokensMonth", before.get(Period.MONTH).tokens());
        if (BudgetLimit.MONTHLY_TOKENS.appliesTo(limits)) {
            attributes.put("monthlyTokenLimit", limits.monthlyTokens());
        }
        return attributes;
    }

    private BudgetLimits limitsFor(String tenantId) {
        return new BudgetLimits(settings.dailyBudgetUsdForTenant().apply(tenantId),
                settings.monthlyBudgetUsdForTenant().apply(tenantId),
                settings.dailyBudgetTokensForTenant().apply(tenantId),
                settings.monthlyBudgetTokensForTenant().apply(tenantId));
    }

    /** The most the model stage can spend on {@code message}: see the class comment. */
    private BudgetReservation reserve(NormalizedMessage message, List<String> targets, String day, String month) {
        long chunks = TextChunks.split(message.text(), settings.maxInputTokens()).size();
        long context = contextTokenBound(settings);
        long inputTokens = Tokens.estimate(message.text()) + context
                + chunks * promptTokensPerChunk(targets.size()) + (context > 0 ? CONTEXT_INSTRUCTION_TOKENS : 0);
        long outputTokens = chunks * settings.maxOutputTokens();
        ReservationPrices prices = settings.reservationPricesForTenant().apply(message.tenantId());
        BigDecimal cost = prices.inputUsdPer1kTokens().multiply(BigDecimal.valueOf(inputTokens))
                .add(prices.outputUsdPer1kTokens().multiply(BigDecimal.valueOf(outputTokens)))
                .divide(THOUSAND, 8, RoundingMode.UP);
        return new BudgetReservation(day, month, inputTokens, outputTokens, cost);
    }

    /** What one call's prompt carries besides the text and the context, for {@code targets} target languages. */
    static long promptTokensPerChunk(int targets) {
        return PROMPT_TOKENS_PER_CHUNK + PROMPT_TOKENS_PER_TARGET * Math.max(1, targets);
    }

    /**
     * The most estimated context tokens a request can carry: {@code context.max-tokens}, or 0 when no turn is sent.
     * One turn may already fill {@code context.max-tokens} (see the class comment), so more turns add nothing.
     */
    static long contextTokenBound(TopologySettings settings) {
        return settings.contextTurns() == 0 ? 0 : settings.contextMaxTokens();
    }

    private ReplyEvent refusal(NormalizedMessage message, BudgetLimit limit, Instant now) {
        String language = languageOf.apply(message.text());
        Translation text = BudgetRefusals.refusal(language, limit);
        return ReplyEvent.answering(message, ReplyIds.of(message, ReplyKind.BUDGET_EXCEEDED), ReplyKind.BUDGET_EXCEEDED,
                language, List.of(text), NAME, null, null, now);
    }

    /** Deletes day records older than {@link #DAYS_KEPT} days and month records before the previous month. */
    private void purgeOldPeriods() {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        String oldestDay = today.minusDays(DAYS_KEPT).toString();
        String oldestMonth = YearMonth.from(today).minusMonths(1).toString();
        List<String> old = new ArrayList<>();
        try (KeyValueIterator<String, TenantSpend> all = spend.all()) {
            while (all.hasNext()) {
                KeyValue<String, TenantSpend> entry = all.next();
                String period = entry.key.substring(entry.key.lastIndexOf('|') + 1);
                // ISO dates and months order as text
                boolean expired = period.length() == 10 ? period.compareTo(oldestDay) < 0
                        : period.length() == 7 && period.compareTo(oldestMonth) < 0;
                if (expired) {
                    old.add(entry.key);
                }
            }
        }
        old.forEach(spend::delete);
    }
}
