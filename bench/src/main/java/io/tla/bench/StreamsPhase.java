package io.tla.bench;

import io.tla.platform.config.StreamsSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.http.Health;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.schemas.Topics;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationStreamsApp;
import io.tla.topology.TranslationTopology;
import io.tla.topology.model.ModelProvider;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs one Kafka Streams application over messages already on {@code teams.messages.v1} and measures it until
 * every message has its output committed, or the timeout. Latency per message is output-seen minus
 * message-loaded; since the messages were pre-loaded, it includes the time they waited in the topic.
 */
final class StreamsPhase {

    private StreamsPhase() {
    }

    /** The product: {@link TranslationTopology} through {@link TranslationStreamsApp}, as {@code ./tla run} runs it. */
    static PhaseOutcome topology(BenchEnvironment env, TlaConfig config, ModelProvider model, String label,
                                 SyntheticTraffic traffic, long[] loadedNanos, Duration timeout, BenchLog log)
            throws InterruptedException {
        int messages = loadedNanos.length;
        StreamsSettings streams = StreamsSettings.from(config);
        try (TlaMetrics metrics = new TlaMetrics();
             CommittedRecords replies = new CommittedRecords(env.clients(), Topics.REPLIES.name(), "replyToId",
                     traffic, messages)) {
            TranslationStreamsApp app = new TranslationStreamsApp(
                    TranslationTopology.buildTopology(TopologySettings.from(config), model, Clock.systemUTC(),
                            metrics.registry()),
                    streams, env.clients(), env.runDir().resolve("streams-" + streams.applicationId()), metrics,
                    new Health());
            try {
                return measure(label, app::start, () -> app.awaitRunning(Duration.ofSeconds(60)), replies,
                        messages, loadedNanos, timeout, log);
            } finally {
                app.close();
            }
        }
    }

    /** The baseline: a bare JSON passthrough with the same guarantees and thread count. */
    static PhaseOutcome passthrough(BenchEnvironment env, TlaConfig config, String label, SyntheticTraffic traffic,
                                    long[] loadedNanos, Duration timeout, BenchLog log) throws InterruptedException {
        int messages = loadedNanos.length;
        try (CommittedRecords output = new CommittedRecords(env.clients(), PassthroughStreamsApp.OUTPUT.name(),
                "messageId", traffic, messages);
             PassthroughStreamsApp app = new PassthroughStreamsApp(env.clients(), StreamsSettings.from(config),
                     env.runDir().resolve("streams-passthrough"))) {
            return measure(label, app::start, app::awaitRunning, output, messages,
                    loadedNanos, timeout, log);
        }
    }

    interface AwaitRunning {
        boolean await() throws InterruptedException;
    }

    private static PhaseOutcome measure(String label, Runnable start, AwaitRunning running, CommittedRecords output,
                                        int messages, long[] loadedNanos, Duration timeout, BenchLog log)
            throws InterruptedException {
        Supplier<String> progress = () -> String.format("%s: %d/%d committed", label, output.seen(), messages);
        PhaseMeter meter = new PhaseMeter(log, progress);
        long startNanos = meter.startNanos();
        start.run();
        boolean isRunning = running.await();
        long startupNanos = System.nanoTime() - startNanos;
        if (!isRunning) {
            log.info("%s: not RUNNING after %.0f s; measuring anyway", label, startupNanos / 1e9);
        }
        boolean complete = output.awaitAll(startNanos + timeout.toNanos(), () -> false);
        meter.stop();
        long endNanos = complete ? output.lastSeenNanos() : System.nanoTime();
        try {
            output.close(); // joins the poller: its notes are visible from here on
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw e;
        }
        long[] latency = new long[messages];
        for (int i = 0; i < messages; i++) {
            long seen = output.seenNanos(i);
            latency[i] = seen < 0 ? -1 : Math.max(0, seen - loadedNanos[i]);
        }
        long firstOutputNanos = output.firstSeenNanos() < 0 ? -1 : output.firstSeenNanos() - startNanos;
        PhaseOutcome outcome = new PhaseOutcome(messages, output.seen(), endNanos - startNanos, startupNanos,
                firstOutputNanos, Latencies.of(latency), meter.cpuCores(), meter.heapMaxMb(), Map.copyOf(output.kinds()),
                output.duplicates());
        log.info("%s: %d/%d in %.1f s (RUNNING after %.1f s, %s): %.0f/s (%.0f/s once flowing), %.1f cores%s",
                label, outcome.completed(), messages, outcome.elapsedS(), startupNanos / 1e9,
                outcome.firstOutputS() == null ? "no output" : String.format("first output after %.1f s",
                        outcome.firstOutputS()),
                outcome.throughputPerS(), outcome.steadyPerS(), outcome.cpuCores(),
                complete ? "" : "; TIMED OUT after " + timeout.toSeconds() + " s");
        return outcome;
    }
}
