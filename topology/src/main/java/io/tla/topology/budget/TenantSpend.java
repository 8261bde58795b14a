package io.tla.topology.budget;

import java.math.BigDecimal;
import java.util.List;
import java.util.TreeSet;

/**
 * A tenant's spend in one period (a UTC day or a UTC calendar month): reserved-or-settled cost and tokens, how
 * many requests were allowed and refused, and which usage thresholds have already been reported for the period
 * (entries such as {@code daily-usd@0.8}), so each is reported once even across restarts.
 */
public record TenantSpend(BigDecimal spentUsd, long tokens, long allowed, long refused,
                          List<String> thresholdsReported) {

    public static final TenantSpend NONE = new TenantSpend(BigDecimal.ZERO, 0, 0, 0, List.of());

    public TenantSpend {
        // records written before thresholds were tracked have none
        thresholdsReported = thresholdsReported == null ? List.of() : List.copyOf(new TreeSet<>(thresholdsReported));
    }

    public TenantSpend allow(BudgetReservation reservation) {
        return new TenantSpend(spentUsd.add(reservation.estimatedCostUsd()), tokens + reservation.reservedTokens(),
                allowed + 1, refused, thresholdsReported);
    }

    /** Replaces a reservation by what was really used (0 and 0 to release it). Never goes below zero. */
    public TenantSpend settle(BudgetReservation reservation, BigDecimal actualCostUsd, long actualTokens) {
        BigDecimal cost = spentUsd.subtract(reservation.estimatedCostUsd()).add(actualCostUsd).max(BigDecimal.ZERO);
        long settledTokens = Math.max(0, tokens - reservation.reservedTokens() + actualTokens);
        return new TenantSpend(cost, settledTokens, allowed, refused, thresholdsReported);
    }

    public TenantSpend refuse() {
        return new TenantSpend(spentUsd, tokens, allowed, refused + 1, thresholdsReported);
    }

    public boolean reported(String threshold) {
        return thresholdsReported.contains(threshold);
    }

    public TenantSpend reporting(String threshold) {
        TreeSet<String> all = new TreeSet<>(thresholdsReported);
        all.add(threshold);
        return new TenantSpend(spentUsd, tokens, allowed, refused, List.copyOf(all));
    }
}
