package io.tla.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatenciesTest {

    private static final long MS = 1_000_000;

    @Test
    void percentilesAreNearestRankOverTheSamplesThatArePresent() {
        long[] nanos = new long[102];
        for (int i = 0; i < 100; i++) {
            nanos[i] = (100 - i) * MS; // 100 ms down to 1 ms, unsorted on purpose
        }
        nanos[100] = -1; // no reply for these two
        nanos[101] = -1;

        Latencies latencies = Latencies.of(nanos);

        assertThat(latencies.count()).isEqualTo(100);
        assertThat(latencies.p50Ms()).isEqualTo(50.0);
        assertThat(latencies.p95Ms()).isEqualTo(95.0);
        assertThat(latencies.p99Ms()).isEqualTo(99.0);
        assertThat(latencies.maxMs()).isEqualTo(100.0);
    }

    @Test
    void noSamplesGiveZero() {
        Latencies latencies = Latencies.of(new long[] {-1, -1});

        assertThat(latencies.count()).isZero();
        assertThat(latencies.p99Ms()).isZero();
    }

    @Test
    void aSingleSampleIsEveryPercentile() {
        Latencies latencies = Latencies.of(new long[] {3 * MS});

        assertThat(latencies.p50Ms()).isEqualTo(3.0);
        assertThat(latencies.p99Ms()).isEqualTo(3.0);
    }
}
