package io.tla.topology.budget;

import java.math.BigDecimal;

/** What the budget guard set aside for one request: estimated tokens and cost, on the tenant's UTC day. */
public record BudgetReservation(String day, long estimatedInputTokens, long maxOutputTokens, BigDecimal estimatedCostUsd) {
}
