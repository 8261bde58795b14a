package io.tla.dashboard.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tla.platform.http.Health;
import io.tla.platform.http.HttpServer;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.schemas.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The event stream's bookkeeping on the real HTTP server, with a limit of one stream and short intervals: the
 * limit answers 503, a client that goes away frees its slot, and heartbeats reach an idle client.
 */
class DashboardEventStreamTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    private final AtomicLong stored = new AtomicLong();
    private TlaMetrics metrics;
    private HttpServer server;
    private EventStream stream;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        stream = new EventStream(stored::get, () -> Instant.parse("2026-11-25T10:00:00Z"), 1, Duration.ofMillis(50),
                Duration.ofMillis(100));
        metrics = new TlaMetrics();
        server = HttpServer.managementOnLoopback(metrics, new Health());
        server.routes(app -> app.get("/api/stream", stream::handle)).start();
    }

    @AfterEach
    void stop() {
        stream.close();
        server.close();
        metrics.close();
    }

    private HttpResponse<Stream<String>> open() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/stream"))
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofLines());
    }

    private static Queue<String> read(HttpResponse<Stream<String>> response) {
        Queue<String> lines = new ConcurrentLinkedQueue<>();
        Thread reader = new Thread(() -> {
            try {
                response.body().forEach(lines::add);
            } catch (RuntimeException closed) {
                // the test closed the stream
            }
        }, "sse-reader");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    @Test
    void refusesAStreamBeyondTheLimitAndFreesTheSlotWhenTheClientGoesAway() throws Exception {
        HttpResponse<Stream<String>> first = open();
        assertThat(first.statusCode()).isEqualTo(200);
        Queue<String> lines = read(first);
        await().atMost(WAIT).until(() -> stream.clients() == 1);

        HttpResponse<Stream<String>> second = open();
        assertThat(second.statusCode()).isEqualTo(503);
        String body = String.join("\n", second.body().toList());
        assertThat(Json.mapper().readTree(body).get("status").asText()).isEqualTo("unavailable");

        // An idle stream gets heartbeats.
        await().atMost(WAIT).until(() -> lines.contains(": heartbeat"));

        first.body().close();
        // The next heartbeat to the closed connection fails: the client is removed and its slot freed.
        await().atMost(WAIT).until(() -> stream.clients() == 0);
        HttpResponse<Stream<String>> third = open();
        assertThat(third.statusCode()).isEqualTo(200);
        third.body().close();
    }

    @Test
    void sendsOneUpdateOnOpeningAndThenOnlyWhenEventsWereStored() throws Exception {
        stored.set(5);
        HttpResponse<Stream<String>> response = open();
        Queue<String> lines = read(response);
        await().atMost(WAIT).until(() -> lines.stream().filter(l -> l.startsWith("data: ")).count() >= 1);
        assertThat(lines).contains("event: update",
                "data: {\"lastEventAt\":\"2026-11-25T10:00:00Z\",\"eventsStored\":5}");

        // Heartbeats pass while nothing is stored; no second update is sent for the same count.
        await().atMost(WAIT).until(() -> lines.stream().filter(": heartbeat"::equals).count() >= 2);
        assertThat(lines.stream().filter(l -> l.startsWith("data: ")).count()).isEqualTo(1);

        stored.set(7);
        await().atMost(WAIT).until(() -> lines.contains("data: {\"lastEventAt\":\"2026-11-25T10:00:00Z\",\"eventsStored\":7}"));
        response.body().close();
    }
}
