package io.tla.topology.ratelimit;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Each tenant's two rate limits as GCRA buckets (the generic cell rate algorithm, a token bucket kept as one
 * number): per tenant and dimension ({@code requests}, {@code tokens}) the store {@value RateLimit#RATE_STORE}
 * keeps the <i>theoretical arrival time</i> (TAT, wall-clock epoch nanoseconds) under {@code tenant|dimension}. A
 * request of weight {@code w} under a limit of {@code N} per minute costs {@code w × 60 s / N} of the bucket;
 * the bucket holds one minute. It may pass at {@code now} when {@code max(TAT, now) + cost − 60 s ≤ now}, and then
 * sets {@code TAT = max(TAT, now) + cost}. So a tenant may send a whole minute's worth at once, then one unit every
 * {@code 60 s / N}; a TAT in the past is a full bucket (it is purged, and absent reads the same). A request heavier
 * than a whole minute passes only on a full bucket. The TAT is a point in time, independent of {@code N}: a
 * changed limit applies to the bucket as it is.
 */
final class TenantBuckets {

    static final long WINDOW_NANOS = 60_000_000_000L;
    static final String REQUESTS = "requests";
    static final String TOKENS = "tokens";
    /** Costs are capped at a day: a limit of 1 token per minute and a huge request must not overflow. */
    private static final long MAX_COST_NANOS = 24 * 60 * WINDOW_NANOS;

    private final KeyValueStore<String, Long> store;

    TenantBuckets(KeyValueStore<String, Long> store) {
        this.store = store;
    }

    static String key(String tenant, String dimension) {
        return tenant + "|" + dimension;
    }

    /** What one request of {@code units} costs of a bucket of {@code perMinute}, in nanoseconds. */
    static long cost(long units, long perMinute) {
        if (units <= 0) {
            return 0;
        }
        // units × 60 s / perMinute, rounded down to the nanosecond (a minute's worth must fit the minute exactly:
        // 7 × cost(1, 7) ≤ 60 s); a double is exact enough below a day of nanoseconds
        double nanos = Math.floor((double) units * WINDOW_NANOS / perMinute);
        return nanos >= MAX_COST_NANOS ? MAX_COST_NANOS : (long) nanos;
    }

    /**
     * The earliest wall-clock time (epoch nanoseconds) at which a request of {@code tokens} may pass under the
     * tenant's limits ({@code 0}: unlimited); at or before {@code now} means it may pass now.
     */
    long earliest(String tenant, long requestsPerMinute, long tokensPerMinute, long tokens, long now) {
        long earliest = Long.MIN_VALUE;
        if (requestsPerMinute > 0) {
            earliest = Math.max(earliest, earliest(tat(tenant, REQUESTS, now), cost(1, requestsPerMinute)));
        }
        if (tokensPerMinute > 0) {
            earliest = Math.max(earliest, earliest(tat(tenant, TOKENS, now), cost(tokens, tokensPerMinute)));
        }
        return earliest;
    }

    private static long earliest(long tat, long cost) {
        // heavier than the bucket: only when it is full
        return cost >= WINDOW_NANOS ? tat : tat + cost - WINDOW_NANOS;
    }

    /** Books a request that passes at {@code now} in the tenant's buckets. */
    void take(String tenant, long requestsPerMinute, long tokensPerMinute, long tokens, long now) {
        if (requestsPerMinute > 0) {
            store.put(key(tenant, REQUESTS), tat(tenant, REQUESTS, now) + cost(1, requestsPerMinute));
        }
        if (tokensPerMinute > 0) {
            store.put(key(tenant, TOKENS), tat(tenant, TOKENS, now) + cost(tokens, tokensPerMinute));
        }
    }

    /** The bucket's TAT, or {@code now} when it is full (no TAT, or one in the past). */
    private long tat(String tenant, String dimension, long now) {
        Long tat = store.get(key(tenant, dimension));
        return tat == null ? now : Math.max(tat, now);
    }

    /** Deletes the TATs in the past: those buckets are full, as absent ones are. Returns how many. */
    int purge(long now) {
        List<String> full = new ArrayList<>();
        try (KeyValueIterator<String, Long> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, Long> bucket = all.next();
                if (bucket.value == null || bucket.value <= now) {
                    full.add(bucket.key);
                }
            }
        }
        full.forEach(store::delete);
        return full.size();
    }
}
