package io.tla.dashboard.store;

/** One tenant's counters over a time range (same meanings as {@link DayTotals}). */
public record TenantTotals(String tenantId, long messages, long replies, double costUsd) {
}
