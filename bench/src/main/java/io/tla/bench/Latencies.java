package io.tla.bench;

import java.util.Arrays;

/** Latency samples in nanoseconds and their nearest-rank percentiles in milliseconds. */
public final class Latencies {

    private final long[] sortedNanos;

    private Latencies(long[] sortedNanos) {
        this.sortedNanos = sortedNanos;
    }

    /** The samples of {@code nanos} that are set ({@code >= 0}); negative values mark "no sample". */
    public static Latencies of(long[] nanos) {
        long[] present = Arrays.stream(nanos).filter(n -> n >= 0).toArray();
        Arrays.sort(present);
        return new Latencies(present);
    }

    public int count() {
        return sortedNanos.length;
    }

    /** The smallest sample that at least {@code percent} % of the samples do not exceed; 0 without samples. */
    public double percentileMs(double percent) {
        if (sortedNanos.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(percent / 100.0 * sortedNanos.length);
        return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, rank - 1))] / 1_000_000.0;
    }

    public double p50Ms() {
        return percentileMs(50);
    }

    public double p95Ms() {
        return percentileMs(95);
    }

    public double p99Ms() {
        return percentileMs(99);
    }

    public double maxMs() {
        return sortedNanos.length == 0 ? 0 : sortedNanos[sortedNanos.length - 1] / 1_000_000.0;
    }
}
