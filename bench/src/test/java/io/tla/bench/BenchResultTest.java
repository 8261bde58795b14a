package io.tla.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.schemas.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchResultTest {

    @Test
    void resultLineStartsWithTheContractFieldsInOrderAndComputesTheRatioFromThroughputAndBaseline() throws Exception {
        String json = BenchResult.of("pipeline", 20_000, 1_000.0, 12.3456, 98.7654)
                .baseline(4_000.0)
                .put("p95_ms", 50.5)
                .put("replies", Map.of("translation", 20_000L))
                .toJson();

        JsonNode node = Json.mapper().readTree(json);
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        assertThat(names).startsWith("scenario", "messages", "throughput_per_s", "p50_ms", "p99_ms",
                "baseline_per_s", "ratio");
        assertThat(node.get("scenario").asText()).isEqualTo("pipeline");
        assertThat(node.get("messages").asLong()).isEqualTo(20_000);
        assertThat(node.get("throughput_per_s").asDouble()).isEqualTo(1_000.0);
        assertThat(node.get("p50_ms").asDouble()).isEqualTo(12.346);
        assertThat(node.get("p99_ms").asDouble()).isEqualTo(98.765);
        assertThat(node.get("baseline_per_s").asDouble()).isEqualTo(4_000.0);
        assertThat(node.get("ratio").asDouble()).isEqualTo(0.25);
        assertThat(node.get("p95_ms").asDouble()).isEqualTo(50.5);
        assertThat(node.at("/replies/translation").asLong()).isEqualTo(20_000);
        assertThat(json).doesNotContain("\n");
    }

    @Test
    void ratioIsRoundedToThreeDecimalsAndZeroWhenTheBaselineMeasuredNothing() {
        assertThat(BenchResult.ratio(976.1, 15_063.4).doubleValue()).isEqualTo(0.065);
        assertThat(BenchResult.ratio(2.0, 3.0).doubleValue()).isEqualTo(0.667);
        assertThat(BenchResult.ratio(100.0, 0.0).doubleValue()).isZero();
    }

    @Test
    void scenarioWithoutBaselineHasNoBaselineOrRatioField() throws Exception {
        JsonNode node = Json.mapper().readTree(BenchResult.of("latency", 30_000, 480.0, 20.0, 90.0).toJson());

        assertThat(node.has("baseline_per_s")).isFalse();
        assertThat(node.has("ratio")).isFalse();
    }

    @Test
    void nullExtraFieldsAreLeftOutAndNonFiniteFiguresBecomeZero() throws Exception {
        JsonNode node = Json.mapper().readTree(BenchResult.of("serde", 10, Double.NaN, Double.POSITIVE_INFINITY, 0.0)
                .put("heap_max_mb", null).toJson());

        assertThat(node.has("heap_max_mb")).isFalse();
        assertThat(node.get("throughput_per_s").asDouble()).isZero();
        assertThat(node.get("p50_ms").asDouble()).isZero();
    }
}
