package io.tla.topology.budget;

import java.math.BigDecimal;

/** A tenant's spend on one UTC day: reserved cost and tokens, and how many requests were allowed and refused. */
public record TenantSpend(BigDecimal spentUsd, long tokens, long allowed, long refused) {

    public static final TenantSpend NONE = new TenantSpend(BigDecimal.ZERO, 0, 0, 0);

    public TenantSpend allow(BudgetReservation reservation) {
        return new TenantSpend(spentUsd.add(reservation.estimatedCostUsd()),
                tokens + reservation.estimatedInputTokens() + reservation.maxOutputTokens(), allowed + 1, refused);
    }

    /** Replaces a reservation by what was really used (0 and 0 to release it). Never goes below zero. */
    public TenantSpend settle(BudgetReservation reservation, BigDecimal actualCostUsd, long actualTokens) {
        BigDecimal cost = spentUsd.subtract(reservation.estimatedCostUsd()).add(actualCostUsd).max(BigDecimal.ZERO);
        long reservedTokens = reservation.estimatedInputTokens() + reservation.maxOutputTokens();
        return new TenantSpend(cost, Math.max(0, tokens - reservedTokens + actualTokens), allowed, refused);
    }

    public TenantSpend refuse() {
        return new TenantSpend(spentUsd, tokens, allowed, refused + 1);
    }
}
