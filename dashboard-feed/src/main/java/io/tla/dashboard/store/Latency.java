package io.tla.dashboard.store;

/** End-to-end latency percentiles in milliseconds; null when there was no reply to measure. */
public record Latency(Double p50, Double p95, Double p99) {

    public static final Latency NONE = new Latency(null, null, null);
}
