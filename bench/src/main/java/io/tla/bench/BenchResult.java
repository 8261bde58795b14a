package io.tla.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.tla.schemas.Json;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one JSON object {@code ./tla bench} prints last on stdout. The contract's fields come first, in a fixed
 * order ({@code scenario}, {@code messages}, {@code throughput_per_s}, {@code p50_ms}, {@code p99_ms}, then
 * {@code baseline_per_s} and {@code ratio} where the scenario compares); anything else follows.
 */
public final class BenchResult {

    private final Map<String, Object> fields = new LinkedHashMap<>();

    private BenchResult(String scenario, long messages, double throughputPerS, double p50Ms, double p99Ms) {
        fields.put("scenario", scenario);
        fields.put("messages", messages);
        fields.put("throughput_per_s", round(throughputPerS, 1));
        fields.put("p50_ms", round(p50Ms, 3));
        fields.put("p99_ms", round(p99Ms, 3));
    }

    public static BenchResult of(BenchScenario scenario, long messages, double throughputPerS, Latencies latencies) {
        return new BenchResult(scenario.wireName(), messages, throughputPerS, latencies.p50Ms(), latencies.p99Ms());
    }

    public static BenchResult of(String scenario, long messages, double throughputPerS, double p50Ms, double p99Ms) {
        return new BenchResult(scenario, messages, throughputPerS, p50Ms, p99Ms);
    }

    /** Adds the same-run baseline and {@code ratio = throughput_per_s / baseline_per_s}. */
    public BenchResult baseline(double baselinePerS) {
        fields.put("baseline_per_s", round(baselinePerS, 1));
        fields.put("ratio", ratio(throughputPerS(), baselinePerS));
        return this;
    }

    /** Any further field; a value that is null is left out. */
    public BenchResult put(String name, Object value) {
        if (value == null) {
            return this;
        }
        fields.put(name, value instanceof Double d ? round(d, 3) : value);
        return this;
    }

    public double throughputPerS() {
        return ((BigDecimal) fields.get("throughput_per_s")).doubleValue();
    }

    public Map<String, Object> fields() {
        return Collections.unmodifiableMap(fields);
    }

    /** One line of JSON. */
    public String toJson() {
        try {
            return Json.mapper().writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the benchmark result", e);
        }
    }

    /** {@code throughput / baseline}, three decimals; 0 when the baseline measured nothing. */
    static BigDecimal ratio(double throughputPerS, double baselinePerS) {
        if (!(baselinePerS > 0)) {
            return BigDecimal.ZERO;
        }
        return round(throughputPerS / baselinePerS, 3);
    }

    static BigDecimal round(double value, int decimals) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return BigDecimal.ZERO;
        }
        return BigDecimal.valueOf(value).setScale(decimals, RoundingMode.HALF_UP);
    }
}
