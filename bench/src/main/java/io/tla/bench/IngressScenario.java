package io.tla.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.app.Role;
import io.tla.app.TlaRuntime;
import io.tla.connectors.ingress.HmacSignature;
import io.tla.connectors.ingress.TeamsIngress;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.ManagementConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.http.Health;
import io.tla.platform.http.HttpServer;
import io.tla.schemas.Json;
import io.tla.schemas.Topics;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code ingress}: the Teams ingress alone, as {@code ./tla run --role ingress} runs it (here on the benchmark's
 * broker), under wrk: 2 threads, 64 connections, each request a distinct, correctly signed activity (its own id, a
 * fresh signed timestamp, the key's tenant in the body), for 30 s after a 10 s warm-up. Every answer must be 202 and
 * {@code teams.messages.v1} must have received exactly as many records. The same-run baseline is a bare endpoint on
 * the same server stack (the webhook listener, the same direct route) that only checks the HMAC and answers 202,
 * driven with the same requests. wrk and this JVM share the machine's cores.
 */
final class IngressScenario {

    static final int THREADS = 2;
    static final int CONNECTIONS = 64;
    static final Duration MEASURED = Duration.ofSeconds(30);
    static final Duration WARMUP = Duration.ofSeconds(10);
    static final Duration BASELINE = Duration.ofSeconds(15);
    /** How long wrk may still wait, past its window, for the answers to requests it sent. */
    static final Duration DRAIN_LIMIT = Duration.ofSeconds(30);
    static final int WARMUP_MESSAGES = 60_000;
    static final int CONVERSATIONS = 1_000;
    static final int TEXT_BYTES = 1_024;
    /** Distinct activities the requests are made from; each request then gets its own id. */
    static final int TEMPLATES = 1_000;
    static final String WRK_SCRIPT = "ingress-wrk.lua";
    static final String ID_PREFIX = "tla-bench-ingress-";

    private IngressScenario() {
    }

    /** The scenario needs wrk: refused with a clear message, before anything starts, when it is not on PATH. */
    static void requireWrk() {
        requireWrk(System.getenv("PATH"));
    }

    static void requireWrk(String path) {
        if (findOnPath("wrk", path) == null) {
            throw new IllegalStateException("the ingress scenario drives the ingress with wrk, which is not on PATH:"
                    + " install it (apt-get install wrk, brew install wrk) and run again");
        }
    }

    static Path findOnPath(String program, String path) {
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    static BenchResult run(BenchEnvironment env, int messages, BenchLog log) throws Exception {
        requireWrk();
        SyntheticTraffic traffic = new SyntheticTraffic(ID_PREFIX, CONVERSATIONS, 1, TEXT_BYTES);
        String tenant = traffic.tenantIds().get(0);
        TlaConfig userConfig = env.config(Map.of());
        // http.port and management.port are honoured when set; otherwise free ports
        String httpPort = userConfig.raw(HttpConfig.PORT) != null ? userConfig.raw(HttpConfig.PORT) : "0";
        String managementPort = userConfig.raw(ManagementConfig.PORT) != null
                ? userConfig.raw(ManagementConfig.PORT) : "0";
        TlaConfig config = env.config(Map.of(HttpConfig.PORT, httpPort, HttpConfig.HOST, "127.0.0.1",
                ManagementConfig.PORT, managementPort, WebhookConfig.TENANT_ID, tenant));
        TlaRuntime runtime = env.register(new TlaRuntime());
        TlaRuntime.Started started = runtime.start(config, EnumSet.of(Role.INGRESS), System.getenv());
        String base = "http://127.0.0.1:" + started.httpPort();
        awaitReady(URI.create(base + "/health/ready"));
        HmacSignature signer = HmacSignature.of(started.webhookKey().orElseThrow().secret());
        Path script = env.runDir().resolve(WRK_SCRIPT);
        try (InputStream in = IngressScenario.class.getResourceAsStream(WRK_SCRIPT)) {
            Files.copy(in, script);
        }
        log.info("ingress ready on %s (role ingress only; webhook key bound to tenant %s)", base, tenant);

        int warmupMessages = Math.min(WARMUP_MESSAGES, messages); // a short run warms up on fewer
        Path warmup = Requests.write(env.runDir().resolve("warmup"), traffic, "w-", warmupMessages, signer);
        log.info("warm-up: %d s of wrk, %d threads, %d connections, not measured", WARMUP.toSeconds(), THREADS,
                CONNECTIONS);
        Wrk.run(script, warmup, base, WARMUP);

        Path measured = Requests.write(env.runDir().resolve("measured"), traffic, "m-", messages, signer);
        long recordsBefore = recordsOnTopic(env);
        log.info("measuring: %d s of wrk over %d distinct signed activities", MEASURED.toSeconds(), messages);
        PhaseMeter meter = new PhaseMeter(log, () -> "wrk posting to the ingress");
        long cpuBefore = processCpuNanos();
        Wrk.Result ingress = Wrk.run(script, measured, base, MEASURED);
        long cpuNanos = processCpuNanos() - cpuBefore;
        meter.stop();
        long records = recordsOnTopic(env) - recordsBefore;
        log.info("ingress: %d answers (%d of them 202) in %.1f s, %d records on %s", ingress.answered(),
                ingress.accepted(), ingress.seconds(), records, Topics.MESSAGES.name());

        Wrk.Result baseline;
        try (HttpServer bare = bareEndpoint(signer)) {
            log.info("baseline: %d s of wrk on the same server stack checking only the HMAC",
                    BASELINE.toSeconds());
            baseline = Wrk.run(script, measured, "http://127.0.0.1:" + bare.port(), BASELINE);
        }
        boolean complete = ingress.posted() == ingress.answered() && ingress.nonAccepted() == 0
                && records == ingress.accepted();
        if (!complete) {
            log.info("NOT every request was answered 202 and stored: posted %d, answered %d, 202 %d, records %d",
                    ingress.posted(), ingress.answered(), ingress.accepted(), records);
        }
        return BenchResult.of(BenchScenario.INGRESS.wireName(), ingress.accepted(), ingress.perSecond(),
                        ingress.p50Ms(), ingress.p99Ms())
                .baseline(baseline.perSecond())
                .put("non_2xx", ingress.nonAccepted())
                .put("posted", ingress.posted())
                .put("answered", ingress.answered())
                .put("records_on_topic", records)
                .put("every_answer_202_and_stored", complete)
                .put("p90_ms", ingress.p90Ms())
                .put("max_ms", ingress.maxMs())
                .put("socket_errors", ingress.socketErrors())
                .put("timeouts", ingress.timeouts())
                .put("health_checks_while_draining", ingress.fillers())
                .put("duration_s", ingress.seconds())
                .put("prepared_requests", messages)
                .put("baseline_answered", baseline.answered())
                .put("baseline_non_2xx", baseline.nonAccepted())
                .put("baseline_p50_ms", baseline.p50Ms())
                .put("baseline_p99_ms", baseline.p99Ms())
                .put("baseline_duration_s", baseline.seconds())
                .put("wrk_threads", THREADS)
                .put("wrk_connections", CONNECTIONS)
                .put("warmup_s", WARMUP.toSeconds())
                .put("warmup_messages", warmupMessages)
                .put("text_bytes", TEXT_BYTES)
                .put("partitions", env.partitions())
                .put("roles", "ingress")
                .put("cpu_cores", meter.cpuCores())
                // this JVM: the ingress and the embedded broker it stores on (wrk is another process)
                .put("jvm_cpu_us_per_request", ingress.answered() == 0 ? null : cpuNanos / 1e3 / ingress.answered())
                .put("heap_max_mb", meter.heapMaxMb());
    }

    /**
     * The webhook listener with only {@code POST /api/messages}, served the way the ingress's is, which reads the
     * body, checks its signature and answers 202 (401 when it does not verify): what the HTTP stack and the HMAC
     * cost without the ingress's work.
     */
    static HttpServer bareEndpoint(HmacSignature signer) {
        byte[] accepted = "{\"status\":\"accepted\"}".getBytes(StandardCharsets.UTF_8);
        HttpConfig http = new HttpConfig("127.0.0.1", 0, 256 * 1024);
        return HttpServer.webhook(http, new Health()).routes(app -> {
            app.post(TeamsIngress.ROUTE, ctx -> ctx.status(signer.verify(ctx.header("Authorization"),
                    ctx.bodyAsBytes()).valid() ? 202 : 401));
            HttpServer.direct(app, "POST", TeamsIngress.ROUTE, (request, response) -> {
                byte[] body = request.getInputStream().readNBytes(Math.max(0, request.getContentLength()));
                boolean valid = signer.verify(request.getHeader("Authorization"), body).valid();
                response.setStatus(valid ? 202 : 401);
                response.setContentType("application/json");
                response.setContentLength(valid ? accepted.length : 0);
                if (valid) {
                    response.getOutputStream().write(accepted);
                }
            });
        }).start();
    }

    private static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : 0;
    }

    private static long recordsOnTopic(BenchEnvironment env) throws Exception {
        try (Admin admin = Admin.create(env.clients().properties("tla-bench-ingress-admin"))) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < env.partitions(); p++) {
                latest.put(new TopicPartition(Topics.MESSAGES.name(), p), OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream()
                    .mapToLong(info -> info.offset()).sum();
        }
    }

    private static void awaitReady(URI ready) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(ready).GET().build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("/health/ready did not answer 200 within 60 s");
    }

    /**
     * Distinct signed requests, written for wrk: one file per wrk thread ({@code name.1}, {@code name.2}), for each
     * request a line with its length in bytes and then the raw HTTP/1.1 request, {@code POST /api/messages} with its
     * {@code Authorization} and JSON body, so wrk only reads and sends. Bodies are made from {@link #TEMPLATES}
     * activities of {@link SyntheticTraffic} (a thousand conversations of one tenant, texts of about 1 KiB) signed
     * now, each request with its own activity id.
     */
    static final class Requests {

        private Requests() {
        }

        static Path write(Path name, SyntheticTraffic traffic, String phase, int count, HmacSignature signer)
                throws IOException {
            Instant now = Instant.now();
            byte[][] before = new byte[TEMPLATES][];
            byte[][] after = new byte[TEMPLATES][];
            for (int t = 0; t < TEMPLATES; t++) {
                String body = new String(traffic.activity(t, now), StandardCharsets.UTF_8);
                String id = "\"id\":\"" + traffic.messageId(t) + "\"";
                int at = body.indexOf(id);
                if (at < 0 || body.indexOf(id, at + 1) >= 0) {
                    throw new IllegalStateException("activity template without exactly one id field");
                }
                before[t] = body.substring(0, at).getBytes(StandardCharsets.UTF_8);
                after[t] = body.substring(at + id.length()).getBytes(StandardCharsets.UTF_8);
            }
            List<OutputStream> files = new ArrayList<>();
            try {
                for (int w = 1; w <= THREADS; w++) {
                    Path file = name.resolveSibling(name.getFileName() + "." + w);
                    files.add(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20));
                }
                for (int i = 0; i < count; i++) {
                    int t = i % TEMPLATES;
                    byte[] id = ("\"id\":\"" + ID_PREFIX + phase + i + "\"").getBytes(StandardCharsets.UTF_8);
                    byte[] body = new byte[before[t].length + id.length + after[t].length];
                    System.arraycopy(before[t], 0, body, 0, before[t].length);
                    System.arraycopy(id, 0, body, before[t].length, id.length);
                    System.arraycopy(after[t], 0, body, before[t].length + id.length, after[t].length);
                    byte[] head = RawHttp.signedPostHead("127.0.0.1", TeamsIngress.ROUTE, body, signer);
                    OutputStream out = files.get(i % THREADS);
                    out.write((head.length + body.length + "\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(head);
                    out.write(body);
                }
            } finally {
                for (OutputStream out : files) {
                    out.close();
                }
            }
            return name;
        }
    }

    /** One wrk run with the scenario's script, and what it reported. */
    static final class Wrk {

        /** The script's counts and wrk's latency percentiles (microseconds) and duration. */
        record Result(long posted, long answered, long accepted, long nonAccepted, long fillers, long socketErrors, long timeouts, long durationUs, long p50Us, long p90Us, long p99Us,
                      long maxUs) {

            double seconds() {
                return durationUs / 1e6;
            }

            double perSecond() {
                return durationUs <= 0 ? 0 : accepted * 1e6 / durationUs;
            }

            double p50Ms() {
                return p50Us / 1000.0;
            }

            double p90Ms() {
                return p90Us / 1000.0;
            }

            double p99Ms() {
                return p99Us / 1000.0;
            }

            double maxMs() {
                return maxUs / 1000.0;
            }
        }

        private Wrk() {
        }

        static Result run(Path script, Path requests, String base, Duration window) throws Exception {
            List<String> command = List.of("wrk", "-t" + THREADS, "-c" + CONNECTIONS,
                    "-d" + (window.plus(DRAIN_LIMIT).toSeconds()) + "s", "--timeout", "10s", "--latency",
                    "-s", script.toString(), base);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("TLA_WRK_REQUESTS", requests.toString());
            builder.environment().put("TLA_WRK_SECONDS", Long.toString(window.toSeconds()));
            Process wrk = builder.start();
            List<String> output = new ArrayList<>();
            String report = null;
            int done = 0;
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(wrk.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    output.add(line);
                    if (line.equals("TLA_WRK_THREAD_DONE") && ++done == THREADS) {
                        // wrk waits out its whole -d otherwise; SIGINT ends it and it reports at once
                        new ProcessBuilder("kill", "-INT", Long.toString(wrk.pid())).start().waitFor();
                    } else if (line.startsWith("TLA_WRK {")) {
                        report = line.substring("TLA_WRK ".length());
                    }
                }
            } finally {
                if (!wrk.waitFor(30, TimeUnit.SECONDS)) {
                    wrk.destroyForcibly();
                }
            }
            if (report == null) {
                throw new IllegalStateException("wrk reported nothing (exit " + wrk.exitValue() + "): "
                        + String.join(" | ", output.subList(Math.max(0, output.size() - 5), output.size())));
            }
            JsonNode r = Json.mapper().readTree(report);
            return new Result(r.get("posted").asLong(), r.get("answered").asLong(), r.get("accepted").asLong(),
                    r.get("non_202").asLong(), r.get("fillers").asLong(),
                    r.get("connect_errors").asLong() + r.get("read_errors").asLong() + r.get("write_errors").asLong(),
                    r.get("timeouts").asLong(), r.get("duration_us").asLong(), r.get("p50_us").asLong(),
                    r.get("p90_us").asLong(), r.get("p99_us").asLong(), r.get("max_us").asLong());
        }
    }
}
