package io.tla.topology.ratelimit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The rate limit's meters, one set per registry (every stream task's {@link RateLimit} updates the same ones), all
 * registered at once so alerts and dashboards see zeros rather than absent series:
 * {@code tla_rate_limit_waiting} (messages waiting in this instance), {@code tla_rate_limit_wait_seconds}
 * (how long each waiting message waited, with a histogram, tag {@code outcome} = {@code released} or
 * {@code refused}; messages that passed at once are not in it) and {@code tla_rate_limit_refusals_total} (tag
 * {@code reason} = {@code max-wait} or {@code queue-full}). No tenant tag: the tenants are in the telemetry.
 */
final class RateLimitMeters {

    static final String WAITING = "tla.rate.limit.waiting";
    static final String WAIT = "tla.rate.limit.wait";
    static final String REFUSALS = "tla.rate.limit.refusals";
    static final String RELEASED = "released";
    static final String REFUSED = "refused";
    static final String MAX_WAIT = "max-wait";
    static final String QUEUE_FULL = "queue-full";

    private static final Map<MeterRegistry, RateLimitMeters> BY_REGISTRY =
            Collections.synchronizedMap(new WeakHashMap<>());

    private final AtomicLong waiting = new AtomicLong();
    private final Timer released;
    private final Timer refusedAfterWaiting;
    private final Counter maxWait;
    private final Counter queueFull;

    private RateLimitMeters(MeterRegistry meters) {
        Gauge.builder(WAITING, waiting, AtomicLong::get).strongReference(true)
                .description("Messages waiting for their tenant's rate limit in this instance").register(meters);
        released = waitTimer(meters, RELEASED);
        refusedAfterWaiting = waitTimer(meters, REFUSED);
        maxWait = refusals(meters, MAX_WAIT);
        queueFull = refusals(meters, QUEUE_FULL);
    }

    static RateLimitMeters of(MeterRegistry meters) {
        return BY_REGISTRY.computeIfAbsent(meters, RateLimitMeters::new);
    }

    private static Timer waitTimer(MeterRegistry meters, String outcome) {
        return Timer.builder(WAIT).description("How long messages waited for their tenant's rate limit")
                .tag("outcome", outcome).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(100)).maximumExpectedValue(Duration.ofHours(1))
                .register(meters);
    }

    private static Counter refusals(MeterRegistry meters, String reason) {
        return Counter.builder(REFUSALS).description("Messages refused by the rate limit, by reason")
                .tag("reason", reason).register(meters);
    }

    /** {@code delta} more (or fewer) messages wait in this instance. */
    void waiting(long delta) {
        waiting.addAndGet(delta);
    }

    void released(long waitedMs) {
        released.record(Math.max(0, waitedMs), TimeUnit.MILLISECONDS);
    }

    void refusedAfterWaiting(long waitedMs) {
        refusedAfterWaiting.record(Math.max(0, waitedMs), TimeUnit.MILLISECONDS);
        maxWait.increment();
    }

    void refusedQueueFull() {
        queueFull.increment();
    }
}
