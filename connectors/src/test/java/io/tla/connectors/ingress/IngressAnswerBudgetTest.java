package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.SyncReplyConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.config.WebhookConfig.Registration;
import io.tla.platform.http.Health;
import io.tla.platform.http.HttpServer;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.Secret;
import io.tla.schemas.Json;
import io.tla.schemas.Topics;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code POST /api/messages} is answered within {@code webhook.answer-within-ms}, against the real HTTP server
 * and a real broker that goes away: 503 with {@code Retry-After} while the broker cannot store, 202 once it is back,
 * and a message that was stored after its 503 is answered 202 on retry and stored once.
 */
class IngressAnswerBudgetTest {

    private static final String KEY = Fixtures.randomKey();
    private static final String SYNC_KEY = Fixtures.randomKey();
    private static final String TENANT = "11111111-1111-4111-8111-111111111111";
    private static final HttpConfig HTTP = new HttpConfig("127.0.0.1", 0, 256 * 1024);
    /** Teams gives up after 5 s; the test allows nothing past that. */
    private static final Duration TEAMS_WINDOW = Duration.ofMillis(5_000);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void whileTheBrokerIsDownEveryRequestGets503WithRetryAfterInTimeAndOnceItIsBackA202() throws Exception {
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
        KafkaClients clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        TopicAdmin.ensureTopics(clients, Topics.REQUIRED, 1, (short) 1, Duration.ofSeconds(30));
        TlaMetrics metrics = new TlaMetrics();
        Health health = new Health();
        WebhookConfig webhook = new WebhookConfig("teams-webhook-hmac", Map.of()).withTenant(TENANT);
        assertThat(webhook.answerWithin()).isEqualTo(Duration.ofMillis(4_000)); // the default
        EmbeddedKafkaBroker restarted = null;
        try (TeamsIngress ingress = new TeamsIngress(HTTP, webhook, new Secret("teams-webhook-hmac", KEY, null),
                clients, metrics, health, Clock.systemUTC());
             HttpServer server = HttpServer.webhook(HTTP, health).routes(ingress::routes).start()) {
            assertThat(post(server, "", activity("before the outage"), KEY).statusCode()).isEqualTo(202);

            broker.close();
            ObjectNode lost = activity("sent while the broker is down");
            List<CompletableFuture<Timed>> calls = new ArrayList<>();
            calls.add(postTimedAsync(server, lost));
            for (int i = 0; i < 15; i++) {
                calls.add(postTimedAsync(server, activity("concurrent " + i)));
            }
            for (CompletableFuture<Timed> call : calls) {
                Timed answered = call.get();
                assertThat(answered.elapsed()).as("answered within Teams' window").isLessThan(TEAMS_WINDOW);
                assertThat(answered.response().statusCode()).as(answered.response().body()).isEqualTo(503);
                assertThat(answered.response().headers().firstValue("Retry-After")).hasValueSatisfying(
                        seconds -> assertThat(Integer.parseInt(seconds)).isPositive());
                assertThat(Json.mapper().readTree(answered.response().body()).path("error").asText())
                        .isEqualTo("broker-unavailable");
            }
            assertThat(metrics.registry().get("tla.ingress.unavailable").tag("cause", "timeout").counter().count()
                    + metrics.registry().get("tla.ingress.unavailable").tag("cause", "broker-error").counter().count())
                    .isEqualTo(16.0);

            restarted = new EmbeddedKafkaBroker(dir.resolve("kafka"), broker.port(), broker.controllerPort()).start();
            // Teams retries the message that got 503: whether the producer stored it late (the retry is then told
            // 202 by the delivery memory) or gave up on it (the retry is stored), it ends up on the topic once
            HttpResponse<String> retried = null;
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < until) {
                Timed retry = postTimed(server, lost);
                assertThat(retry.elapsed()).isLessThan(TEAMS_WINDOW);
                assertThat(retry.response().statusCode()).isIn(202, 503);
                if (retry.response().statusCode() == 202) {
                    retried = retry.response();
                    break;
                }
                Thread.sleep(500);
            }
            assertThat(retried).as("a 202 once the broker is back").isNotNull();
            Timed fresh = postTimed(server, activity("after the outage"));
            assertThat(fresh.response().statusCode()).isEqualTo(202);
            assertThat(fresh.elapsed()).isLessThan(TEAMS_WINDOW);
            // the sends given up on are released: nothing is left in flight, so nothing held for them
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    metrics.registry().get("tla.ingress.in.flight").gauge().value() == 0.0);
            assertThat(recordsWithId(clients, lost.path("id").asText())).isEqualTo(1);
        } finally {
            if (restarted != null) {
                restarted.close();
            }
            broker.close();
        }
    }

    @Test
    void aBrokerNeverReachedIsA503WithinTheWindowForEveryConcurrentRequest() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        // the producer's own defaults: max.block.ms (metadata) would hold a request thread for the whole budget
        KafkaClients down = new KafkaClients("127.0.0.1:" + closedPort, Map.of());
        TlaMetrics metrics = new TlaMetrics();
        Health health = new Health();
        WebhookConfig webhook = new WebhookConfig("teams-webhook-hmac", Map.of()).withTenant(TENANT)
                .withAnswerWithin(Duration.ofMillis(2_000));
        try (TeamsIngress ingress = new TeamsIngress(HTTP, webhook, new Secret("teams-webhook-hmac", KEY, null),
                down, metrics, health, Clock.systemUTC());
             HttpServer server = HttpServer.webhook(HTTP, health).routes(ingress::routes).start()) {
            List<CompletableFuture<Timed>> calls = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                calls.add(postTimedAsync(server, activity("nowhere to go " + i)));
            }
            for (CompletableFuture<Timed> call : calls) {
                Timed answered = call.get();
                assertThat(answered.response().statusCode()).as(answered.response().body()).isEqualTo(503);
                assertThat(answered.response().headers().firstValue("Retry-After")).isPresent();
                assertThat(answered.elapsed()).isLessThan(Duration.ofMillis(2_000 + 1_000));
            }
            // the health route still answers at once: no request thread is stuck in the producer
            HttpResponse<String> live = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + server.port() + "/health/live")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(live.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aSyncReplyThatIsLateStillGivesTheStoredMessageItsAnswerWithinTheBudget() throws Exception {
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
        try {
            KafkaClients clients = new KafkaClients(broker.bootstrapServers(), Map.of());
            TopicAdmin.ensureTopics(clients, Topics.REQUIRED, 1, (short) 1, Duration.ofSeconds(30));
            TlaMetrics metrics = new TlaMetrics();
            Health health = new Health();
            // the sync-reply deadline (4.5 s) is longer than the answer budget (1.5 s): the budget wins
            WebhookConfig webhook = new WebhookConfig("teams-webhook-hmac", Map.of("sync",
                    new Registration("sync", "sync-hmac", TENANT, null, null, true, null)))
                    .withTenant(TENANT).withAnswerWithin(Duration.ofMillis(1_500));
            SyncReplyConfig sync = new SyncReplyConfig(Duration.ofMillis(SyncReplyConfig.MAX_DEADLINE_MS),
                    Duration.ofMillis(500));
            try (TeamsIngress ingress = new TeamsIngress(HTTP, webhook, new Secret("teams-webhook-hmac", KEY, null),
                    clients, metrics, health, Clock.systemUTC(),
                    name -> name.equals("sync-hmac") ? Optional.of(new Secret(name, SYNC_KEY, null)) : Optional.empty(),
                    sync);
                 HttpServer server = HttpServer.webhook(HTTP, health).routes(ingress::routes).start()) {
                assertThat(ingress.syncReplies().orElseThrow().awaitFollowing(Duration.ofSeconds(30))).isTrue();
                ObjectNode activity = activity("nobody answers this one in time");

                long started = System.nanoTime();
                HttpResponse<String> response = post(server, "?id=sync", activity, SYNC_KEY);
                Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

                assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
                assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofMillis(1_000)).isLessThan(TEAMS_WINDOW);
                assertThat(recordsWithId(clients, activity.path("id").asText())).isEqualTo(1);
                await().atMost(Duration.ofSeconds(10)).until(() ->
                        metrics.registry().get("tla.ingress.sync.replies.pending").gauge().value() == 0.0);
            }
        } finally {
            broker.close();
        }
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    private record Timed(HttpResponse<String> response, Duration elapsed) {
    }

    private static ObjectNode activity(String text) {
        ObjectNode activity = Fixtures.json(Fixtures.GROUP_CHAT, Instant.now());
        activity.put("id", "msg-" + UUID.randomUUID());
        ObjectNode conversation = activity.withObjectProperty("conversation");
        conversation.put("id", "19:" + UUID.randomUUID().toString().replace("-", "") + "@thread.v2");
        conversation.put("tenantId", TENANT);
        activity.remove("channelData");
        activity.put("text", "<at>TranslateBot</at> " + text);
        return activity;
    }

    private HttpRequest request(HttpServer server, String query, ObjectNode activity, String key) {
        byte[] body = Fixtures.bytes(activity);
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/messages" + query))
                // far past the window: a hang shows as a slow answer, not as a client timeout
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .header("Authorization", HmacSignature.ofBase64Key(key).authorizationHeader(body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    private HttpResponse<String> post(HttpServer server, String query, ObjectNode activity, String key)
            throws Exception {
        return http.send(request(server, query, activity, key), HttpResponse.BodyHandlers.ofString());
    }

    private Timed postTimed(HttpServer server, ObjectNode activity) throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> response = post(server, "", activity, KEY);
        return new Timed(response, Duration.ofNanos(System.nanoTime() - started));
    }

    private CompletableFuture<Timed> postTimedAsync(HttpServer server, ObjectNode activity) {
        long started = System.nanoTime();
        return http.sendAsync(request(server, "", activity, KEY), HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> new Timed(response, Duration.ofNanos(System.nanoTime() - started)));
    }

    /** How many records on {@code teams.messages.v1} carry {@code messageId}, read committed, from the start. */
    private static int recordsWithId(KafkaClients clients, String messageId) {
        Map<String, Object> props = clients.properties("budget-test-reader-" + UUID.randomUUID());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(Topics.MESSAGES.name(), 0);
            reader.assign(List.of(partition));
            reader.seekToBeginning(List.of(partition));
            long end = reader.endOffsets(List.of(partition)).get(partition);
            int found = 0;
            while (reader.position(partition) < end) {
                for (ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(200))) {
                    if (r.value() != null && Topics.MESSAGES.valueSerde().deserializer()
                            .deserialize(r.topic(), r.value()).messageId().equals(messageId)) {
                        found++;
                    }
                }
            }
            return found;
        }
    }
}
