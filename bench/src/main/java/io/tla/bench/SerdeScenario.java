package io.tla.bench;

import java.io.PrintStream;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;

/**
 * {@code serde}: runs {@link SerdeBenchmark} with JMH, one fork, short iterations, so it stays under a minute.
 * JMH's own report goes to stderr. The result's throughput and percentiles are those of the per-record chain
 * on one thread; the other benchmarks' operations per second follow as {@code ops_per_s}.
 */
final class SerdeScenario {

    static final int FORKS = 1;
    static final int WARMUP_ITERATIONS = 2;
    static final int MEASUREMENT_ITERATIONS = 3;
    static final int ITERATION_SECONDS = 1;

    private SerdeScenario() {
    }

    static BenchResult run(PrintStream err, BenchLog log) throws RunnerException {
        Options options = new OptionsBuilder()
                .include(SerdeBenchmark.class.getName() + "\\.")
                .forks(FORKS)
                .warmupIterations(WARMUP_ITERATIONS)
                .warmupTime(TimeValue.seconds(ITERATION_SECONDS))
                .measurementIterations(MEASUREMENT_ITERATIONS)
                .measurementTime(TimeValue.seconds(ITERATION_SECONDS))
                .threads(1)
                // the forked JVM gets its own flags, not the host's (which may carry a flight recording)
                .jvmArgs("-Xms1g", "-Xmx1g", "-XX:+UseG1GC")
                .shouldFailOnError(true)
                .build();
        log.info("JMH: %d fork, %d x %d s warm-up, %d x %d s measurement per benchmark", FORKS, WARMUP_ITERATIONS,
                ITERATION_SECONDS, MEASUREMENT_ITERATIONS, ITERATION_SECONDS);
        Collection<RunResult> results = new Runner(options,
                OutputFormatFactory.createFormatInstance(err, VerboseMode.NORMAL)).run();

        Map<String, Object> opsPerS = new LinkedHashMap<>();
        Map<String, Object> opsPerSError = new LinkedHashMap<>();
        Statistics perRecord = null;
        for (RunResult run : results) {
            String name = run.getParams().getBenchmark();
            String method = name.substring(name.lastIndexOf('.') + 1);
            Result<?> primary = run.getPrimaryResult();
            if (method.equals("perRecord")) {
                perRecord = primary.getStatistics();
            } else {
                opsPerS.put(method, BenchResult.round(primary.getScore(), 0));
                opsPerSError.put(method, BenchResult.round(primary.getScoreError(), 0));
            }
        }
        if (perRecord == null || perRecord.getN() == 0) {
            throw new IllegalStateException("JMH produced no result for perRecord");
        }
        double meanNs = perRecord.getMean();
        return BenchResult.of(BenchScenario.SERDE.wireName(), perRecord.getN(), 1e9 / meanNs,
                        perRecord.getPercentile(50) / 1e6, perRecord.getPercentile(99) / 1e6)
                .put("p95_ms", perRecord.getPercentile(95) / 1e6)
                .put("mean_us", meanNs / 1e3)
                .put("measured", "perRecord: deserialise a ~1 KiB NormalizedMessage, offline translate, serialise "
                        + "the ReplyEvent; one thread; messages = JMH samples")
                .put("ops_per_s", opsPerS)
                .put("ops_per_s_error_99_9", opsPerSError)
                .put("jmh", String.format("forks %d, warm-up %d x %d s, measurement %d x %d s", FORKS,
                        WARMUP_ITERATIONS, ITERATION_SECONDS, MEASUREMENT_ITERATIONS, ITERATION_SECONDS));
    }
}
