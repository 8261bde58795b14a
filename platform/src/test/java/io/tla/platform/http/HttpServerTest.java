package io.tla.platform.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.schemas.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpServerTest {

    private static final String SECRET_MESSAGE = "db password is hunter2";

    private static HttpClient client;
    private static TlaMetrics metrics;
    private static HttpServer server;
    /** What the shared server's two readiness checks answer; reset to ready before each test. */
    private static final AtomicReference<Supplier<Health.Check>> kafkaCheck = new AtomicReference<>();
    private static final AtomicReference<Supplier<Health.Check>> streamsCheck = new AtomicReference<>();

    // One server for the class: Jetty's graceful stop waits about a second for the client's keep-alive connection.
    @BeforeAll
    static void startServer() {
        client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        metrics = new TlaMetrics();
        Health health = new Health();
        health.register("kafka", () -> kafkaCheck.get().get());
        health.register("streams", () -> streamsCheck.get().get());
        server = HttpServer.managementOnLoopback(metrics, health)
                .routes(app -> {
                    app.get("/api/ping", ctx -> ctx.result("pong"));
                    app.get("/api/boom", ctx -> {
                        throw new IllegalStateException(SECRET_MESSAGE);
                    });
                })
                .start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
        metrics.close();
    }

    @BeforeEach
    void everythingReady() {
        kafkaCheck.set(() -> Health.Check.ready("broker reachable"));
        streamsCheck.set(() -> Health.Check.ready("RUNNING"));
    }

    private static HttpResponse<String> get(HttpServer target, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.port() + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return get(server, path);
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        return Json.mapper().readTree(response.body());
    }

    @Test
    void bindsAFreePortWhenConfiguredWithZero() {
        assertThat(server.port()).isPositive();
    }

    @Test
    void liveIs200() throws Exception {
        HttpResponse<String> response = get("/health/live");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).path("status").asText()).isEqualTo("live");
    }

    @Test
    void readyIs503WithoutAnyCheck() throws Exception {
        try (TlaMetrics ownMetrics = new TlaMetrics();
             HttpServer bare = HttpServer.managementOnLoopback(ownMetrics, new Health()).start()) {
            HttpResponse<String> response = get(bare, "/health/ready");
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(json(response).path("status").asText()).isEqualTo("not ready");
        }
    }

    @Test
    void readyIs503NamingTheComponentThatIsNotReady() throws Exception {
        streamsCheck.set(() -> Health.Check.notReady("state REBALANCING"));

        HttpResponse<String> response = get("/health/ready");

        assertThat(response.statusCode()).isEqualTo(503);
        JsonNode body = json(response);
        assertThat(body.path("status").asText()).isEqualTo("not ready");
        assertThat(body.at("/components/streams/ready").asBoolean(true)).isFalse();
        assertThat(body.at("/components/streams/detail").asText()).isEqualTo("state REBALANCING");
        assertThat(body.at("/components/kafka/ready").asBoolean(false)).isTrue();
        assertThat(body.at("/components/kafka/detail").asText()).isEqualTo("broker reachable");
    }

    @Test
    void readyIs200WhenEveryCheckIsReadyAndFollowsChecksLive() throws Exception {
        HttpResponse<String> ready = get("/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        JsonNode body = json(ready);
        assertThat(body.path("status").asText()).isEqualTo("ready");
        assertThat(body.at("/components/streams/detail").asText()).isEqualTo("RUNNING");

        kafkaCheck.set(() -> Health.Check.notReady("broker unreachable"));
        HttpResponse<String> notReady = get("/health/ready");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(json(notReady).at("/components/kafka/detail").asText()).isEqualTo("broker unreachable");
    }

    @Test
    void aCheckThatThrowsIsNotReadyWithoutItsMessage() throws Exception {
        kafkaCheck.set(() -> {
            throw new IllegalStateException(SECRET_MESSAGE);
        });

        HttpResponse<String> response = get("/health/ready");

        assertThat(response.statusCode()).isEqualTo(503);
        JsonNode body = json(response);
        assertThat(body.at("/components/kafka/ready").asBoolean(true)).isFalse();
        assertThat(body.at("/components/kafka/detail").asText()).contains("IllegalStateException");
        assertThat(response.body()).doesNotContain("hunter2");
    }

    @Test
    void aCheckWithoutDetailOrStateIsNotReadyRatherThanA500() throws Exception {
        kafkaCheck.set(() -> Health.Check.notReady(null));
        streamsCheck.set(() -> null);

        HttpResponse<String> response = get("/health/ready");

        assertThat(response.statusCode()).isEqualTo(503);
        JsonNode body = json(response);
        assertThat(body.at("/components/kafka/ready").asBoolean(true)).isFalse();
        assertThat(body.at("/components/kafka/detail").isTextual()).isTrue();
        assertThat(body.at("/components/streams/ready").asBoolean(true)).isFalse();
    }

    @Test
    void metricsIsPrometheusTextWithJvmAndProductMeters() throws Exception {
        metrics.registry().counter("tla.test.requests", "role", "ingress").increment(3);

        HttpResponse<String> response = get("/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain"));
        assertThat(response.body())
                .contains("# TYPE jvm_memory_used_bytes gauge")
                .contains("jvm_memory_used_bytes{")
                .contains("# TYPE tla_test_requests_total counter")
                .contains("tla_test_requests_total{role=\"ingress\"} 3.0");
    }

    @Test
    void exceptionInARouteBecomesJson500WithoutItsMessage() throws Exception {
        HttpResponse<String> response = get("/api/boom");

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(json(response).path("error").asText()).isEqualTo("internal error");
        assertThat(response.body()).doesNotContain("hunter2").doesNotContain("IllegalStateException");
    }

    @Test
    void theWebhookListenerServesHealthAndWhatTheIngressAddsAndNothingElse() throws Exception {
        try (HttpServer webhook = HttpServer.webhook(new HttpConfig("127.0.0.1", 0, 256 * 1024), server.health())
                .routes(app -> app.post("/api/messages", ctx -> ctx.status(202)))
                .start()) {
            assertThat(get(webhook, "/health/live").statusCode()).isEqualTo(200);
            assertThat(get(webhook, "/health/ready").statusCode()).isEqualTo(200);
            HttpResponse<String> posted = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + webhook.port() + "/api/messages"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(posted.statusCode()).isEqualTo(202);
            for (String path : new String[] {"/metrics", "/api/status", "/api/diagnostics", "/api/stream",
                    "/dashboard/", "/api/ping"}) {
                assertThat(get(webhook, path).statusCode()).as(path).isEqualTo(404);
            }
        }
    }

    @Test
    void aDirectRouteOnTheWebhookListenerServesItsMethodAndPathAndJavalinServesTheRest() throws Exception {
        AtomicReference<String> directBody = new AtomicReference<>();
        try (HttpServer webhook = HttpServer.webhook(new HttpConfig("127.0.0.1", 0, 256 * 1024), server.health())
                .routes(app -> {
                    app.post("/api/messages", ctx -> ctx.status(202).result("javalin"));
                    assertThat(HttpServer.direct(app, "POST", "/api/messages", (request, response) -> {
                        directBody.set(new String(request.getInputStream().readAllBytes()));
                        response.setStatus(202);
                        response.getOutputStream().write("direct".getBytes());
                    })).isTrue();
                })
                .start()) {
            HttpResponse<String> direct = post(webhook, "/api/messages", "{\"a\":1}");
            assertThat(direct.statusCode()).isEqualTo(202);
            assertThat(direct.body()).isEqualTo("direct");
            assertThat(directBody.get()).isEqualTo("{\"a\":1}");
            // a variant of the path is Javalin's, as are other methods and paths
            assertThat(post(webhook, "/api/messages/", "{}").body()).isEqualTo("javalin");
            assertThat(get(webhook, "/api/messages").statusCode()).isEqualTo(404);
            assertThat(get(webhook, "/health/live").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void anExceptionOutOfADirectRouteBecomesJson500WithoutItsMessage() throws Exception {
        try (HttpServer webhook = HttpServer.webhook(new HttpConfig("127.0.0.1", 0, 256 * 1024), server.health())
                .routes(app -> HttpServer.direct(app, "POST", "/api/messages", (request, response) -> {
                    throw new IllegalStateException(SECRET_MESSAGE);
                }))
                .start()) {
            HttpResponse<String> response = post(webhook, "/api/messages", "{}");

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(json(response).path("error").asText()).isEqualTo("internal error");
            assertThat(response.body()).doesNotContain("hunter2").doesNotContain("IllegalStateException");
        }
    }

    @Test
    void theManagementListenerTakesNoDirectRoutesSoEveryRoutePassesItsGuard() throws Exception {
        AtomicReference<Boolean> accepted = new AtomicReference<>();
        try (HttpServer management = HttpServer.managementOnLoopback(metrics, server.health())
                .routes(app -> {
                    app.post("/api/messages", ctx -> ctx.status(202).result("javalin"));
                    accepted.set(HttpServer.direct(app, "POST", "/api/messages", (request, response) -> {
                        response.setStatus(299);
                    }));
                })
                .start()) {
            assertThat(accepted.get()).isFalse();
            assertThat(post(management, "/api/messages", "{}").body()).isEqualTo("javalin");
        }
    }

    @Test
    void directRoutesCannotBeAddedOnceTheServerRuns() {
        try (HttpServer webhook = HttpServer.webhook(new HttpConfig("127.0.0.1", 0, 256 * 1024), server.health())
                .start()) {
            webhook.routes(app -> org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpServer.direct(app,
                    "POST", "/late", (request, response) -> response.setStatus(202)))
                    .isInstanceOf(IllegalStateException.class));
        }
    }

    private static HttpResponse<String> post(HttpServer target, String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.port() + path))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void routesAddedBeforeStartAreServed() throws Exception {
        HttpResponse<String> response = get("/api/ping");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("pong");
    }
}
