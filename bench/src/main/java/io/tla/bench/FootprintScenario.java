package io.tla.bench;

import io.tla.connectors.ingress.HmacSignature;
import io.tla.platform.config.DataConfig;
import io.tla.platform.config.KafkaSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.schemas.Topics;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code footprint}: what {@code ./tla run} costs in memory as an operator starts it. The launcher runs as a child
 * process with its own defaults (heap, GC, embedded broker, every role, offline model, outbox, SQLite), nothing
 * set but free ports, a data directory of the run's own and a webhook key in the environment. Signed activities
 * go to its ingress at a steady rate; once every reply is committed and the process has been idle a few seconds,
 * its resident set (from {@code /proc}) and heap (from its own {@code /metrics}) are read. Peak RSS is the
 * kernel's high-water mark over the whole run, start-up included.
 */
final class FootprintScenario {

    static final int DEFAULT_RATE = 200;
    /** The bound for the whole runtime after 20 000 messages. */
    static final long TARGET_RSS_MIB = 512;
    static final long TARGET_HEAP_MAX_MIB = 384;
    static final Duration START_TIMEOUT = Duration.ofSeconds(180);
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);
    static final Duration SETTLE = Duration.ofSeconds(5);
    private static final Pattern HEAP_METRIC = Pattern.compile(
            "^jvm_memory_(used|committed|max)_bytes\\{area=\"heap\",[^}]*\\}\\s+([0-9.eE+-]+)$", Pattern.MULTILINE);

    private FootprintScenario() {
    }

    static BenchResult run(TlaConfig config, int messages, int rate, boolean keep, BenchLog log) throws Exception {
        Path home = Path.of(System.getProperty("tla.home", "."));
        Path launcher = home.resolve("tla");
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException("footprint runs the launcher as an operator would, and " + launcher
                    + " is not there or not executable (run it from the installation, ./tla bench ...)");
        }
        Path benchRoot = Files.createDirectories(DataConfig.from(config).dataDir().resolve("bench")).toAbsolutePath();
        Path dataDir = Files.createTempDirectory(benchRoot, "footprint-");
        int httpPort = freePort();
        int managementPort = freePort();
        int kafkaPort = freePort();
        int controllerPort = freePort();
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String encodedKey = Base64.getEncoder().encodeToString(key);

        List<String> command = new ArrayList<>(List.of(launcher.toString(), "run",
                "--set", "data.dir=" + dataDir,
                "--set", "http.host=127.0.0.1",
                "--set", "http.port=" + httpPort,
                "--set", "management.port=" + managementPort,
                "--set", "embedded.kafka.port=" + kafkaPort,
                "--set", "embedded.kafka.controller-port=" + controllerPort,
                // every message needs a reply (the default target, en alone, skips the traffic's English texts
                // without one), as in the pipeline scenario
                "--set", "translation.target-languages=en,ja"));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dataDir.resolve("tla-run.log").toFile());
        builder.environment().put("TLA_BUILD", "never");
        builder.environment().remove("TLA_JAVA_OPTS"); // the launcher's own defaults are what is measured
        builder.environment().put(EnvSecretStore.PREFIX + "TEAMS_WEBHOOK_HMAC", encodedKey);
        log.info("starting %s run (launcher defaults), log in %s", launcher, dataDir.resolve("tla-run.log"));
        Process process = builder.start();
        try {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            awaitReady(http, URI.create("http://127.0.0.1:" + httpPort + "/health/ready"), process);
            long startRssMib = rssKib(process.pid(), "VmRSS") / 1024;
            log.info("ready: pid %d, RSS %d MiB before traffic", process.pid(), startRssMib);

            KafkaClients clients = KafkaClients.of(KafkaSettings.from(config), "127.0.0.1:" + kafkaPort);
            SyntheticTraffic traffic = new SyntheticTraffic("bench-footprint-", LatencyScenario.CONVERSATIONS,
                    LatencyScenario.TENANTS, LatencyScenario.TEXT_BYTES);
            URI ingress = URI.create("http://127.0.0.1:" + httpPort + "/api/messages");
            LatencyScenario.Sender sender = new LatencyScenario.Sender(ingress, HmacSignature.ofBase64Key(encodedKey),
                    traffic, messages, rate);
            long rssPeakDuringKib;
            try (CommittedRecords replies = new CommittedRecords(clients, Topics.REPLIES.name(), "replyToId",
                    traffic, messages)) {
                PhaseMeter meter = new PhaseMeter(log, () -> String.format("sent %d/%d, accepted %d, replies %d, RSS %d MiB",
                        sender.sent(), messages, sender.accepted(), replies.seen(), rssKib(process.pid(), "VmRSS") / 1024));
                log.info("sending %d messages at %d/s (%.0f s)", messages, rate, messages / (double) rate);
                sender.run();
                long lastSend = System.nanoTime();
                sender.awaitResponses(DRAIN_TIMEOUT);
                replies.awaitAll(lastSend + DRAIN_TIMEOUT.toNanos(), () -> replies.seen() >= sender.accepted()
                        && sender.outstanding() == 0);
                meter.stop();
                rssPeakDuringKib = rssKib(process.pid(), "VmHWM");
                Thread.sleep(SETTLE.toMillis());

                long rssMib = rssKib(process.pid(), "VmRSS") / 1024;
                Map<String, Double> heap = heap(http, URI.create("http://127.0.0.1:" + managementPort + "/metrics"));
                long heapUsedMib = Math.round(heap.getOrDefault("used", -1.0) / (1 << 20));
                long heapCommittedMib = Math.round(heap.getOrDefault("committed", -1.0) / (1 << 20));
                long heapMaxMib = Math.round(heap.getOrDefault("max", -1.0) / (1 << 20));
                boolean met = rssMib <= TARGET_RSS_MIB && heapMaxMib > 0 && heapMaxMib <= TARGET_HEAP_MAX_MIB
                        && replies.seen() == messages;
                log.info("after %d messages: RSS %d MiB (peak %d), heap used %d / committed %d / max %d MiB: %s",
                        replies.seen(), rssMib, rssPeakDuringKib / 1024, heapUsedMib, heapCommittedMib, heapMaxMib,
                        met ? "within the bounds" : "OUTSIDE the bounds");
                long[] latency = new long[messages];
                for (int i = 0; i < messages; i++) {
                    long accepted = sender.acceptedNanos(i);
                    long seen = replies.seenNanos(i);
                    latency[i] = accepted < 0 || seen < 0 ? -1 : Math.max(0, seen - accepted);
                }
                Latencies latencies = Latencies.of(latency);
                double elapsedS = Math.max(1, replies.lastSeenNanos() - sender.sentNanos(0)) / 1e9;
                return BenchResult.of(BenchScenario.FOOTPRINT, messages, replies.seen() / elapsedS, latencies)
                        .put("rss_mib", rssMib)
                        .put("rss_peak_mib", rssPeakDuringKib / 1024)
                        .put("rss_before_traffic_mib", startRssMib)
                        .put("heap_used_mib", heapUsedMib)
                        .put("heap_committed_mib", heapCommittedMib)
                        .put("heap_max_mib", heapMaxMib)
                        .put("target_rss_mib", TARGET_RSS_MIB)
                        .put("target_heap_max_mib", TARGET_HEAP_MAX_MIB)
                        .put("met", met)
                        .put("offered_per_s", rate)
                        .put("accepted", sender.accepted())
                        .put("rejected", sender.rejections())
                        .put("completed", replies.seen())
                        .put("latency", "202 received to reply seen committed on teams.replies.v1 (read_committed)")
                        .put("process", "./tla run with the launcher's defaults, all roles, embedded broker");
            }
        } finally {
            process.destroy(); // SIGTERM: the runtime shuts its roles down
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            if (!keep) {
                deleteTree(dataDir);
            }
        }
    }

    /** A field of {@code /proc/PID/status} in KiB ({@code VmRSS}: resident now; {@code VmHWM}: its peak). */
    static long rssKib(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** Heap used, committed and max in bytes, summed over the heap pools the process reports. */
    static Map<String, Double> heap(HttpClient http, URI metrics) throws IOException, InterruptedException {
        String body = http.send(HttpRequest.newBuilder(metrics).GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
        Map<String, Double> sums = new java.util.HashMap<>();
        Matcher matcher = HEAP_METRIC.matcher(body);
        while (matcher.find()) {
            double value = Double.parseDouble(matcher.group(2));
            if (value >= 0) { // a pool without a max reports -1
                sums.merge(matcher.group(1), value, Double::sum);
            }
        }
        return sums;
    }

    private static void awaitReady(HttpClient http, URI ready, Process process) throws Exception {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("./tla run exited with " + process.exitValue() + " before it was ready");
            }
            try {
                if (http.send(HttpRequest.newBuilder(ready).GET().build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("./tla run was not ready within " + START_TIMEOUT.toSeconds() + " s");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
