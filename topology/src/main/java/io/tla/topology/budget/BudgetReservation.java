package io.tla.topology.budget;

import java.math.BigDecimal;

/**
 * What the budget guard set aside for one request: estimated tokens and cost, booked on the tenant's UTC day
 * ({@code 2026-11-25}) and UTC month ({@code 2026-11}). The settlement corrects exactly those two periods, even when
 * it arrives after midnight or after the month's end. {@code maxOutputTokens} is the most output all the request's
 * calls together may produce: one {@code model.max-output-tokens} per chunk of its text.
 */
public record BudgetReservation(String day, String month, long estimatedInputTokens, long maxOutputTokens,
                                BigDecimal estimatedCostUsd) {

    public BudgetReservation {
        // a reservation written before months were tracked carries only its day
        if (month == null && day != null) {
            month = day.substring(0, 7);
        }
    }

    /** A reservation booked on {@code day} and on that day's month. */
    public BudgetReservation(String day, long estimatedInputTokens, long maxOutputTokens, BigDecimal estimatedCostUsd) {
        this(day, null, estimatedInputTokens, maxOutputTokens, estimatedCostUsd);
    }

    /** Tokens held against the daily token limit: the input estimate plus the maximum output. */
    public long reservedTokens() {
        return estimatedInputTokens + maxOutputTokens;
    }
}
