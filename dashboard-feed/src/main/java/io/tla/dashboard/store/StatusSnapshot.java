package io.tla.dashboard.store;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/**
 * What {@code /api/status} shows: one UTC day's totals and tenants, and the time of the newest event stored
 * (null when the store is empty).
 */
public record StatusSnapshot(LocalDate date, Instant lastEventAt, DayTotals today, List<TenantTotals> tenants) {
}
