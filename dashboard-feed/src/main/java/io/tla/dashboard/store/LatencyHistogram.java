package io.tla.dashboard.store;

import java.util.Arrays;

/**
 * A log-scale latency histogram, the form in which the rollups keep end-to-end latencies: three buckets per
 * doubling from 1 ms to 2^20 ms (about 17.5 minutes), one below and one above. Bucket {@code i} (1..60) holds
 * [2^((i-1)/3), 2^(i/3)) ms and is reported as its geometric middle 2^((i-0.5)/3), so a reported percentile is
 * within a factor 2^(1/6) (at most 12.25 % off) of the exact nearest-rank percentile of the same values. Values
 * under 1 ms are reported as 0.5 ms (at most 0.5 ms off); values of 2^20 ms or more as 2^20 ms (a lower bound).
 */
public final class LatencyHistogram {

    /** Buckets per doubling. */
    static final int PER_DOUBLING = 3;
    /** The histogram spans [1, 2^MAX_EXPONENT) ms with fine buckets. */
    static final int MAX_EXPONENT = 20;
    public static final int BUCKETS = 2 + PER_DOUBLING * MAX_EXPONENT;
    /** The largest relative error of a reported percentile between 1 ms and 2^20 ms. */
    public static final double RELATIVE_ERROR = Math.pow(2, 1.0 / (2 * PER_DOUBLING)) - 1;

    private final long[] counts = new long[BUCKETS];

    /** The column of bucket {@code i} in the rollup tables. */
    static String column(int i) {
        return String.format(java.util.Locale.ROOT, "l%02d", i);
    }

    static int bucket(double ms) {
        if (!(ms >= 1)) {
            return 0; // NaN lands here too; the store never passes one
        }
        int i = (int) Math.floor(Math.log(ms) / Math.log(2) * PER_DOUBLING) + 1;
        return Math.min(Math.max(i, 1), BUCKETS - 1);
    }

    /** The value a bucket is reported as. */
    static double representative(int bucket) {
        if (bucket == 0) {
            return 0.5;
        }
        if (bucket == BUCKETS - 1) {
            return Math.pow(2, MAX_EXPONENT);
        }
        // Two decimals are plenty for a value known to 12 %; they keep the JSON short.
        return Math.round(Math.pow(2, (bucket - 0.5) / PER_DOUBLING) * 100) / 100.0;
    }

    public void record(double ms) {
        counts[bucket(ms)]++;
    }

    void add(int bucket, long count) {
        counts[bucket] += count;
    }

    void addAll(LatencyHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
    }

    long count(int bucket) {
        return counts[bucket];
    }

    public long total() {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        return total;
    }

    /** The nearest-rank p-th percentile (0 &lt; p &lt;= 100) as its bucket's representative; null when empty. */
    public Double percentile(double p) {
        long total = total();
        if (total == 0) {
            return null;
        }
        long rank = Math.max(1, (long) Math.ceil(p / 100.0 * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return representative(i);
            }
        }
        return representative(BUCKETS - 1);
    }

    public Latency latency() {
        return total() == 0 ? Latency.NONE : new Latency(percentile(50), percentile(95), percentile(99));
    }

    boolean isEmpty() {
        return Arrays.stream(counts).allMatch(c -> c == 0);
    }
}
