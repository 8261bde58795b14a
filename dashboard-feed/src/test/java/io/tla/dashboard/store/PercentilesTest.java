package io.tla.dashboard.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PercentilesTest {

    @Test
    void picksTheNearestRankValueFromUnsortedInput() {
        double[] values = {40, 10, 100, 30, 20, 0, 0};
        // Only the first five count; the spare capacity at the end must be ignored.
        assertThat(Percentiles.of(values, 5)).isEqualTo(new Latency(30.0, 100.0, 100.0));
    }

    @Test
    void reportsAnObservedValueForSmallSamples() {
        assertThat(Percentiles.of(new double[] {7}, 1)).isEqualTo(new Latency(7.0, 7.0, 7.0));
        assertThat(Percentiles.of(new double[] {2, 1}, 2)).isEqualTo(new Latency(1.0, 2.0, 2.0));
    }

    @Test
    void reportsNoPercentileWithoutValues() {
        assertThat(Percentiles.nearestRank(new double[0], 0, 50)).isNull();
    }

    @Test
    void p95OfAHundredValuesIsTheNinetyFifth() {
        double[] values = new double[100];
        for (int i = 0; i < 100; i++) {
            values[i] = 100 - i;
        }
        assertThat(Percentiles.of(values, 100)).isEqualTo(new Latency(50.0, 95.0, 99.0));
    }
}
