package io.tla.topology.budget;

import java.math.BigDecimal;

/**
 * One tenant's limits: USD per UTC day, USD per UTC calendar month, tokens (input plus output) per UTC day, and
 * tokens per UTC calendar month ({@link #UNLIMITED} when the tenant has no monthly token limit).
 */
public record BudgetLimits(BigDecimal dailyUsd, BigDecimal monthlyUsd, long dailyTokens, long monthlyTokens) {

    /** A token limit that is not set: never reached, never reported. */
    public static final long UNLIMITED = io.tla.platform.config.BudgetConfig.UNLIMITED_TOKENS;

    /** Limits without a monthly token limit. */
    public BudgetLimits(BigDecimal dailyUsd, BigDecimal monthlyUsd, long dailyTokens) {
        this(dailyUsd, monthlyUsd, dailyTokens, UNLIMITED);
    }
}
