package io.tla.bench;

import io.tla.app.Role;
import io.tla.app.TlaRuntime;
import io.tla.connectors.ingress.HmacSignature;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.ManagementConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code latency}: the whole product as {@code ./tla run} starts it (every role, on the benchmark's broker),
 * driven through the real HTTP ingress with signed Teams activities at a steady offered rate (open loop: a
 * request is sent when it is due, whatever the earlier ones are doing). Per message it measures from the 202
 * (the message is durably on {@code teams.messages.v1}) to the reply seen committed on {@code teams.replies.v1}
 * by a {@code read_committed} consumer started before the first request. A few seconds of warm-up traffic go
 * first and are not measured.
 */
final class LatencyScenario {

    static final int DEFAULT_RATE = 500;
    static final int CONVERSATIONS = 1_000;
    static final int TENANTS = 5;
    static final int TEXT_BYTES = 1_024;
    static final Duration WARMUP = Duration.ofSeconds(5);
    /** Requests awaiting their response at most; beyond it the sender waits and the offered rate is not met. */
    static final int MAX_OUTSTANDING = 2_000;
    /** How long the warm-up's replies may take; then measuring starts regardless. */
    static final Duration WARMUP_DRAIN_TIMEOUT = Duration.ofSeconds(10);
    /** How long after the last request the replies may take; what is missing then is reported as missing. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(25);

    private LatencyScenario() {
    }

    static BenchResult run(BenchEnvironment env, int messages, int rate, BenchLog log) throws Exception {
        TlaConfig userConfig = env.config(Map.of());
        // http.port and management.port are honoured when set; otherwise free ports, so the benchmark never
        // collides with ./tla run.
        String httpPort = userConfig.raw(HttpConfig.PORT) != null ? userConfig.raw(HttpConfig.PORT) : "0";
        String managementPort = userConfig.raw(ManagementConfig.PORT) != null
                ? userConfig.raw(ManagementConfig.PORT) : "0";
        TlaConfig config = env.config(Map.of(HttpConfig.PORT, httpPort, HttpConfig.HOST, "127.0.0.1",
                ManagementConfig.PORT, managementPort));
        TlaRuntime runtime = env.register(new TlaRuntime());
        TlaRuntime.Started started = runtime.start(config, EnumSet.allOf(Role.class), System.getenv());
        if (!runtime.awaitRunning(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the topology did not reach RUNNING within 60 s");
        }
        URI ingress = URI.create("http://127.0.0.1:" + started.httpPort() + "/api/messages");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        awaitReady(http, URI.create("http://127.0.0.1:" + started.httpPort() + "/health/ready"), log);
        HmacSignature signer = HmacSignature.of(started.webhookKey().orElseThrow().secret());
        log.info("runtime ready on %s (all roles)", ingress);

        int warmupMessages = (int) Math.min(messages, rate * WARMUP.toSeconds());
        SyntheticTraffic warmup = new SyntheticTraffic("bench-latency-warmup-", CONVERSATIONS, TENANTS, TEXT_BYTES);
        try (CommittedRecords replies = new CommittedRecords(env.clients(), Topics.REPLIES.name(), "replyToId",
                warmup, warmupMessages)) {
            log.info("warm-up: %d messages at %d/s, not measured", warmupMessages, rate);
            Sender sender = new Sender(http, ingress, signer, warmup, warmupMessages, rate);
            sender.run();
            replies.awaitAll(System.nanoTime() + WARMUP_DRAIN_TIMEOUT.toNanos(), () -> false);
        }

        SyntheticTraffic traffic = new SyntheticTraffic("bench-latency-", CONVERSATIONS, TENANTS, TEXT_BYTES);
        Sender sender = new Sender(http, ingress, signer, traffic, messages, rate);
        try (CommittedRecords replies = new CommittedRecords(env.clients(), Topics.REPLIES.name(), "replyToId",
                traffic, messages)) {
            PhaseMeter meter = new PhaseMeter(log, () -> String.format("sent %d/%d, accepted %d, replies %d",
                    sender.sent(), messages, sender.accepted(), replies.seen()));
            log.info("measuring: %d messages at %d/s (%.0f s)", messages, rate, messages / (double) rate);
            sender.run();
            long lastSendNanos = System.nanoTime();
            sender.awaitResponses(DRAIN_TIMEOUT);
            replies.awaitAll(lastSendNanos + DRAIN_TIMEOUT.toNanos(), () -> replies.seen() >= sender.accepted()
                    && sender.outstanding() == 0);
            meter.stop();
            replies.close();

            long[] latency = new long[messages];
            long[] ingressNanos = new long[messages];
            int repliesBefore202 = 0;
            for (int i = 0; i < messages; i++) {
                long accepted = sender.acceptedNanos(i);
                long seen = replies.seenNanos(i);
                ingressNanos[i] = accepted < 0 ? -1 : accepted - sender.sentNanos(i);
                if (accepted < 0 || seen < 0) {
                    latency[i] = -1;
                } else {
                    if (seen < accepted) {
                        repliesBefore202++; // the reply's poll returned before the 202's callback ran
                    }
                    latency[i] = Math.max(0, seen - accepted);
                }
            }
            Latencies latencies = Latencies.of(latency);
            Latencies ingressLatencies = Latencies.of(ingressNanos);
            long firstSend = sender.sentNanos(0);
            long lastReply = replies.lastSeenNanos();
            double elapsedS = Math.max(1, lastReply - firstSend) / 1e9;
            double sendS = Math.max(1, sender.lastSentNanos() - firstSend) / 1e9;
            log.info("%d/%d replies; p50 %.1f ms, p99 %.1f ms", replies.seen(), messages, latencies.p50Ms(),
                    latencies.p99Ms());
            return BenchResult.of(BenchScenario.LATENCY, messages, replies.seen() / elapsedS, latencies)
                    .put("p95_ms", latencies.p95Ms())
                    .put("max_ms", latencies.maxMs())
                    .put("latency", "202 received to reply seen committed on teams.replies.v1 (read_committed)")
                    .put("offered_per_s", rate)
                    .put("sent_per_s", messages > 1 ? (messages - 1) / sendS : (double) messages)
                    .put("accepted", sender.accepted())
                    .put("rejected", sender.rejections())
                    .put("completed", replies.seen())
                    .put("replies", replies.kinds())
                    .put("replies_seen_before_202", repliesBefore202)
                    .put("ingress_p50_ms", ingressLatencies.p50Ms())
                    .put("ingress_p99_ms", ingressLatencies.p99Ms())
                    .put("warmup_messages", warmupMessages)
                    .put("duration_s", elapsedS)
                    .put("conversations", CONVERSATIONS)
                    .put("tenants", TENANTS)
                    .put("text_bytes", TEXT_BYTES)
                    .put("partitions", env.partitions())
                    .put("roles", "ingress,topology,replies,dashboard")
                    .put("model", "offline")
                    .put("cpu_cores", meter.cpuCores())
                    .put("heap_max_mb", meter.heapMaxMb());
        }
    }

    private static void awaitReady(HttpClient http, URI ready, BenchLog log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(ready).GET().build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("/health/ready did not answer 200 within 60 s");
    }

    /**
     * Sends signed activities at a fixed rate. Bodies and signatures are prepared before the first request so
     * the pacing loop does nothing but wait and send.
     */
    static final class Sender {

        private final HttpClient http;
        private final URI ingress;
        private final int messages;
        private final long periodNanos;
        private final byte[][] bodies;
        private final String[] signatures;
        private final long[] sentNanos;
        private final AtomicLongArray acceptedNanos;
        private final Semaphore outstanding = new Semaphore(MAX_OUTSTANDING);
        private final LongAdder accepted = new LongAdder();
        private final Map<String, LongAdder> rejections = new ConcurrentHashMap<>();
        private volatile int sent;
        private volatile long lastSentNanos;

        Sender(HttpClient http, URI ingress, HmacSignature signer, SyntheticTraffic traffic, int messages, int rate) {
            this.http = http;
            this.ingress = ingress;
            this.messages = messages;
            this.periodNanos = 1_000_000_000L / rate;
            this.bodies = new byte[messages][];
            this.signatures = new String[messages];
            Instant now = Instant.now();
            for (int i = 0; i < messages; i++) {
                bodies[i] = traffic.activity(i, now);
                signatures[i] = signer.authorizationHeader(bodies[i]);
            }
            this.sentNanos = new long[messages];
            this.acceptedNanos = new AtomicLongArray(messages);
            for (int i = 0; i < messages; i++) {
                acceptedNanos.set(i, -1);
            }
        }

        void run() throws InterruptedException {
            long start = System.nanoTime() + 5_000_000;
            for (int i = 0; i < messages; i++) {
                long due = start + i * periodNanos;
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                outstanding.acquire();
                int index = i;
                HttpRequest request = HttpRequest.newBuilder(ingress)
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json; charset=utf-8")
                        .header("Authorization", signatures[i])
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bodies[i]))
                        .build();
                sentNanos[i] = System.nanoTime();
                http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
                    long now = System.nanoTime();
                    if (error != null) {
                        Throwable cause = error instanceof CompletionException
                                && error.getCause() != null ? error.getCause() : error;
                        rejections.computeIfAbsent(cause.getClass().getSimpleName(), k -> new LongAdder()).increment();
                    } else if (response.statusCode() == 202) {
                        acceptedNanos.set(index, now);
                        accepted.increment();
                    } else {
                        rejections.computeIfAbsent(Integer.toString(response.statusCode()), k -> new LongAdder())
                                .increment();
                    }
                    outstanding.release();
                });
                sent = i + 1;
                lastSentNanos = sentNanos[i];
            }
        }

        void awaitResponses(Duration timeout) throws InterruptedException {
            if (outstanding.tryAcquire(MAX_OUTSTANDING, timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                outstanding.release(MAX_OUTSTANDING);
            }
        }

        int sent() {
            return sent;
        }

        int accepted() {
            return accepted.intValue();
        }

        int outstanding() {
            return MAX_OUTSTANDING - outstanding.availablePermits();
        }

        long sentNanos(int index) {
            return sentNanos[index];
        }

        long lastSentNanos() {
            return lastSentNanos;
        }

        long acceptedNanos(int index) {
            return acceptedNanos.get(index);
        }

        Map<String, Long> rejections() {
            Map<String, Long> counts = new TreeMap<>();
            rejections.forEach((reason, count) -> counts.put(reason, count.sum()));
            return counts;
        }
    }
}
