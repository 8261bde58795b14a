package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
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
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tla smoke reply|metrics|graph-scopes|ready} against a running instance and real HTTP. */
class SmokeSuiteTest {

    @TempDir
    Path dataDir;

    private record Run(int exitCode, String out, String err) {
    }

    private static Run tla(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new TlaCommand()).setExecutionExceptionHandler(new TlaCommand.Errors());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void smokeReadyDeliversAReplyThroughTheRunningInstanceChecksItsSeriesAndWritesTheReadinessFile() throws Exception {
        try (TlaRuntime runtime = new TlaRuntime()) {
            TlaRuntime.Started started = runtime.start(TlaConfig.of(Map.of("data.dir", dataDir.toString(),
                    "http.port", "0", "management.port", "0", "embedded.kafka.port", "0",
                    "embedded.kafka.controller-port", "0",
                    "topics.partitions", "3",
                    // bound to a tenant: a deployment the diagnostics may call ready
                    "webhook.tenant-id", "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c")), EnumSet.allOf(Role.class), Map.of());
            assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(Duration.ofSeconds(30)).until(() -> http.send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + started.httpPort() + "/health/ready")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200);

            String diagnosticsUrl = "http://127.0.0.1:" + started.managementPort() + "/api/diagnostics";
            JsonNode notYet = Json.mapper().readTree(http.send(HttpRequest.newBuilder(URI.create(diagnosticsUrl))
                    .build(), HttpResponse.BodyHandlers.ofString()).body());
            assertThat(notYet.get("ready").asBoolean()).isFalse();
            assertThat(notYet.get("reasons").toString()).contains("smoke: never run");

            Instant before = Instant.now();
            Run ready = tla("smoke", "ready", "--set", "data.dir=" + dataDir, "--set", "http.port=" + started.httpPort(),
                    "--set", "management.port=" + started.managementPort(),
                    "--set", "kafka.bootstrap.servers=" + started.bootstrapServers(), "--timeout", "60s");

            assertThat(ready.exitCode()).as(ready.out() + ready.err()).isZero();
            assertThat(ready.out()).contains("smoke secrets: ok", "smoke reply: ok", "smoke metrics: ok",
                    "smoke ready: ok");
            JsonNode file = Json.mapper().readTree(dataDir.resolve("readiness/last-smoke.json").toFile());
            assertThat(file.get("ok").asBoolean()).isTrue();
            assertThat(Instant.parse(file.get("at").asText())).isAfterOrEqualTo(before);
            assertThat(file.at("/checks/reply/facts/sink").asText()).isEqualTo("outbox");
            assertThat(file.at("/checks/reply/facts/postedMs").asLong())
                    .isGreaterThanOrEqualTo(file.at("/checks/reply/facts/replyMs").asLong());
            assertThat(file.at("/checks/metrics/facts/missing")).isEmpty();

            // the diagnostics read the readiness file: HMAC only, secrets usable, outbox sink, a fresh smoke run
            String body = http.send(HttpRequest.newBuilder(URI.create(diagnosticsUrl)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            JsonNode diagnostics = Json.mapper().readTree(body);
            assertThat(diagnostics.get("ready").asBoolean()).as(body).isTrue();
            assertThat(diagnostics.at("/signing/mode").asText()).isEqualTo("hmac-sha256");
            assertThat(diagnostics.at("/graph/sink").asText()).isEqualTo("outbox");
            assertThat(diagnostics.at("/providers/0/name").asText()).isEqualTo("offline");
            assertThat(diagnostics.at("/smoke/ok").asBoolean()).isTrue();
            assertThat(diagnostics.at("/smoke/ageSeconds").asLong()).isBetween(0L, 300L);
            assertThat(diagnostics.at("/secrets/0/name").asText()).isEqualTo("teams-webhook-hmac");
            assertThat(diagnostics.at("/secrets/0/usable").asBoolean()).isTrue();
            assertThat(body).doesNotContain(Files.readString(dataDir.resolve("secrets/teams-webhook-hmac")).trim());
        }
    }

    @Test
    void smokeMetricsSendsTheManagementTokenFromTheSecretStoreWhenAuthIsToken() throws Exception {
        String token = "smoke-token-0123456789abcdef";
        Files.createDirectories(dataDir.resolve("secrets"));
        Files.writeString(dataDir.resolve("secrets/management-token"), token + "\n");
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/metrics", exchange -> {
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            seen.add(String.valueOf(authorization));
            byte[] body = ("Bearer " + token).equals(authorization)
                    ? "tla_ingress_requests_total{outcome=\"accepted\"} 3.0\n".getBytes(StandardCharsets.UTF_8)
                    : "{\"error\":\"unauthorized\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(("Bearer " + token).equals(authorization) ? 200 : 401, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            Run run = tla("smoke", "metrics", "--set", "management.port=" + server.getAddress().getPort(),
                    "--set", "management.auth=token", "--set", "secrets.provider=file",
                    "--set", "data.dir=" + dataDir);
            // authorised: the scrape got through and only the series check fails
            assertThat(seen).containsExactly("Bearer " + token);
            assertThat(run.err()).contains("FAIL metrics: missing tla_ingress_request_seconds_count")
                    .doesNotContain(token);
            assertThat(run.out()).doesNotContain(token);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void smokeMetricsFailsAndNamesTheSeriesAnInstanceDoesNotExpose() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/metrics", exchange -> {
            byte[] body = ("# HELP tla_ingress_requests_total Requests\n# TYPE tla_ingress_requests_total counter\n"
                    + "tla_ingress_requests_total{outcome=\"accepted\"} 3.0\njvm_memory_used_bytes{area=\"heap\"} 1.0\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            Run run = tla("smoke", "metrics", "--set", "management.port=" + server.getAddress().getPort());
            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains("FAIL metrics: missing tla_ingress_request_seconds_count",
                    "tla_replies_written_total").doesNotContain("missing tla_ingress_requests_total,");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void graphScopesDecodesTheTokenAndFailsStaticTokenAsNotForProduction() throws Exception {
        String claims = "{\"aud\":\"https://graph.microsoft.com\",\"scp\":\"ChannelMessage.Send Chat.Read\"}";
        String jwt = base64Url("{\"alg\":\"none\"}") + "." + base64Url(claims) + ".sig";
        Files.createDirectories(dataDir.resolve("secrets"));
        Files.writeString(dataDir.resolve("secrets/graph-token"), jwt);

        Run run = tla("smoke", "graph-scopes", "--set", "data.dir=" + dataDir, "--set", "secrets.provider=file",
                "--set", "reply.sink=graph", "--set", "graph.auth.mode=static-token",
                "--set", "graph.base-url=http://127.0.0.1:1/v1.0");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).contains("scopes: [ChannelMessage.Send, Chat.Read]", "authMode: static-token");
        assertThat(run.err()).contains("static-token is for Graph emulators");
        assertThat(run.out() + run.err()).doesNotContain(jwt);
    }

    @Test
    void claimsOfATokenThatIsNotAJwtAreAbsent() {
        assertThat(SmokeChecks.claims("opaque-token")).isNull();
        assertThat(SmokeChecks.claims("a.b$$.c")).isNull();
        List<String> names = new ArrayList<>(SmokeChecks.seriesNames("# HELP x\nx_total{a=\"b\"} 1\ny 2\n\n"));
        assertThat(names).containsExactly("x_total", "y");
    }

    private static String base64Url(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
