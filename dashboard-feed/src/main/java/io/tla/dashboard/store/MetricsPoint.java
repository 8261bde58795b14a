package io.tla.dashboard.store;

import java.time.Instant;

/**
 * Counters of one minute of a metrics series (or of the whole range when {@code minute} is null); same meanings
 * as {@link DayTotals}; inputTokens and outputTokens are summed over the model calls. answeredInWebhook and
 * postedLater: replies to sync-reply registrations answered in Teams' webhook response, or posted later by the
 * outbox or Graph because the deadline passed (see {@link Delivery}).
 */
public record MetricsPoint(Instant minute, long messages, long replies, long repliesPosted, long modelCalls,
                           long failures, long fallbacks, long inputTokens, long outputTokens, double costUsd,
                           Latency latencyMs, long answeredInWebhook, long postedLater) {
}
