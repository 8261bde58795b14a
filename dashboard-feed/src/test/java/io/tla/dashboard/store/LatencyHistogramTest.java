package io.tla.dashboard.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void placesValuesInLogScaleBucketsWithThreeBucketsPerDoubling() {
        assertThat(LatencyHistogram.bucket(0)).isZero();
        assertThat(LatencyHistogram.bucket(0.99)).isZero();
        assertThat(LatencyHistogram.bucket(1)).isEqualTo(1);
        assertThat(LatencyHistogram.bucket(1.25)).isEqualTo(1);
        assertThat(LatencyHistogram.bucket(1.27)).as("2^(1/3) is 1.2599").isEqualTo(2);
        assertThat(LatencyHistogram.bucket(2.01)).isEqualTo(4);
        assertThat(LatencyHistogram.bucket(1_048_575)).isEqualTo(60);
        assertThat(LatencyHistogram.bucket(1_048_576)).as("2^20 ms and above overflow").isEqualTo(61);
        assertThat(LatencyHistogram.bucket(1e12)).isEqualTo(61);
        assertThat(LatencyHistogram.BUCKETS).isEqualTo(62);
    }

    @Test
    void reportsPercentilesWithinTheDocumentedRelativeErrorOfTheExactNearestRank() {
        Random random = new Random(7);
        for (int run = 0; run < 50; run++) {
            int n = 1 + random.nextInt(2_000);
            double[] values = new double[n];
            LatencyHistogram histogram = new LatencyHistogram();
            for (int i = 0; i < n; i++) {
                // Log-normal around 200 ms, from about 1 ms to a minute: the shape of end-to-end latencies.
                values[i] = Math.max(1, Math.exp(Math.log(200) + random.nextGaussian() * 1.5));
                histogram.record(values[i]);
            }
            Latency exact = Percentiles.of(values, n);
            Latency approximate = histogram.latency();
            assertWithinBound(approximate.p50(), exact.p50());
            assertWithinBound(approximate.p95(), exact.p95());
            assertWithinBound(approximate.p99(), exact.p99());
        }
    }

    @Test
    void reportsNothingWhenEmptyAndTheOverflowBucketAsItsLowerBound() {
        LatencyHistogram histogram = new LatencyHistogram();
        assertThat(histogram.latency()).isEqualTo(Latency.NONE);
        histogram.record(5e9);
        assertThat(histogram.percentile(50)).isEqualTo(1_048_576.0);
        LatencyHistogram tiny = new LatencyHistogram();
        tiny.record(0.2);
        assertThat(tiny.percentile(99)).isEqualTo(0.5);
    }

    static void assertWithinBound(Double approximate, Double exact) {
        assertThat(approximate).isNotNull();
        assertThat(Math.abs(approximate - exact))
                .as("%s approximates %s", approximate, exact)
                .isLessThanOrEqualTo(exact * LatencyHistogram.RELATIVE_ERROR + 0.01);
    }
}
