package io.tla.bench;

import ch.qos.logback.classic.Level;
import io.tla.app.TlaCommand;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tla bench}: runs a benchmark scenario on an embedded broker of its own; progress on stderr, one JSON
 * object as the last line on stdout. It lives in the bench module, beside the runtime jar, so JMH and the
 * scenarios never ship with {@code tla.jar}; the {@code ./tla} launcher runs it through {@link BenchMain}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark tla-streams on an embedded broker of its own (needs no running ./tla run).",
                "Progress goes to stderr; the last stdout line is one JSON object: scenario, messages, "
                        + "throughput_per_s, p50_ms, p99_ms and, where the scenario compares, baseline_per_s and ratio."})
final class BenchCommand implements Callable<Integer> {

    @Mixin
    TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

    @Option(names = "--scenario", paramLabel = "S", defaultValue = "pipeline",
            description = "pipeline (default), latency, async-model, model-client, serde, graph-sink, sync-reply, "
                    + "footprint, detection or ingress (needs wrk on PATH).")
    String scenario;

    @Option(names = "--messages", paramLabel = "N",
            description = "Messages to send (defaults: pipeline 20000, latency 30000, async-model 3000, model-client 8000 "
                    + "calls, graph-sink 20000 replies, footprint 20000, detection 10000 timed detections per detector "
                    + "and round, ingress 300000 distinct activities prepared for its 30 s).")
    Integer messages;

    @Option(names = "--rate", paramLabel = "PER_S", description = "latency, sync-reply and footprint: messages (replies) offered per second (default 500; footprint 200).")
    Integer rate;

    @Option(names = "--warmup", paramLabel = "N", description = "pipeline, async-model, graph-sink, latency: messages "
            + "processed unmeasured first, so the JIT compiler has caught up (default " + Bench.DEFAULT_WARMUP
            + "; latency: 5 s at the offered rate, 120 s for the steady state; 0 measures a cold JVM).")
    Integer warmup;

    @Option(names = "--keep", description = "Keep the run's directory (data.dir/bench/<timestamp>) instead of deleting it.")
    boolean keep;

    @Override
    public Integer call() throws Exception {
        Bench.Request request = Bench.Request.of(scenario, messages, rate, warmup, keep);
        if (System.getenv("TLA_LOG_LEVEL") == null) {
            // The roles' INFO lines would drown the progress lines; warnings still show.
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                    .setLevel(Level.WARN);
        }
        BenchResult result = Bench.run(request, options.load(), System.err);
        System.out.println(result.toJson());
        System.out.flush();
        return 0;
    }
}
