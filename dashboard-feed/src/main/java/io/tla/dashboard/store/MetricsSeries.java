package io.tla.dashboard.store;

import java.time.Instant;
import java.util.List;

/**
 * A bucketed series over the minutes overlapping [from, to) (buckets of {@link DashboardStore#bucketMillis},
 * aligned to the clock): one point per bucket, empty buckets included, each labelled with the bucket's aligned
 * start ({@code minute}; for a partial first bucket that is before the range's first minute); the first and last
 * buckets count only the minutes in the range; {@code tenant} is null for all tenants. {@code byProvider}: one dense
 * series per provider seen in the range (by name); {@code byTenant}: the ten tenants with the most messages in
 * the range (busiest first), or just {@code tenant} when one is given.
 */
public record MetricsSeries(Instant from, Instant to, String tenant, List<MetricsPoint> series, MetricsPoint totals,
                            List<ProviderSeries> byProvider, List<TenantSeries> byTenant) {

    /** One provider's minutes; latency is the end-to-end latency of the replies that provider answered. */
    public record ProviderSeries(String provider, List<ProviderPoint> series) {
    }

    public record ProviderPoint(Instant minute, long modelCalls, long replies, long fallbacks, double costUsd,
                                Latency latencyMs) {
    }

    public record TenantSeries(String tenantId, List<TenantPoint> series) {
    }

    public record TenantPoint(Instant minute, long messages, long replies, double costUsd) {
    }
}
