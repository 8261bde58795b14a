package io.tla.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BenchRequestTest {

    @Test
    void eachScenarioHasADefaultMessageCount() {
        assertThat(Bench.Request.of("pipeline", null, null, false).messages()).isEqualTo(20_000);
        assertThat(Bench.Request.of("latency", null, null, false).messages()).isEqualTo(30_000);
        assertThat(Bench.Request.of("async-model", null, null, false).messages()).isEqualTo(3_000);
        assertThat(Bench.Request.of("graph-sink", null, null, false).messages()).isEqualTo(20_000);
        assertThat(Bench.Request.of("detection", null, null, false).messages()).isEqualTo(10_000);
        assertThat(Bench.Request.of("latency", null, null, false).ratePerS()).isEqualTo(500);
        assertThat(Bench.Request.of("footprint", null, null, false).messages()).isEqualTo(20_000);
        assertThat(Bench.Request.of("footprint", null, null, false).ratePerS()).isEqualTo(200);
        assertThat(Bench.Request.of("ingress", null, null, false).messages()).isEqualTo(300_000);
    }

    @Test
    void ingressTakesNeitherARateNorAWarmupCount() {
        assertThatThrownBy(() -> Bench.Request.of("ingress", null, 100, false))
                .hasMessageContaining("--rate applies to the latency, sync-reply and footprint scenarios only");
        assertThatThrownBy(() -> Bench.Request.of("ingress", null, null, 100, false))
                .hasMessageContaining("--warmup applies to the pipeline, async-model, graph-sink and latency scenarios only");
    }

    @Test
    void scenarioNamesAreCaseInsensitiveAndMessagesOverrideTheDefault() {
        Bench.Request request = Bench.Request.of("Async-Model", 120, null, true);

        assertThat(request.scenario()).isEqualTo(BenchScenario.ASYNC_MODEL);
        assertThat(request.messages()).isEqualTo(120);
        assertThat(request.keep()).isTrue();
    }

    @Test
    void unknownScenarioIsRefusedWithTheScenariosThatExist() {
        assertThatThrownBy(() -> Bench.Request.of("throughput", null, null, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown scenario 'throughput'. Scenarios: pipeline, latency, async-model, model-client, serde, "
                        + "graph-sink, sync-reply, footprint, detection, ingress");
    }

    @Test
    void messageCountMustBePositive() {
        assertThatThrownBy(() -> Bench.Request.of("pipeline", 0, null, false))
                .hasMessageContaining("--messages must be at least 1");
        assertThatThrownBy(() -> Bench.Request.of("latency", -5, null, false))
                .hasMessageContaining("--messages must be at least 1");
    }

    @Test
    void serdeTakesNoMessageCountAndOnlyLatencyTakesARate() {
        assertThatThrownBy(() -> Bench.Request.of("serde", 100, null, false))
                .hasMessageContaining("--messages does not apply to the serde scenario");
        assertThatThrownBy(() -> Bench.Request.of("pipeline", null, 100, false))
                .hasMessageContaining("--rate applies to the latency, sync-reply and footprint scenarios only");
        assertThatThrownBy(() -> Bench.Request.of("latency", null, 0, false))
                .hasMessageContaining("--rate must be between 1 and 100000");
        assertThat(Bench.Request.of("latency", 1_000, 250, false).ratePerS()).isEqualTo(250);
    }

    @Test
    void warmsUpByDefaultTakesAnExplicitWarmupAndRejectsOneWhereItDoesNotApply() {
        assertThat(Bench.Request.of("pipeline", null, null, false).warmup()).isEqualTo(Bench.DEFAULT_WARMUP);
        assertThat(Bench.Request.of("async-model", null, null, 0, false).warmup()).isZero();
        assertThat(Bench.Request.of("graph-sink", null, null, 100, false).warmup()).isEqualTo(100);
        assertThatThrownBy(() -> Bench.Request.of("pipeline", null, null, -1, false))
                .hasMessageContaining("--warmup must be between 0 and 1000000");
        assertThatThrownBy(() -> Bench.Request.of("footprint", null, null, 100, false))
                .hasMessageContaining("--warmup applies to the pipeline, async-model, graph-sink and latency scenarios only");
    }

    @Test
    void latencyWarmsUpForFiveSecondsAtTheOfferedRateUnlessToldOtherwise() {
        assertThat(Bench.Request.of("latency", null, null, false).warmup()).isEqualTo(2_500);
        assertThat(Bench.Request.of("latency", null, 200, false).warmup()).isEqualTo(1_000);
        assertThat(Bench.Request.of("latency", null, 200, 500, false).warmup()).isEqualTo(500);
    }
}
