package io.tla.bench;

import io.tla.app.Role;
import io.tla.app.TlaRuntime;
import io.tla.connectors.ingress.HmacSignature;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.ManagementConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.Topics;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
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
 * by a {@code read_committed} consumer started before the first request. Warm-up traffic at the same rate goes
 * first, unmeasured, and its replies are awaited. By default it lasts 5 s, so a run stays under two minutes; but
 * with every role in one JVM on 2 cores the JIT compiler needs about two minutes of this traffic before the
 * process runs at its speed (it answered 300 messages/s in the first 100 s and 850/s after), so the steady-state
 * figure needs {@code --warmup} of two minutes' messages ({@code --warmup 60000} at 500/s).
 */
final class LatencyScenario {

    static final int DEFAULT_RATE = 500;
    static final int CONVERSATIONS = 1_000;
    static final int TENANTS = 5;
    static final int TEXT_BYTES = 1_024;
    /** The default warm-up: this long at the offered rate. */
    static final Duration DEFAULT_WARMUP = Duration.ofSeconds(5);
    /** Requests awaiting their response at most; beyond it the sender waits and the offered rate is not met. */
    static final int MAX_OUTSTANDING = 2_000;
    /** How long the warm-up's replies may take; then measuring starts regardless. */
    static final Duration WARMUP_DRAIN_TIMEOUT = Duration.ofSeconds(120);
    /** How long after the last request the replies may take; what is missing then is reported as missing. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(25);

    private LatencyScenario() {
    }

    static BenchResult run(BenchEnvironment env, int messages, int rate, int warmupMessages, BenchLog log)
            throws Exception {
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

        SyntheticTraffic warmup = new SyntheticTraffic("bench-latency-warmup-", CONVERSATIONS, TENANTS, TEXT_BYTES);
        try (CommittedRecords replies = new CommittedRecords(env.clients(), Topics.REPLIES.name(), "replyToId",
                warmup, warmupMessages)) {
            log.info("warm-up: %d messages at %d/s, not measured", warmupMessages, rate);
            Sender sender = new Sender(ingress, signer, warmup, warmupMessages, rate);
            sender.run();
            // the measured run starts on an empty queue: every warm-up reply first (a backlog would be measured)
            replies.awaitAll(System.nanoTime() + WARMUP_DRAIN_TIMEOUT.toNanos(), () -> false);
            log.info("warm-up: %d of %d replies", replies.seen(), warmupMessages);
        }

        SyntheticTraffic traffic = new SyntheticTraffic("bench-latency-", CONVERSATIONS, TENANTS, TEXT_BYTES);
        Sender sender = new Sender(ingress, signer, traffic, messages, rate);
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
     * Sends signed activities at a fixed rate. Requests (bodies, signatures, the whole HTTP/1.1 message) are
     * prepared before the first one is sent so the pacing loop does nothing but wait and hand them on.
     *
     * <p>The requests go out on {@value #CONNECTIONS} kept-alive connections, one blocking thread each, written and
     * read as bytes: the load generator shares the machine with what it measures, and the JDK HTTP client cost
     * 0.9 ms of CPU per request here (half a core at 500/s) where this costs a few microseconds. A request's time
     * starts when it is due, so a wait for a free connection counts against the ingress, not in its favour.
     */
    static final class Sender {

        static final int CONNECTIONS = 64;

        private final InetSocketAddress address;
        private final int messages;
        private final long periodNanos;
        private final byte[][] requests;
        private final long[] sentNanos;
        private final AtomicLongArray acceptedNanos;
        private final Semaphore outstanding = new Semaphore(MAX_OUTSTANDING);
        private final BlockingQueue<Integer> due = new LinkedBlockingQueue<>();
        private final LongAdder accepted = new LongAdder();
        private final Map<String, LongAdder> rejections = new ConcurrentHashMap<>();
        private volatile int sent;
        private volatile long lastSentNanos;

        Sender(URI ingress, HmacSignature signer, SyntheticTraffic traffic, int messages, int rate) {
            this.address = new InetSocketAddress(ingress.getHost(), ingress.getPort());
            this.messages = messages;
            this.periodNanos = 1_000_000_000L / rate;
            this.requests = new byte[messages][];
            Instant now = Instant.now();
            for (int i = 0; i < messages; i++) {
                byte[] body = traffic.activity(i, now);
                byte[] head = RawHttp.signedPostHead(ingress.getHost() + ":" + ingress.getPort(), ingress.getRawPath(),
                        body, signer);
                requests[i] = new byte[head.length + body.length];
                System.arraycopy(head, 0, requests[i], 0, head.length);
                System.arraycopy(body, 0, requests[i], head.length, body.length);
            }
            this.sentNanos = new long[messages];
            this.acceptedNanos = new AtomicLongArray(messages);
            for (int i = 0; i < messages; i++) {
                acceptedNanos.set(i, -1);
            }
        }

        void run() throws InterruptedException {
            for (int c = 0; c < CONNECTIONS; c++) {
                Thread connection = new Thread(this::sendOnOneConnection, "tla-bench-sender-" + c);
                connection.setDaemon(true);
                connection.start();
            }
            long start = System.nanoTime() + 5_000_000;
            for (int i = 0; i < messages; i++) {
                long dueNanos = start + i * periodNanos;
                long wait;
                while ((wait = dueNanos - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                outstanding.acquire();
                sentNanos[i] = dueNanos;
                due.add(i);
                sent = i + 1;
                lastSentNanos = dueNanos;
            }
            for (int c = 0; c < CONNECTIONS; c++) {
                due.add(-1); // each connection ends after the requests queued before it
            }
        }

        private void sendOnOneConnection() {
            Socket socket = null;
            InputStream in = null;
            try {
                for (int index = due.take(); index >= 0; index = due.take()) {
                    try {
                        if (socket == null) {
                            socket = new Socket();
                            socket.setTcpNoDelay(true);
                            socket.connect(address, (int) Duration.ofSeconds(5).toMillis());
                            socket.setSoTimeout((int) Duration.ofSeconds(30).toMillis());
                            in = new BufferedInputStream(socket.getInputStream());
                        }
                        socket.getOutputStream().write(requests[index]);
                        RawHttp.Response response = RawHttp.readResponse(in);
                        if (response.closes()) {
                            socket.close();
                            socket = null;
                        }
                        record(index, response.status(), null);
                    } catch (IOException e) {
                        record(index, 0, e.getClass().getSimpleName());
                        closeQuietly(socket);
                        socket = null;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closeQuietly(socket);
            }
        }

        private void record(int index, int status, String error) {
            long now = System.nanoTime();
            if (status == 202) {
                acceptedNanos.set(index, now);
                accepted.increment();
            } else {
                rejections.computeIfAbsent(error != null ? error : Integer.toString(status), k -> new LongAdder())
                        .increment();
            }
            outstanding.release();
        }

        private static void closeQuietly(Socket socket) {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // already gone
                }
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
