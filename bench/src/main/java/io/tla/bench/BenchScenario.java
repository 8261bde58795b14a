package io.tla.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The scenarios {@code ./tla bench} can run, each with a default message count that keeps one run under two
 * minutes on a 2-core machine.
 */
public enum BenchScenario {
    /** Pre-loaded 1 KiB messages through the whole topology vs. a bare Kafka Streams JSON passthrough. */
    PIPELINE("pipeline", 20_000),
    /** A steady offered load through the real HTTP ingress; ingress-accepted to reply-committed latency. */
    LATENCY("latency", 30_000),
    /** A 300 ms model, many conversations, 256 calls in flight vs. one call at a time. */
    ASYNC_MODEL("async-model", 3_000),
    /** The live provider client against a local OpenAI-compatible server: calls/s, and what a fallback adds. */
    MODEL_CLIENT("model-client", 8_000),
    /** JMH microbenchmark of the per-record hot code: JSON serdes and the offline provider. */
    SERDE("serde", 0),
    /** The Graph reply connector against a local Graph that answers at once, vs. the outbox sink. */
    GRAPH_SINK("graph-sink", 20_000),
    /** Replies at 500/s followed by two ingress instances answering webhook calls, vs. a consumer group's read. */
    SYNC_REPLY("sync-reply", 30_000),
    /** {@code ./tla run} with the launcher's defaults as a child process: RSS and heap after steady traffic. */
    FOOTPRINT("footprint", 20_000),
    /** Source-language detection, the pipeline's detector vs. Lingua: scores on the evaluation corpus, CPU, heap. */
    DETECTION("detection", 10_000),
    /**
     * The ingress alone under wrk (2 threads, 64 connections, 30 s) with distinct signed activities, vs. the same
     * HTTP stack checking only the HMAC; the count is the activities prepared for the 30 s (each is posted once).
     */
    INGRESS("ingress", 300_000);

    private final String wireName;
    private final int defaultMessages;

    BenchScenario(String wireName, int defaultMessages) {
        this.wireName = wireName;
        this.defaultMessages = defaultMessages;
    }

    public String wireName() {
        return wireName;
    }

    public int defaultMessages() {
        return defaultMessages;
    }

    /** Comma-separated names of the scenarios this build runs. */
    public static String names() {
        return Arrays.stream(values()).map(BenchScenario::wireName).collect(Collectors.joining(", "));
    }

    /** The scenario of that name; a clear message naming the available ones otherwise. */
    public static BenchScenario parse(String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (BenchScenario scenario : values()) {
            if (scenario.wireName.equals(wanted)) {
                return scenario;
            }
        }
        throw new IllegalArgumentException("unknown scenario '" + name + "'. Scenarios: " + names());
    }

    /** The message count to run: the default when none is given; at least one otherwise. */
    public int messages(Integer requested) {
        if (requested == null) {
            return defaultMessages;
        }
        if (this == SERDE) {
            throw new IllegalArgumentException("--messages does not apply to the serde scenario: JMH decides how "
                    + "many operations it measures");
        }
        if (requested < 1) {
            throw new IllegalArgumentException("--messages must be at least 1, got " + requested);
        }
        return requested;
    }
}
