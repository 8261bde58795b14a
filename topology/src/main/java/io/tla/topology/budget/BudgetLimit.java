package io.tla.topology.budget;

import java.math.BigDecimal;

/**
 * The three limits a tenant's spend is held to. Each is measured on one period record: the UTC day's or the UTC
 * calendar month's {@link TenantSpend}.
 */
public enum BudgetLimit {

    DAILY_USD("daily-usd", Period.DAY),
    MONTHLY_USD("monthly-usd", Period.MONTH),
    DAILY_TOKENS("daily-tokens", Period.DAY);

    /** The period a limit is counted over; both are UTC. */
    public enum Period { DAY, MONTH }

    private final String wireName;
    private final Period period;

    BudgetLimit(String wireName, Period period) {
        this.wireName = wireName;
        this.period = period;
    }

    /** The name used in telemetry attributes and metric tags. */
    public String wireName() {
        return wireName;
    }

    public Period period() {
        return period;
    }

    /** How much of this limit the period's record has used: USD, or tokens. */
    public BigDecimal spentIn(TenantSpend spend) {
        return this == DAILY_TOKENS ? BigDecimal.valueOf(spend.tokens()) : spend.spentUsd();
    }

    /** How much of this limit a reservation takes: its estimated cost, or its estimated tokens. */
    public BigDecimal amountOf(BudgetReservation reservation) {
        return this == DAILY_TOKENS ? BigDecimal.valueOf(reservation.reservedTokens()) : reservation.estimatedCostUsd();
    }

    /** The limit's value for a tenant. */
    public BigDecimal valueIn(BudgetLimits limits) {
        return switch (this) {
            case DAILY_USD -> limits.dailyUsd();
            case MONTHLY_USD -> limits.monthlyUsd();
            case DAILY_TOKENS -> BigDecimal.valueOf(limits.dailyTokens());
        };
    }

    /** USD amounts as decimals, tokens as whole numbers: how amounts of this limit appear in telemetry. */
    Number telemetryValue(BigDecimal amount) {
        return this == DAILY_TOKENS ? amount.longValueExact() : amount;
    }
}
