package io.tla.platform.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.ManagementConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.schemas.Json;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpCookie;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The management listener with {@code management.auth=token}, over real HTTP. */
class ManagementAuthTest {

    private static final String TOKEN = "mgmt-token-0123456789abcdef";
    private static final Map<String, String> ENV = Map.of("TLA_SECRET_MANAGEMENT_TOKEN", TOKEN);

    private static HttpClient client;
    private static TlaMetrics metrics;
    private static HttpServer server;

    @BeforeAll
    static void startServer() {
        // never follows redirects: the tests look at them
        client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        metrics = new TlaMetrics();
        server = HttpServer.management(new HttpConfig("127.0.0.1", 0, 64 * 1024),
                        ManagementConfig.tokenOnLoopback(0, "management-token"), new EnvSecretStore(ENV), metrics,
                        new Health())
                .routes(app -> {
                    app.get("/api/status", ctx -> ctx.json(Map.of("ok", true)));
                    app.get("/dashboard/", ctx -> ctx.html("<h1>dashboard</h1>"));
                })
                .start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
        metrics.close();
    }

    private static HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET();
        if (headers.length > 0) {
            request.headers(headers);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> postToken(String token, String origin) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/auth/token")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)));
        if (origin != null) {
            request.header("Origin", origin);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static void assertUnauthorized(HttpResponse<String> response, String reason) throws Exception {
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                value -> assertThat(value).startsWith("Bearer"));
        JsonNode body = Json.mapper().readTree(response.body());
        assertThat(body.path("error").asText()).isEqualTo("unauthorized");
        assertThat(body.path("reason").asText()).isEqualTo(reason);
    }

    @Test
    void metricsAndApiAre401WithoutAToken() throws Exception {
        assertUnauthorized(get("/metrics"), "missing-credentials");
        assertUnauthorized(get("/api/status"), "missing-credentials");
        assertUnauthorized(get("/api/no-such-route"), "missing-credentials");
    }

    @Test
    void metricsAndApiAre200WithTheRightBearerToken() throws Exception {
        HttpResponse<String> scrape = get("/metrics", "Authorization", "Bearer " + TOKEN);
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.body()).contains("jvm_memory_used_bytes");
        HttpResponse<String> status = get("/api/status", "Authorization", "Bearer " + TOKEN);
        assertThat(status.statusCode()).isEqualTo(200);
        assertThat(Json.mapper().readTree(status.body()).path("ok").asBoolean()).isTrue();
    }

    @Test
    void aWrongBearerTokenIs401() throws Exception {
        assertUnauthorized(get("/metrics", "Authorization", "Bearer " + TOKEN + "x"), "invalid-token");
        assertUnauthorized(get("/api/status", "Authorization", "Basic " + TOKEN), "invalid-token");
    }

    @Test
    void healthNeedsNoToken() throws Exception {
        assertThat(get("/health/live").statusCode()).isEqualTo(200);
        assertThat(get("/health/ready").statusCode()).isEqualTo(503);   // no checks registered: not ready, but answered
    }

    @Test
    void thePageWithoutASessionGoesToTheTokenPrompt() throws Exception {
        HttpResponse<String> page = get("/dashboard/");
        assertThat(page.statusCode()).isEqualTo(302);
        assertThat(page.headers().firstValue("Location")).hasValue("/auth/login");

        HttpResponse<String> prompt = get("/auth/login");
        assertThat(prompt.statusCode()).isEqualTo(200);
        assertThat(prompt.body()).contains("<form method=\"post\" action=\"/auth/token\"").doesNotContain(TOKEN);
        assertThat(prompt.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                csp -> assertThat(csp).contains("form-action 'self'"));
    }

    @Test
    void thePostedTokenSetsAStrictHttpOnlySessionCookieThatOpensThePageAndTheApi() throws Exception {
        HttpResponse<String> signIn = postToken(TOKEN, "http://127.0.0.1:" + server.port());

        assertThat(signIn.statusCode()).isEqualTo(303);
        assertThat(signIn.headers().firstValue("Location")).hasValue("/dashboard/");
        String setCookie = signIn.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).contains("tla_session=").contains("HttpOnly").containsIgnoringCase("SameSite=Strict")
                .doesNotContain(TOKEN)
                .doesNotContain("Secure");   // plain http on loopback: a Secure cookie would not be kept
        HttpCookie cookie = HttpCookie.parse(setCookie).get(0);
        String header = cookie.getName() + "=" + cookie.getValue();

        assertThat(get("/dashboard/", "Cookie", header).statusCode()).isEqualTo(200);
        assertThat(get("/api/status", "Cookie", header).statusCode()).isEqualTo(200);
    }

    @Test
    void aWrongPostedTokenSetsNoCookieAndShowsThePromptAgain() throws Exception {
        HttpResponse<String> signIn = postToken("not-the-token-at-all", null);

        assertThat(signIn.statusCode()).isEqualTo(401);
        assertThat(signIn.headers().firstValue("Set-Cookie")).isEmpty();
        assertThat(signIn.body()).contains("That token was not accepted.");
    }

    @Test
    void aTokenPostedFromAnotherOriginIsRefused() throws Exception {
        HttpResponse<String> signIn = postToken(TOKEN, "https://evil.example");

        assertThat(signIn.statusCode()).isEqualTo(403);
        assertThat(signIn.headers().firstValue("Set-Cookie")).isEmpty();
    }

    @Test
    void aForgedOrForeignSessionCookieIs401() throws Exception {
        // signed with another key: what another process (or an attacker) would produce
        String foreign = new SessionCookies(new byte[32], Duration.ofHours(1), java.time.Clock.systemUTC())
                .issue("token", "token");
        assertUnauthorized(get("/api/status", "Cookie", "tla_session=" + foreign), "invalid-session");
        assertUnauthorized(get("/api/status", "Cookie", "tla_session=eyJhbGciOiJub25lIn0.e30."), "invalid-session");
    }

    @Test
    void noneIsRefusedOnANonLoopbackHost() {
        assertThatThrownBy(() -> ManagementConfig.from(TlaConfig.of(Map.of(ManagementConfig.HOST, "0.0.0.0"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("management.auth=none is allowed only when management.host is a loopback");
        ManagementConfig onAllInterfaces = new ManagementConfig("0.0.0.0", 0, "none", "management-token", null,
                Duration.ofHours(1), null, null);
        assertThatThrownBy(() -> ManagementAuth.create(onAllInterfaces, new EnvSecretStore(Map.of())))
                .hasMessageContaining("management.auth=none").hasMessageContaining("management.host");
        // loopback spellings are fine
        for (String host : List.of("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2")) {
            assertThat(ManagementConfig.isLoopback(host)).as(host).isTrue();
        }
        assertThat(ManagementConfig.isLoopback("tla.example.com")).isFalse();
    }

    @Test
    void aTokenShorterThan16BytesIsRefusedWithoutShowingIt() {
        String shortToken = "short-secret-15";
        assertThatThrownBy(() -> ManagementAuth.create(ManagementConfig.tokenOnLoopback(0, "management-token"),
                new EnvSecretStore(Map.of("TLA_SECRET_MANAGEMENT_TOKEN", shortToken))))
                .hasMessageContaining("shorter than 16 bytes").hasMessageContaining("management-token")
                .hasMessageNotContaining(shortToken);
    }

    @Test
    void aMissingTokenIsRefusedNamingTheSecretAndWhereItWasLookedFor() {
        assertThatThrownBy(() -> ManagementAuth.create(ManagementConfig.tokenOnLoopback(0, "management-token"),
                new EnvSecretStore(Map.of())))
                .hasMessageContaining("management-token").hasMessageContaining("TLA_SECRET_MANAGEMENT_TOKEN");
    }

    @Test
    void aSlowSenderIsCutOffAfterTheIdleTimeout() throws Exception {
        try (TlaMetrics own = new TlaMetrics();
             HttpServer quick = HttpServer.management(
                     new HttpConfig("127.0.0.1", 0, 64 * 1024, null, Duration.ofSeconds(1)),
                     ManagementConfig.loopback(0), ManagementAuth.none(), own, new Health()).start();
             Socket socket = new Socket("127.0.0.1", quick.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            // headers never finished: a slowloris sender
            out.write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long started = System.nanoTime();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[1024];
            while (in.read(buffer) >= 0) {
                // Jetty may answer 408 before closing; read until it closes
            }
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
        }
    }
}
