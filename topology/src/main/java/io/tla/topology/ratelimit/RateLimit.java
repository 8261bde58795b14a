package io.tla.topology.ratelimit;

import io.micrometer.core.instrument.MeterRegistry;
import io.tla.platform.config.RateLimitConfig;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import io.tla.topology.InputOffsets;
import io.tla.topology.ReplyIds;
import io.tla.topology.StageOutput;
import io.tla.topology.TelemetryEvents;
import io.tla.topology.TranslationRequest;
import io.tla.topology.budget.BudgetSettlement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.common.header.internals.RecordHeaders;
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
 * The per-tenant rate limit, after the budget guard and before anything is sent anywhere: at most
 * {@code rate-limit.requests-per-minute} messages and {@code rate-limit.tokens-per-minute} tokens (what the budget
 * guard reserved for each) per tenant per minute go on to the model ({@code tenant.ID.rate-limit.*} per tenant,
 * 0: unlimited). A tenant may use a whole minute's worth at once; then the bucket refills evenly
 * ({@link TenantBuckets}, GCRA).
 *
 * <p><b>Exact across instances and restarts.</b> The topology repartitions by tenant, so exactly one stream task
 * owns a tenant, and this stage runs in it. The buckets' state (per tenant and dimension, the theoretical arrival
 * time) is in {@value #RATE_STORE}, a persistent store with a changelog, written in the transaction of the message
 * it admits: a restart, or a rebalance that moves the tenant to another instance, continues from the same state,
 * so no restart hands a tenant a fresh burst. Times are the stream thread's wall clock
 * ({@link ProcessorContext#currentSystemTimeMs()}, the clock the punctuator runs on).
 *
 * <p><b>Over the limit a message waits, it is never dropped.</b> It is written to {@value #WAITING_STORE}
 * (persistent, changelogged) under {@code tenant␟input-offset} ({@link WaitingQueue}), with its record's timestamp
 * and headers. Once a tenant has messages waiting, its newer messages queue behind them: each tenant's messages
 * leave in arrival order, and other tenants are not held up. A wall-clock punctuator ({@value #RELEASE_INTERVAL_MS}
 * ms) releases each tenant's oldest waiting message as soon as its bucket allows, with its original input offset
 * in the {@link InputOffsets#HEADER} header (the model stage keys its pending store by it). A message is refused
 * instead, with a polite {@code rate-limited} reply in the sender's language ({@link RateLimitRefusals}), when it
 * has waited {@code rate-limit.max-wait-seconds} and still cannot pass, or when it arrives while its tenant already
 * has {@code rate-limit.max-waiting-per-tenant} messages waiting; its budget reservation is released and its path
 * ends with its one {@code message.processed} event. Waiting messages survive a restart or rebalance in the store
 * and are released by the tenant's next owner, in order.
 *
 * <p>A message that goes on carries the fact {@code rate.limit} ({@code decision} {@code allowed} or
 * {@code released}, {@code waitedMs}) when its tenant has a limit; with no limit the stage forwards it untouched.
 * Meters: {@link RateLimitMeters}.
 */
public final class RateLimit implements Processor<String, TranslationRequest, String, StageOutput> {

    public static final String NAME = "rate-limit";
    public static final String RATE_STORE = "tenant-rate-store";
    public static final String WAITING_STORE = "rate-limit-waiting-store";

    static final long RELEASE_INTERVAL_MS = 100;
    static final Duration PURGE_INTERVAL = Duration.ofMinutes(1);
    static final String ALLOWED = "allowed";
    static final String RELEASED = RateLimitMeters.RELEASED;
    static final String REFUSED = RateLimitMeters.REFUSED;
    /** Tenants named one by one in a minute's refusal log line; the rest are summed as {@code _other}. */
    private static final int MAX_TENANTS_LOGGED = 100;

    private static final Logger log = LoggerFactory.getLogger(RateLimit.class);

    private final RateLimitConfig config;
    private final Clock clock;
    private final RateLimitMeters meters;
    private final Function<String, String> languageOf;
    /** Refusals since the last log line, per tenant and reason: {@code tenant␟reason} → count; bounded. */
    private final Map<String, Long> refusalsToLog = new LinkedHashMap<>();
    private ProcessorContext<String, StageOutput> context;
    private TenantBuckets buckets;
    private WaitingQueue queue;
    private boolean recovered;

    /**
     * @param languageOf the BCP-47 primary language of a text ({@code de}, or {@code und} when unknown); only
     *                   asked for refused messages, to word the refusal
     */
    public RateLimit(RateLimitConfig config, Clock clock, MeterRegistry meters, Function<String, String> languageOf) {
        this.config = config;
        this.clock = clock;
        this.meters = RateLimitMeters.of(meters);
        this.languageOf = languageOf;
    }

    public static StoreBuilder<KeyValueStore<String, Long>> rateStoreBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RATE_STORE), Serdes.String(), Serdes.Long())
                .withCachingEnabled();
    }

    public static StoreBuilder<KeyValueStore<String, WaitingRequest>> waitingStoreBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(WAITING_STORE), Serdes.String(),
                WaitingRequest.SERDE).withCachingEnabled();
    }

    @Override
    public void init(ProcessorContext<String, StageOutput> context) {
        this.context = context;
        this.buckets = new TenantBuckets(context.getStateStore(RATE_STORE));
        this.queue = new WaitingQueue(context.getStateStore(WAITING_STORE));
        this.recovered = false;
        context.schedule(Duration.ofMillis(RELEASE_INTERVAL_MS), PunctuationType.WALL_CLOCK_TIME, this::release);
        context.schedule(PURGE_INTERVAL, PunctuationType.WALL_CLOCK_TIME, now -> {
            buckets.purge(now * 1_000_000);
            logRefusals();
        });
    }

    /**
     * Reads the waiting requests back from the store the first time the stage runs, not in {@code init()}: the
     * store is complete by then whichever way it was restored.
     */
    private void recover() {
        if (recovered) {
            return;
        }
        recovered = true;
        long found = queue.recover();
        if (found > 0) {
            meters.waiting(found);
            log.info("event=rate_limit_waiting_recovered task={} messages={} tenants={}", context.taskId(), found,
                    queue.tenants().size());
        }
    }

    @Override
    public void process(Record<String, TranslationRequest> record) {
        recover();
        if (record.headers().lastHeader(InputOffsets.HEADER) != null) {
            // only this stage sets it, on what it releases: an incoming one is stale (a replayed dead letter)
            record = record.withHeaders(new RecordHeaders(record.headers().toArray()));
            record.headers().remove(InputOffsets.HEADER);
        }
        TranslationRequest request = record.value();
        String tenant = request.message().tenantId();
        long requestsPerMinute = config.requestsPerMinuteFor(tenant);
        long tokensPerMinute = config.tokensPerMinuteFor(tenant);
        boolean limited = requestsPerMinute > 0 || tokensPerMinute > 0;
        int waiting = queue.waiting(tenant);
        if (!limited && waiting == 0) {
            context.forward(record.withValue(StageOutput.proceed(request)));
            return;
        }
        long nowMs = context.currentSystemTimeMs();
        long tokens = WaitingRequest.tokensOf(request);
        if (waiting == 0 && buckets.earliest(tenant, requestsPerMinute, tokensPerMinute, tokens, nanos(nowMs))
                <= nanos(nowMs)) {
            buckets.take(tenant, requestsPerMinute, tokensPerMinute, tokens, nanos(nowMs));
            context.forward(record.withValue(StageOutput.proceed(passed(request, ALLOWED, 0))));
            return;
        }
        if (waiting >= config.maxWaitingPerTenant()) {
            meters.refusedQueueFull();
            context.forward(record.withValue(refusal(request, RateLimitMeters.QUEUE_FULL, 0)));
            return;
        }
        String key = WaitingQueue.key(tenant, offsetOf(record, tenant));
        if (queue.add(key, WaitingRequest.of(request, record.timestamp(), nowMs, record.headers()))) {
            meters.waiting(1);
        }
    }

    /** The record's input offset; without one (never on the repartition topic), right after the tenant's last. */
    private long offsetOf(Record<String, TranslationRequest> record, String tenant) {
        long offset = context.recordMetadata().map(m -> m.offset()).orElse(-1L);
        if (offset >= 0) {
            return offset;
        }
        String tail = queue.tailKey(tenant);
        return tail == null ? 0 : WaitingQueue.offsetOf(tail) + 1;
    }

    /**
     * The punctuator: for each tenant with waiting messages, releases the oldest while the bucket allows, and
     * refuses the oldest once it has waited {@code max-wait} and still cannot pass.
     */
    private void release(long nowMs) {
        recover();
        long now = nanos(nowMs);
        long maxWaitMs = config.maxWait().toMillis();
        for (String tenant : queue.tenants()) {
            long requestsPerMinute = config.requestsPerMinuteFor(tenant);
            long tokensPerMinute = config.tokensPerMinuteFor(tenant);
            WaitingQueue.Entry head = queue.head(tenant);
            while (head != null) {
                long waitedMs = nowMs - head.waitingSinceMs();
                boolean passes = buckets.earliest(tenant, requestsPerMinute, tokensPerMinute, head.tokens(), now) <= now;
                if (!passes && waitedMs < maxWaitMs) {
                    break;
                }
                WaitingRequest waiting = queue.removeHead(tenant);
                meters.waiting(-1);
                if (waiting != null) {
                    long offset = WaitingQueue.offsetOf(head.key());
                    StageOutput output;
                    if (passes) {
                        buckets.take(tenant, requestsPerMinute, tokensPerMinute, head.tokens(), now);
                        meters.released(waitedMs);
                        output = StageOutput.proceed(passed(waiting.request(), RELEASED, waitedMs));
                    } else {
                        meters.refusedAfterWaiting(waitedMs);
                        output = refusal(waiting.request(), RateLimitMeters.MAX_WAIT, waitedMs);
                    }
                    context.forward(new Record<>(tenant, output, waiting.timestamp(),
                            InputOffsets.with(waiting.recordHeaders(), offset)));
                }
                head = queue.head(tenant);
            }
        }
    }

    private TranslationRequest passed(TranslationRequest request, String decision, long waitedMs) {
        Map<String, Object> fact = new LinkedHashMap<>();
        fact.put("decision", decision);
        fact.put("waitedMs", waitedMs);
        return request.withFact(TelemetryEvent.Types.RATE_LIMIT, fact, clock.instant());
    }

    /** A polite refusal: its reply, the message's one telemetry event, and its reservation released. */
    private StageOutput refusal(TranslationRequest request, String reason, long waitedMs) {
        NormalizedMessage message = request.message();
        Instant now = clock.instant();
        String language = languageOf.apply(message.text());
        Translation text = RateLimitRefusals.refusal(language);
        ReplyEvent reply = ReplyEvent.answering(message, ReplyIds.of(message, ReplyKind.RATE_LIMITED),
                ReplyKind.RATE_LIMITED, language, List.of(text), NAME, null, null, now);
        Map<String, Object> fact = new LinkedHashMap<>();
        fact.put("decision", REFUSED);
        fact.put("reason", reason);
        fact.put("waitedMs", waitedMs);
        TranslationRequest refused = request.withFact(TelemetryEvent.Types.RATE_LIMIT, fact, now)
                .withFact(TelemetryEvent.Types.REPLY_EMITTED, TelemetryEvents.replyEmitted(message, reply, now), now);
        StageOutput output = StageOutput.reply(reply, TelemetryEvents.processed(refused, now));
        countRefusal(message.tenantId(), reason);
        return request.reservation() == null ? output
                : output.settling(BudgetSettlement.release(message.tenantId(), message.messageId(),
                        request.reservation()));
    }

    private void countRefusal(String tenant, String reason) {
        String key = (refusalsToLog.size() < MAX_TENANTS_LOGGED || refusalsToLog.containsKey(tenant + '\u001f' + reason)
                ? tenant : "_other") + '\u001f' + reason;
        refusalsToLog.merge(key, 1L, Long::sum);
    }

    /** One line per tenant and reason refused in the last minute: which tenants the alert is about. */
    private void logRefusals() {
        refusalsToLog.forEach((key, count) -> {
            int split = key.lastIndexOf('\u001f');
            log.warn("event=rate_limit_refusals tenant={} reason={} count={} window=1m", key.substring(0, split),
                    key.substring(split + 1), count);
        });
        refusalsToLog.clear();
    }

    private static long nanos(long epochMillis) {
        return epochMillis * 1_000_000;
    }

    @Override
    public void close() {
        if (queue != null) {
            // the messages stay in the store for the tenant's next owner; they no longer wait in this instance
            meters.waiting(-queue.size());
            queue.clear();
        }
    }
}
