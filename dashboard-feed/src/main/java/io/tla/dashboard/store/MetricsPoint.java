package io.tla.dashboard.store;

import java.time.Instant;

/**
 * Counters of one minute of a metrics series (or of the whole range when {@code minute} is null); same meanings
 * as {@link DayTotals}.
 */
public record MetricsPoint(Instant minute, long messages, long replies, long modelCalls, double costUsd,
                           Latency latencyMs) {
}
