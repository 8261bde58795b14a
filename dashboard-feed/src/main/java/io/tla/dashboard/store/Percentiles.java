package io.tla.dashboard.store;

import java.util.Arrays;

/** Nearest-rank percentiles: the reported value is always one that was observed. */
public final class Percentiles {

    private Percentiles() {
    }

    /** The p-th percentile (0 &lt; p &lt;= 100) of {@code sorted}, ascending; null when there are no values. */
    public static Double nearestRank(double[] sorted, int count, double p) {
        if (count == 0) {
            return null;
        }
        int rank = (int) Math.ceil(p / 100.0 * count);
        return sorted[Math.max(0, Math.min(count, rank) - 1)];
    }

    /** p50, p95 and p99 of the values (the array is sorted in place). */
    public static Latency of(double[] values, int count) {
        Arrays.sort(values, 0, count);
        return new Latency(nearestRank(values, count, 50), nearestRank(values, count, 95),
                nearestRank(values, count, 99));
    }
}
