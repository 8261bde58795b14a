package io.tla.dashboard.store;

import java.time.Instant;
import java.util.List;

/**
 * A per-minute series over [from, to): one point per minute that overlaps the range, empty minutes included,
 * each labelled with the minute's start; {@code tenant} is null for all tenants.
 */
public record MetricsSeries(Instant from, Instant to, String tenant, List<MetricsPoint> series, MetricsPoint totals) {
}
