package io.tla.topology.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The GCRA arithmetic on an in-memory store: a minute's worth at once, exactly, then an even pace. */
class TenantBucketsTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long T0 = 1_764_065_730L * SECOND;

    private final KeyValueStore<String, Long> store = Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(RateLimit.RATE_STORE), Serdes.String(), Serdes.Long())
            .withLoggingDisabled().build();

    private TenantBuckets buckets() {
        MockProcessorContext<String, Long> context = new MockProcessorContext<>();
        store.init(context.getStateStoreContext(), store);
        return new TenantBuckets(store);
    }

    private List<String> keys() {
        List<String> keys = new ArrayList<>();
        store.all().forEachRemaining(entry -> keys.add(entry.key));
        return keys;
    }

    @ParameterizedTest(name = "{0} per minute")
    @ValueSource(longs = {1, 6, 7, 13, 600, 1_000_000})
    void exactlyAMinutesWorthPassesAtOnceAndTheNextWaitsItsShare(long perMinute) {
        TenantBuckets buckets = buckets();
        for (long i = 0; i < perMinute; i++) {
            assertThat(buckets.earliest("t", perMinute, 0, 0, T0)).as("request %d", i + 1).isLessThanOrEqualTo(T0);
            buckets.take("t", perMinute, 0, 0, T0);
        }
        long next = buckets.earliest("t", perMinute, 0, 0, T0);
        assertThat(next).isGreaterThan(T0);
        // the share of one request, within the nanoseconds the rounding down gives away
        assertThat(next - T0).isBetween(60 * SECOND / perMinute - perMinute, 60 * SECOND / perMinute);
    }

    @Test
    void tokensWeighEachRequestAndARequestHeavierThanTheMinutePassesOnlyOnAFullBucket() {
        TenantBuckets buckets = buckets();
        assertThat(buckets.earliest("t", 0, 1000, 1500, T0)).as("full bucket").isEqualTo(T0);
        buckets.take("t", 0, 1000, 1500, T0);
        // 1500 tokens of 1000 a minute hold the bucket for 90 s; a small request may pass once 1 token's share
        // of the minute is free again
        assertThat(buckets.earliest("t", 0, 1000, 1, T0)).isEqualTo(T0 + 90 * SECOND + 60 * SECOND / 1000 - 60 * SECOND);
    }

    @Test
    void theStricterOfTheTwoLimitsDecidesAndPurgeForgetsOnlyFullBuckets() {
        TenantBuckets buckets = buckets();
        buckets.take("t", 60, 100, 50, T0);
        // requests: 1 s of 60 s used; tokens: 30 s of 60 s used. Another 50 tokens fit: earliest is now
        assertThat(buckets.earliest("t", 60, 100, 50, T0)).isLessThanOrEqualTo(T0);
        buckets.take("t", 60, 100, 50, T0);
        assertThat(buckets.earliest("t", 60, 100, 50, T0)).isEqualTo(T0 + 30 * SECOND);

        assertThat(buckets.purge(T0 + 30 * SECOND)).as("requests bucket full again after 2 s").isEqualTo(1);
        assertThat(keys()).containsExactly("t|tokens");
        assertThat(buckets.purge(T0 + 60 * SECOND)).isEqualTo(1);
        assertThat(keys()).isEmpty();
    }
}
