package io.tla.topology.budget;

import java.math.BigDecimal;

/** One tenant's limits: USD per UTC day, USD per UTC calendar month, tokens (input plus output) per UTC day. */
public record BudgetLimits(BigDecimal dailyUsd, BigDecimal monthlyUsd, long dailyTokens) {
}
