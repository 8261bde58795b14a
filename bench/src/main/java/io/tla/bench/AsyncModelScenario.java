package io.tla.bench;

import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.StreamsSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code async-model}: a model that takes 300 ms per call (an in-process delay, no network), messages spread
 * over at least 1 024 conversations. Two phases, each a fresh application over its own pre-loaded messages:
 * the baseline with {@code model.provider.delay.max-in-flight=1} (one call at a time: at most ~3.3 messages/s),
 * then the measured side with 256 calls in flight, bounded by a timeout after which the partial throughput is
 * reported as such. The measured application is warmed up first, under its own application id, on
 * {@code --warmup} messages of their own (see {@link PipelineScenario} for why); it then restarts from
 * the offsets the warm-up committed.
 */
final class AsyncModelScenario {

    static final String PROVIDER = "delay";
    static final Duration MODEL_LATENCY = Duration.ofMillis(300);
    static final int IN_FLIGHT = 256;
    static final int CONVERSATIONS = 1_024;
    static final int TENANTS = 5;
    static final int TEXT_BYTES = 1_024;
    static final int BASELINE_MESSAGES = 40;
    static final Duration BASELINE_TIMEOUT = Duration.ofSeconds(40);
    static final Duration TIMEOUT = Duration.ofSeconds(90);

    private AsyncModelScenario() {
    }

    static BenchResult run(BenchEnvironment env, int messages, int warmupMessages, BenchLog log) throws Exception {
        int baselineMessages = Math.min(BASELINE_MESSAGES, messages);

        if (warmupMessages > 0) {
            SyntheticTraffic warmup = new SyntheticTraffic("bench-async-warmup-", CONVERSATIONS, TENANTS, TEXT_BYTES);
            long[] warmupLoaded = new long[warmupMessages];
            MessageLoader.load(env.clients(), warmup, warmupMessages, warmupLoaded);
            log.info("warming up on %d messages, max-in-flight %d", warmupMessages, IN_FLIGHT);
            try (DelayedModelProvider model = new DelayedModelProvider(PROVIDER, MODEL_LATENCY)) {
                StreamsPhase.topology(env, config(env, "tla-bench-async", IN_FLIGHT), model, "warm-up", warmup,
                        warmupLoaded, TIMEOUT, log);
            }
            deleteMessages(env);
        }

        // Baseline: one call at a time.
        SyntheticTraffic syncTraffic = new SyntheticTraffic("bench-sync-", CONVERSATIONS, TENANTS, TEXT_BYTES);
        long[] syncLoaded = new long[baselineMessages];
        MessageLoader.load(env.clients(), syncTraffic, baselineMessages, syncLoaded);
        log.info("baseline: %d messages, max-in-flight 1, model latency %d ms", baselineMessages,
                MODEL_LATENCY.toMillis());
        PhaseOutcome baseline;
        int baselineMaxInFlight;
        try (DelayedModelProvider model = new DelayedModelProvider(PROVIDER, MODEL_LATENCY)) {
            baseline = StreamsPhase.topology(env, config(env, "tla-bench-async-baseline", 1), model,
                    "baseline (max-in-flight 1)", syncTraffic, syncLoaded, BASELINE_TIMEOUT, log);
            baselineMaxInFlight = model.maxInFlight();
        }
        // The measured side resumes from the warm-up's offsets, which are before the baseline's input: drop it.
        deleteMessages(env);

        SyntheticTraffic traffic = new SyntheticTraffic("bench-async-", CONVERSATIONS, TENANTS, TEXT_BYTES);
        long[] loaded = new long[messages];
        MessageLoader.load(env.clients(), traffic, messages, loaded);
        log.info("measured: %d messages over %d conversations, max-in-flight %d, timeout %d s", messages,
                Math.min(messages, CONVERSATIONS), IN_FLIGHT, TIMEOUT.toSeconds());
        PhaseOutcome measured;
        int maxInFlight;
        int modelCalls;
        DelayedModelProvider description;
        try (DelayedModelProvider model = new DelayedModelProvider(PROVIDER, MODEL_LATENCY)) {
            measured = StreamsPhase.topology(env, config(env, "tla-bench-async", IN_FLIGHT), model,
                    "max-in-flight " + IN_FLIGHT, traffic, loaded, TIMEOUT, log);
            maxInFlight = model.maxInFlight();
            modelCalls = model.answered();
            description = model;
        }

        return BenchResult.of(BenchScenario.ASYNC_MODEL, messages, measured.throughputPerS(), measured.latencies())
                .baseline(baseline.throughputPerS())
                .put("p95_ms", measured.latencies().p95Ms())
                .put("max_ms", measured.latencies().maxMs())
                .put("model", description.description())
                .put("in_flight", IN_FLIGHT)
                .put("warmup_messages", warmupMessages)
                .put("conversations", Math.min(messages, CONVERSATIONS))
                .put("completed", measured.completed())
                .put("timed_out", !measured.complete())
                .put("timeout_s", TIMEOUT.toSeconds())
                .put("duration_s", measured.elapsedS())
                .put("startup_s", measured.startupNanos() / 1e9)
                .put("first_reply_s", measured.firstOutputS())
                .put("steady_per_s", measured.steadyPerS())
                .put("replies", measured.kinds())
                .put("observed_max_in_flight", maxInFlight)
                .put("model_calls_answered", modelCalls)
                .put("baseline", "same topology, model.provider." + PROVIDER + ".max-in-flight=1")
                .put("baseline_messages", baselineMessages)
                .put("baseline_completed", baseline.completed())
                .put("baseline_duration_s", baseline.elapsedS())
                .put("baseline_steady_per_s", baseline.steadyPerS())
                .put("baseline_observed_max_in_flight", baselineMaxInFlight)
                .put("latency", "reply seen committed (read_committed) minus message loaded; messages are "
                        + "pre-loaded, so this includes their wait in the topic")
                .put("partitions", env.partitions())
                .put("cpu_cores", measured.cpuCores())
                .put("heap_max_mb", Math.max(measured.heapMaxMb(), baseline.heapMaxMb()));
    }

    private static TlaConfig config(BenchEnvironment env, String applicationId, int maxInFlight) {
        Map<String, String> values = new HashMap<>();
        values.put(ModelConfig.PROVIDERS, PROVIDER);
        values.put(ModelConfig.PROVIDER_PREFIX + PROVIDER + ".type", "offline");
        values.put(ModelConfig.PROVIDER_PREFIX + PROVIDER + ".max-in-flight", Integer.toString(maxInFlight));
        values.put(StreamsSettings.APPLICATION_ID, applicationId);
        return env.config(values);
    }

    /** Deletes every record of {@code teams.messages.v1} up to its current end. */
    private static void deleteMessages(BenchEnvironment env) throws Exception {
        try (Admin admin = Admin.create(env.clients().properties("tla-bench-admin"))) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < env.partitions(); p++) {
                latest.put(new TopicPartition(Topics.MESSAGES.name(), p), OffsetSpec.latest());
            }
            Map<TopicPartition, RecordsToDelete> delete = new HashMap<>();
            admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS)
                    .forEach((partition, info) -> delete.put(partition, RecordsToDelete.beforeOffset(info.offset())));
            admin.deleteRecords(delete).all().get(30, TimeUnit.SECONDS);
        }
    }
}
