package io.tla.dashboard.store;

/**
 * Counters over a time range. messages: budget decisions (one per accepted message); replies: replies emitted;
 * repliesPosted: replies the connector delivered; modelCalls: model calls including fallbacks; budgetRefusals:
 * refused budget decisions; failures: replies of kind {@code failed} plus replies the connector could not post;
 * costUsd: summed cost of the model calls; latencyMs: end-to-end latency of the replies emitted (from the rollups'
 * histogram, see {@link LatencyHistogram}); fallbacks: {@code model.fallback} events; repliesFailed:
 * {@code reply.failed} events (the connector gave up); budgetAlerts: {@code budget.threshold} events; delivery:
 * how the posted replies were delivered.
 */
public record DayTotals(long messages, long replies, long repliesPosted, long modelCalls, long budgetRefusals,
                        long failures, double costUsd, Latency latencyMs, long fallbacks, long repliesFailed,
                        long budgetAlerts, Delivery delivery) {
}
