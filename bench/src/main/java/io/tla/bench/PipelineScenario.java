package io.tla.bench;

import io.tla.platform.config.ComplianceConfig;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.StreamsSettings;
import io.tla.platform.config.TlaConfig;
import io.micrometer.core.instrument.Metrics;
import io.tla.platform.secrets.SecretStores;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ModelProviders;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code pipeline}: messages of about one KiB, pre-loaded into {@code teams.messages.v1}, then processed by the
 * whole topology (exactly-once, offline model) and, in the same run on the same broker, by a bare Kafka Streams
 * JSON passthrough. Throughput is messages divided by the time from the application's start until the last
 * output is committed.
 *
 * <p>Both applications are warmed up first, in the same JVM, on {@code --warmup} messages of their own
 * and under the same application ids: broker, Streams, Jackson and language detection all run in this one JVM,
 * and before the JIT compiler has caught up (tens of seconds on 2 cores) the first run of anything is measured
 * at a fraction of its speed, which would otherwise favour whichever side ran second. The measured runs then
 * restart from the offsets the warm-up committed, as a restarted instance would.
 */
final class PipelineScenario {

    static final int CONVERSATIONS = 1_000;
    static final int TENANTS = 5;
    static final int TEXT_BYTES = 1_024;
    private static final Duration PHASE_TIMEOUT = Duration.ofSeconds(150);

    private PipelineScenario() {
    }

    /**
     * The configured fallback chain, as {@code ./tla run} builds it (offline here, so no key is looked up and no
     * fallback is counted).
     */
    private static ModelProvider model(TlaConfig config) {
        return ModelProviders.chain(ModelConfig.from(config), SecretStores.create(config, System.getenv()),
                Metrics.globalRegistry, java.time.Clock.systemUTC(), ComplianceConfig.from(config));
    }

    static BenchResult run(BenchEnvironment env, int messages, int warmupMessages, BenchLog log)
            throws InterruptedException {
        SyntheticTraffic traffic = new SyntheticTraffic("bench-pipeline-", CONVERSATIONS, TENANTS, TEXT_BYTES);
        env.ensureTopics(List.of(PassthroughStreamsApp.OUTPUT));
        TlaConfig config = env.config(Map.of(
                ModelConfig.PROVIDERS, "offline",
                StreamsSettings.APPLICATION_ID, "tla-bench-pipeline"));

        SyntheticTraffic warmup = new SyntheticTraffic("bench-pipeline-warmup-", CONVERSATIONS, TENANTS, TEXT_BYTES);
        if (warmupMessages > 0) {
            long[] warmupLoadedNanos = new long[warmupMessages];
            log.info("warming up on %d messages", warmupMessages);
            MessageLoader.load(env.clients(), warmup, warmupMessages, warmupLoadedNanos);
            StreamsPhase.topology(env, config, model(config), "warm-up topology",
                    warmup, warmupLoadedNanos, PHASE_TIMEOUT, log);
            StreamsPhase.passthrough(env, config, "warm-up baseline", warmup, warmupLoadedNanos, PHASE_TIMEOUT, log);
        }

        log.info("loading %d messages (text ~%d bytes, %d conversations, %d tenants) into teams.messages.v1 "
                + "(%d partitions)", messages, TEXT_BYTES, CONVERSATIONS, TENANTS, env.partitions());
        long[] loadedNanos = new long[messages];
        long loadStart = System.nanoTime();
        MessageLoader.load(env.clients(), traffic, messages, loadedNanos);
        log.info("loaded in %.1f s", (System.nanoTime() - loadStart) / 1e9);

        PhaseOutcome topology = StreamsPhase.topology(env, config, model(config),
                "topology", traffic, loadedNanos, PHASE_TIMEOUT, log);
        PhaseOutcome baseline = StreamsPhase.passthrough(env, config, "baseline (JSON passthrough)", traffic,
                loadedNanos, PHASE_TIMEOUT, log);

        StreamsSettings streams = StreamsSettings.from(config);
        return BenchResult.of(BenchScenario.PIPELINE, messages, topology.throughputPerS(), topology.latencies())
                .baseline(baseline.throughputPerS())
                .put("p95_ms", topology.latencies().p95Ms())
                .put("max_ms", topology.latencies().maxMs())
                .put("completed", topology.completed())
                .put("duration_s", topology.elapsedS())
                .put("startup_s", topology.startupNanos() / 1e9)
                .put("first_reply_s", topology.firstOutputS())
                .put("steady_per_s", topology.steadyPerS())
                .put("replies", topology.kinds())
                .put("duplicates", topology.duplicates())
                .put("baseline", "bare Kafka Streams JSON passthrough (deserialise + serialise), same broker")
                .put("baseline_completed", baseline.completed())
                .put("baseline_duration_s", baseline.elapsedS())
                .put("baseline_steady_per_s", baseline.steadyPerS())
                .put("baseline_startup_s", baseline.startupNanos() / 1e9)
                .put("baseline_p50_ms", baseline.latencies().p50Ms())
                .put("baseline_p99_ms", baseline.latencies().p99Ms())
                .put("latency", "reply seen committed (read_committed) minus message loaded; messages are "
                        + "pre-loaded, so this includes their wait in the topic")
                .put("warmup_messages", warmupMessages)
                .put("conversations", CONVERSATIONS)
                .put("tenants", TENANTS)
                .put("text_bytes", TEXT_BYTES)
                .put("partitions", env.partitions())
                .put("stream_threads", streams.threads())
                .put("processing_guarantee", streams.processingGuarantee())
                .put("baseline_processing_guarantee", "exactly_once_v2")
                .put("commit_interval_ms", streams.commitIntervalMs())
                .put("model", "offline")
                .put("cpu_cores", topology.cpuCores())
                .put("baseline_cpu_cores", baseline.cpuCores())
                .put("heap_max_mb", Math.max(topology.heapMaxMb(), baseline.heapMaxMb()));
    }
}
