package io.tla.dashboard.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.tla.dashboard.store.DashboardStore;
import io.tla.platform.config.BudgetConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.http.Health;
import io.tla.platform.secrets.EnvSecretStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** /api/metrics on a real HTTP server: heavy queries beyond the limit are refused, not queued. */
class MetricsConcurrencyLimitTest {

    @Test
    void metricsQueriesBeyondTheLimitAreAnswered429WithRetryAfterAndAReason() throws Exception {
        Clock clock = Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC);
        CountDownLatch inFlight = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        // the store stands in as busy: each query holds its permit until released (then the store is "not open")
        DashboardApi api = new DashboardApi(() -> {
            inFlight.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return (DashboardStore) null;
        }, clock, () -> true, () -> 0L, () -> null, new Health(),
                new TenantsQuery(BudgetConfig.from(TlaConfig.of(Map.of()))),
                new Readiness(TlaConfig.of(Map.of()), new EnvSecretStore(Map.of()), clock)).metricsMaxInFlight(2);
        Javalin server = Javalin.create();
        api.routes(server);
        server.start("127.0.0.1", 0);
        try {
            HttpClient http = HttpClient.newHttpClient();
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/api/metrics?from=2026-10-26T12:00:00Z"
                    + "&to=2026-11-25T12:00:00Z");
            List<CompletableFuture<HttpResponse<String>>> heavy = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                heavy.add(http.sendAsync(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()));
            }
            assertThat(inFlight.await(10, TimeUnit.SECONDS)).isTrue();

            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                    .build(), HttpResponse.BodyHandlers.ofString());

            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().firstValue("Retry-After")).contains("1");
            assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/json"));
            assertThat(refused.body()).contains("\"reason\"", "in flight");

            release.countDown();
            for (CompletableFuture<HttpResponse<String>> response : heavy) {
                assertThat(response.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
            }
            // permits came back: the next query is answered again
            assertThat(http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(503);
        } finally {
            release.countDown();
            server.stop();
        }
    }
}
