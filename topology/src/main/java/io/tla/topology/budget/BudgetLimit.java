package io.tla.topology.budget;

import java.math.BigDecimal;

/**
 * The four limits a tenant's spend is held to: USD and tokens, per UTC day and per UTC calendar month. Each is
 * measured on one period record: the UTC day's or the UTC calendar month's {@link TenantSpend} (both have always
 * counted USD and tokens, so a month record written before the monthly token limit existed reads as it is).
 */
public enum BudgetLimit {

    DAILY_USD("daily-usd", Period.DAY),
    MONTHLY_USD("monthly-usd", Period.MONTH),
    DAILY_TOKENS("daily-tokens", Period.DAY),
    MONTHLY_TOKENS("monthly-tokens", Period.MONTH);

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

    /** Whether this limit counts tokens (else USD). */
    public boolean countsTokens() {
        return this == DAILY_TOKENS || this == MONTHLY_TOKENS;
    }

    /** How much of this limit the period's record has used: USD, or tokens. */
    public BigDecimal spentIn(TenantSpend spend) {
        return countsTokens() ? BigDecimal.valueOf(spend.tokens()) : spend.spentUsd();
    }

    /** How much of this limit a reservation takes: its estimated cost, or its estimated tokens. */
    public BigDecimal amountOf(BudgetReservation reservation) {
        return countsTokens() ? BigDecimal.valueOf(reservation.reservedTokens()) : reservation.estimatedCostUsd();
    }

    /** Whether the tenant has this limit at all: the monthly token limit may be unset. */
    public boolean appliesTo(BudgetLimits limits) {
        return this != MONTHLY_TOKENS || limits.monthlyTokens() != BudgetLimits.UNLIMITED;
    }

    /** The limit's value for a tenant. */
    public BigDecimal valueIn(BudgetLimits limits) {
        return switch (this) {
            case DAILY_USD -> limits.dailyUsd();
            case MONTHLY_USD -> limits.monthlyUsd();
            case DAILY_TOKENS -> BigDecimal.valueOf(limits.dailyTokens());
            case MONTHLY_TOKENS -> BigDecimal.valueOf(limits.monthlyTokens());
        };
    }

    /** USD amounts as decimals, tokens as whole numbers: how amounts of this limit appear in telemetry. */
    Number telemetryValue(BigDecimal amount) {
        return countsTokens() ? amount.longValueExact() : amount;
    }
}
