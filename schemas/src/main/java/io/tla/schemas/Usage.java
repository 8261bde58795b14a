package io.tla.schemas;

import java.math.BigDecimal;

/** Tokens a model call consumed and what it cost in USD (0 when the provider has no price configured). */
public record Usage(long inputTokens, long outputTokens, BigDecimal costUsd) {

    public static final Usage NONE = new Usage(0, 0, BigDecimal.ZERO);

    public long totalTokens() {
        return inputTokens + outputTokens;
    }
}
