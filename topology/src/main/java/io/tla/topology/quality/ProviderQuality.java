package io.tla.topology.quality;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How well each provider's answers pass the checks: Prometheus counters per provider and model, and each
 * provider's recent pass rate, which cost routing reads.
 *
 * <p>Meters: {@code tla_model_answers_total} (answers checked), {@code tla_model_answers_failed_total} (answers
 * with at least one problem), {@code tla_model_answer_problems_total{problem}} (each problem; an answer may have
 * several), {@code tla_model_answers_retried_total} (failed answers asked again with a correction),
 * {@code tla_model_answers_fell_back_total} (failed after the retry: passed on to the next provider),
 * {@code tla_model_answers_unverified_total} (sent marked unverified), and the gauge
 * {@code tla_model_quality_pass_rate} (the recent pass rate; NaN until {@code minAnswers} are known). All are
 * tagged {@code provider} and {@code model}, both from configuration, so the series are bounded.
 *
 * <p>The pass rate counts the last {@code window} checked answers of a provider no older than {@code maxAge}: a
 * provider demoted for poor answers is tried first again once they have aged out. It is this instance's view:
 * each instance measures the answers it gets, which needs no coordination and converges on the same rate under
 * the same traffic.
 */
public final class ProviderQuality {

    private final int window;
    private final long maxAgeMs;
    private final int minAnswers;
    private final Clock clock;
    private final MeterRegistry meters;
    /** Keyed by configured provider name: bounded by the configuration. */
    private final Map<String, Recent> recent = new ConcurrentHashMap<>();

    public ProviderQuality(int window, Duration maxAge, int minAnswers, Clock clock, MeterRegistry meters) {
        this.window = window;
        this.maxAgeMs = maxAge.toMillis();
        this.minAnswers = minAnswers;
        this.clock = clock;
        this.meters = meters;
    }

    /** One checked answer of {@code provider} ({@code model}): passed when {@code problems} is empty. */
    public void answered(String provider, String model, List<Problem> problems) {
        String modelTag = model == null ? "" : model;
        counter("tla.model.answers", "Provider answers checked", provider, modelTag).increment();
        if (!problems.isEmpty()) {
            counter("tla.model.answers.failed", "Provider answers with at least one problem", provider, modelTag)
                    .increment();
            problems.stream().map(Problem::check).distinct().forEach(check -> Counter.builder("tla.model.answer.problems")
                    .description("Problems found in provider answers, by check").tag("provider", provider)
                    .tag("model", modelTag).tag("problem", check.wireName()).register(meters).increment());
        }
        recentOf(provider, modelTag).add(clock.millis(), problems.isEmpty());
    }

    /** A failed answer asked again of the same provider, with a corrective instruction. */
    public void retried(String provider, String model) {
        counter("tla.model.answers.retried", "Failed answers asked again with a correction", provider,
                model == null ? "" : model).increment();
    }

    /** A failed answer, after its retry, passed on to the next provider. */
    public void fellBack(String provider, String model) {
        counter("tla.model.answers.fell.back", "Failed answers passed on to the next provider", provider,
                model == null ? "" : model).increment();
    }

    /** A failed answer sent marked unverified: no provider passed. */
    public void keptUnverified(String provider, String model) {
        counter("tla.model.answers.unverified", "Answers sent marked unverified", provider,
                model == null ? "" : model).increment();
    }

    /** The share of {@code provider}'s recent checked answers that passed; empty while fewer than the minimum. */
    public OptionalDouble passRate(String provider) {
        Recent answers = recent.get(provider);
        return answers == null ? OptionalDouble.empty() : answers.rate(clock.millis());
    }

    /** Whether cost routing may pick {@code provider} first: its pass rate is unknown yet, or at least the minimum. */
    public boolean qualifies(String provider, double minQuality) {
        OptionalDouble rate = passRate(provider);
        return rate.isEmpty() || rate.getAsDouble() >= minQuality;
    }

    private Counter counter(String name, String description, String provider, String model) {
        return Counter.builder(name).description(description).tag("provider", provider).tag("model", model)
                .register(meters);
    }

    private Recent recentOf(String provider, String model) {
        return recent.computeIfAbsent(provider, name -> {
            Recent created = new Recent();
            Gauge.builder("tla.model.quality.pass.rate", created, r -> r.rate(clock.millis()).orElse(Double.NaN))
                    .description("Share of the provider's recent checked answers that passed")
                    .tag("provider", name).tag("model", model).register(meters);
            return created;
        });
    }

    /** A ring of the last {@code window} answers: when, and whether each passed. */
    private final class Recent {
        private final long[] at = new long[window];
        private final boolean[] passed = new boolean[window];
        private int next;
        private int size;

        synchronized void add(long now, boolean ok) {
            at[next] = now;
            passed[next] = ok;
            next = (next + 1) % window;
            size = Math.min(size + 1, window);
        }

        synchronized OptionalDouble rate(long now) {
            int counted = 0;
            int good = 0;
            for (int i = 0; i < size; i++) {
                if (now - at[i] <= maxAgeMs) {
                    counted++;
                    if (passed[i]) {
                        good++;
                    }
                }
            }
            return counted < Math.max(1, minAnswers) ? OptionalDouble.empty() : OptionalDouble.of((double) good / counted);
        }
    }
}
