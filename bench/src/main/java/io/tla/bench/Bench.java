package io.tla.bench;

import io.tla.platform.config.TlaConfig;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;

/**
 * Runs one benchmark scenario and returns its result. Validates everything it is given before it starts
 * anything, so a mistake costs no broker start.
 */
public final class Bench {

    /**
     * A validated request.
     *
     * @param scenario  what to run
     * @param messages  messages to send (the scenario's default when none was given)
     * @param ratePerS  the latency scenario's offered load
     * @param warmup    messages processed, in the same JVM and unmeasured, before the measured run
     * @param keep      keep the run's directory under {@code data.dir/bench/}
     */
    public record Request(BenchScenario scenario, int messages, int ratePerS, int warmup, boolean keep) {

        /** A request with the scenario's default warm-up. */
        public static Request of(String scenarioName, Integer messages, Integer ratePerS, boolean keep) {
            return of(scenarioName, messages, ratePerS, null, keep);
        }

        /** Parses and checks the command line's values; an {@link IllegalArgumentException} says what is wrong. */
        public static Request of(String scenarioName, Integer messages, Integer ratePerS, Integer warmup,
                                 boolean keep) {
            BenchScenario scenario = BenchScenario.parse(scenarioName);
            int count = scenario.messages(messages);
            if (ratePerS != null && scenario != BenchScenario.LATENCY && scenario != BenchScenario.SYNC_REPLY
                    && scenario != BenchScenario.FOOTPRINT) {
                throw new IllegalArgumentException("--rate applies to the latency, sync-reply and footprint scenarios only");
            }
            int rate = ratePerS != null ? ratePerS
                    : scenario == BenchScenario.SYNC_REPLY ? SyncReplyScenario.DEFAULT_RATE
                    : scenario == BenchScenario.FOOTPRINT ? FootprintScenario.DEFAULT_RATE : LatencyScenario.DEFAULT_RATE;
            if (rate < 1 || rate > 100_000) {
                throw new IllegalArgumentException("--rate must be between 1 and 100000 messages per second, got " + rate);
            }
            if (warmup != null && (warmup < 0 || warmup > 1_000_000)) {
                throw new IllegalArgumentException("--warmup must be between 0 and 1000000 messages, got " + warmup);
            }
            if (warmup != null && scenario != BenchScenario.PIPELINE && scenario != BenchScenario.ASYNC_MODEL
                    && scenario != BenchScenario.GRAPH_SINK && scenario != BenchScenario.LATENCY) {
                throw new IllegalArgumentException("--warmup applies to the pipeline, async-model, graph-sink and "
                        + "latency scenarios only");
            }
            int defaultWarmup = scenario == BenchScenario.LATENCY
                    ? (int) Math.min(1_000_000, rate * LatencyScenario.DEFAULT_WARMUP.toSeconds()) : DEFAULT_WARMUP;
            return new Request(scenario, count, rate, warmup == null ? defaultWarmup : warmup, keep);
        }
    }

    /**
     * Messages a scenario processes before it measures: broker, Streams, Jackson and language detection share one
     * JVM, and on 2 cores the JIT compiler needs tens of seconds of that traffic before the code runs at speed.
     */
    public static final int DEFAULT_WARMUP = 6_000;

    private Bench() {
    }

    public static BenchResult run(Request request, TlaConfig config, PrintStream err) throws Exception {
        BenchLog log = new BenchLog(err, request.scenario().wireName());
        double loadBefore = systemLoad();
        BenchResult result;
        if (request.scenario() == BenchScenario.SERDE) {
            result = SerdeScenario.run(err, log);
        } else if (request.scenario() == BenchScenario.MODEL_CLIENT) {
            result = ModelClientScenario.run(request.messages(), log); // needs no broker
        } else if (request.scenario() == BenchScenario.FOOTPRINT) {
            // the measured ./tla run brings its own broker
            result = FootprintScenario.run(config, request.messages(), request.ratePerS(), request.keep(), log);
        } else if (request.scenario() == BenchScenario.DETECTION) {
            result = DetectionScenario.run(request.messages(), log); // needs no broker
        } else {
            if (request.scenario() == BenchScenario.INGRESS) {
                IngressScenario.requireWrk(); // before the broker starts
            }
            BenchEnvironment env = BenchEnvironment.start(config, request.keep(), log);
            // Ctrl-C still stops the broker and removes the run's directory.
            Thread cleanup = new Thread(env::close, "tla-bench-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            try (env) {
                result = switch (request.scenario()) {
                    case PIPELINE -> PipelineScenario.run(env, request.messages(), request.warmup(), log);
                    case LATENCY -> LatencyScenario.run(env, request.messages(), request.ratePerS(), request.warmup(),
                            log);
                    case ASYNC_MODEL -> AsyncModelScenario.run(env, request.messages(), request.warmup(), log);
                    case GRAPH_SINK -> GraphSinkScenario.run(env, request.messages(), request.warmup(), log);
                    case SYNC_REPLY -> SyncReplyScenario.run(env, request.messages(), request.ratePerS(), log);
                    case INGRESS -> IngressScenario.run(env, request.messages(), log);
                    case SERDE, MODEL_CLIENT, FOOTPRINT, DETECTION -> throw new IllegalStateException("unreachable");
                };
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException e) {
                    // already shutting down: the hook runs
                }
            }
        }
        // Other processes on the machine skew every figure: say how busy it was.
        return result.put("cores", Runtime.getRuntime().availableProcessors())
                .put("load_avg_1m_before", loadBefore)
                .put("load_avg_1m_after", systemLoad());
    }

    private static double systemLoad() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
