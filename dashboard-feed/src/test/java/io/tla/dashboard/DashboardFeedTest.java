package io.tla.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.config.DashboardConfig;
import io.tla.platform.config.DataConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.http.Health;
import io.tla.platform.http.HttpServer;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.schemas.Json;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Properties;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The feed end to end: a real in-JVM broker (shared by the class), SQLite, the real HTTP server on a free port
 * and java.net.http. Every test reads the whole telemetry topic with its own consumer group, so each one uses its
 * own UTC day (the injected clock) and tenant ids, and its "today" holds only its own events.
 */
class DashboardFeedTest {

    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path brokerDir;
    static EmbeddedKafkaBroker broker;
    static KafkaClients clients;
    static KafkaProducer<String, byte[]> producer;
    static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;
    private final List<Running> running = new ArrayList<>();

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaBroker(brokerDir.resolve("kafka"), 0, 0).start();
        clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        TopicAdmin.ensureTopics(clients, List.of(Topics.TELEMETRY), 1, (short) 1, Duration.ofSeconds(30));
        Map<String, Object> props = clients.properties("dashboard-feed-test");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    @AfterAll
    static void stopBroker() {
        if (producer != null) {
            producer.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void stopFeeds() {
        running.forEach(Running::close);
    }

    /** A feed with its own HTTP server; {@link #close()} stops both. */
    record Running(DashboardFeed feed, HttpServer server, TlaMetrics metrics, Health health) implements AutoCloseable {
        double counter(String name) {
            var counter = metrics.registry().find(name).counter();
            return counter == null ? 0 : counter.count();
        }

        @Override
        public void close() {
            feed.close();
            server.close();
            metrics.close();
        }
    }

    private Running create(String database, String group, LocalDate today) {
        Clock clock = Clock.fixed(today.atTime(12, 0).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
        TlaMetrics metrics = new TlaMetrics();
        Health health = new Health();
        TlaConfig config = TlaConfig.of(Map.of(DashboardConfig.STORE_URL, "jdbc:sqlite:" + dir.resolve(database),
                DashboardConfig.CONSUMER_GROUP, group, DataConfig.DATA_DIR, dir.toString()));
        DashboardFeed feed = new DashboardFeed(config, new EnvSecretStore(Map.of()), clients, metrics, health, clock);
        HttpServer server = HttpServer.managementOnLoopback(metrics, health);
        server.routes(feed::routes).start();
        Running r = new Running(feed, server, metrics, health);
        running.add(r);
        return r;
    }

    private Running start(String database, String group, LocalDate today) {
        Running r = create(database, group, today);
        r.feed().start();
        return r;
    }

    private static String group() {
        return "dashboard-test-" + UUID.randomUUID();
    }

    /** Produces and waits for the broker's acknowledgement; returns the record's offset. */
    static long produce(TelemetryEvent event) throws Exception {
        return produce(event.tenantId(), Json.mapper().writeValueAsBytes(event));
    }

    static long produce(String key, byte[] value) throws Exception {
        return producer.send(new ProducerRecord<>(Topics.TELEMETRY.name(), key, value)).get().offset();
    }

    static long committedOffset(String group) throws Exception {
        try (Admin admin = Admin.create(clients.properties("dashboard-feed-test-admin"))) {
            OffsetAndMetadata committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                    .get(new TopicPartition(Topics.TELEMETRY.name(), 0));
            return committed == null ? -1 : committed.offset();
        }
    }

    static TelemetryEvent event(String type, String tenant, String messageId, String at, Map<String, Object> attributes) {
        return new TelemetryEvent(type + ":" + tenant + ":" + messageId, type, tenant, "c-" + messageId, messageId,
                Instant.parse(at), attributes);
    }

    static TelemetryEvent decision(String tenant, String messageId, String at) {
        return event("budget.decision", tenant, messageId, at,
                Map.of("decision", "allowed", "estimatedCostUsd", 0.0, "spentTodayUsd", 0.0, "limitUsd", 5.0));
    }

    static TelemetryEvent reply(String tenant, String messageId, String at, double endToEndMs) {
        return event("reply.emitted", tenant, messageId, at, Map.of("replyId", "r-" + messageId,
                "kind", "translation", "provider", "offline", "languages", "en", "endToEndMs", endToEndMs));
    }

    static HttpResponse<String> get(Running r, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.server().port() + path)).GET().build();
        return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static JsonNode json(Running r, String path) throws Exception {
        HttpResponse<String> response = get(r, path);
        assertThat(response.statusCode()).as(path + " -> " + response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        return Json.mapper().readTree(response.body());
    }

    @Test
    void showsProducedTelemetryInStatus() throws Exception {
        LocalDate day = LocalDate.of(2026, 11, 1);
        Running r = start("status.db", group(), day);
        String tenant = "tenant-status";
        produce(decision(tenant, "m1", "2026-11-01T08:00:00Z"));
        produce(event("context.retrieved", tenant, "m1", "2026-11-01T08:00:00.010Z",
                Map.of("turns", 3, "contextTokens", 42, "latencyMs", 0.2)));
        produce(event("model.call", tenant, "m1", "2026-11-01T08:00:00.020Z", Map.of("provider", "offline",
                "model", "offline-echo", "outcome", "ok", "latencyMs", 0.4, "inputTokens", 12, "outputTokens", 14,
                "costUsd", 0.25)));
        produce(reply(tenant, "m1", "2026-11-01T08:00:00.035Z", 35.0));
        produce(event("reply.posted", tenant, "r1", "2026-11-01T08:00:00.050Z",
                Map.of("replyId", "r-m1", "sink", "outbox", "kind", "translation")));

        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode status = json(r, "/api/status");
            assertThat(status.at("/today/repliesPosted").asLong()).isEqualTo(1);
            assertThat(status.at("/feed/eventsStored").asLong()).isGreaterThanOrEqualTo(5);
        });

        JsonNode status = json(r, "/api/status");
        assertThat(status.get("status").asText()).isEqualTo("ok");
        assertThat(status.get("store").asText()).isEqualTo("sqlite");
        assertThat(status.get("lastEventAt").asText()).isNotBlank();
        JsonNode today = status.get("today");
        assertThat(today.get("date").asText()).isEqualTo("2026-11-01");
        assertThat(today.get("messages").asLong()).isEqualTo(1);
        assertThat(today.get("replies").asLong()).isEqualTo(1);
        assertThat(today.get("modelCalls").asLong()).isEqualTo(1);
        assertThat(today.get("budgetRefusals").asLong()).isZero();
        assertThat(today.get("failures").asLong()).isZero();
        assertThat(today.get("costUsd").asDouble()).isEqualTo(0.25);
        // From the rollups' histogram: within 12.25 % of the one reply's 35 ms.
        assertThat(today.at("/latencyMs/p50").asDouble()).isCloseTo(35.0, org.assertj.core.data.Percentage.withPercentage(12.25));
        assertThat(today.at("/latencyMs/p99").asDouble()).isEqualTo(today.at("/latencyMs/p50").asDouble());
        assertThat(today.get("fallbacks").asLong()).isZero();
        assertThat(today.get("repliesFailed").asLong()).isZero();
        assertThat(today.get("budgetAlerts").asLong()).isZero();
        assertThat(status.get("tenants")).hasSize(1);
        assertThat(status.at("/tenants/0/tenantId").asText()).isEqualTo(tenant);
        assertThat(status.at("/tenants/0/messages").asLong()).isEqualTo(1);
        assertThat(status.at("/tenants/0/replies").asLong()).isEqualTo(1);
        assertThat(status.at("/tenants/0/costUsd").asDouble()).isEqualTo(0.25);
        assertThat(status.at("/feed/ready").asBoolean()).isTrue();
    }

    @Test
    void countsAnEventProducedTwiceOnce() throws Exception {
        LocalDate day = LocalDate.of(2026, 11, 2);
        Running r = start("duplicate.db", group(), day);
        String tenant = "tenant-duplicate";
        TelemetryEvent decision = decision(tenant, "m1", "2026-11-02T08:00:00Z");
        produce(decision);
        produce(decision);
        // Produced after the duplicate on the same partition: once it shows, the duplicate has been consumed.
        produce(reply(tenant, "m1", "2026-11-02T08:00:01Z", 20.0));

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(json(r, "/api/status").at("/today/replies").asLong()).isEqualTo(1);
            assertThat(r.counter("tla.dashboard.events.duplicates")).isGreaterThanOrEqualTo(1);
        });
        assertThat(json(r, "/api/status").at("/today/messages").asLong()).isEqualTo(1);
    }

    @Test
    void skipsAPoisonRecordAndStillCountsTheNextEvent() throws Exception {
        LocalDate day = LocalDate.of(2026, 11, 3);
        Running r = start("poison.db", group(), day);
        String tenant = "tenant-poison";
        produce(tenant, "this is not JSON".getBytes(StandardCharsets.UTF_8));
        produce(tenant, """
                {"eventId":"no-tenant","type":"budget.decision","at":"2026-11-03T08:00:00Z","attributes":{}}"""
                .getBytes(StandardCharsets.UTF_8));
        produce(decision(tenant, "m1", "2026-11-03T08:00:01Z"));

        await().atMost(WAIT).untilAsserted(() ->
                assertThat(json(r, "/api/status").at("/today/messages").asLong()).isEqualTo(1));
        // Only this test produces undecodable records, so a fresh group sees exactly these two.
        await().atMost(WAIT).untilAsserted(() -> assertThat(r.counter("tla.dashboard.events.rejected")).isEqualTo(2));
        assertThat(r.health().evaluate().get(DashboardFeed.HEALTH_CHECK).ready()).isTrue();
        assertThat(r.metrics().scrape()).contains("tla_dashboard_events_rejected_total 2.0");
    }

    @Test
    void doesNotDoubleCountAfterARestartWithTheSameDatabaseAndGroup() throws Exception {
        LocalDate day = LocalDate.of(2026, 11, 4);
        String group = group();
        String tenant = "tenant-restart";
        Running first = start("restart.db", group, day);
        produce(decision(tenant, "m1", "2026-11-04T08:00:00Z"));
        produce(decision(tenant, "m2", "2026-11-04T08:00:01Z"));
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(json(first, "/api/status").at("/today/messages").asLong()).isEqualTo(2));
        first.close();
        running.remove(first);

        produce(decision(tenant, "m3", "2026-11-04T08:00:02Z"));
        Running second = start("restart.db", group, day);

        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode status = json(second, "/api/status");
            assertThat(status.at("/today/messages").asLong()).isEqualTo(3);
            assertThat(status.at("/feed/eventsStored").asLong()).isPositive();
        });
        // The first instance committed what it stored, so the second resumed after it: one new event, no re-reads.
        assertThat(json(second, "/api/status").at("/feed/eventsStored").asLong()).isEqualTo(1);
        assertThat(second.counter("tla.dashboard.events.duplicates")).isZero();
    }

    @Test
    void servesPerMinuteMetricsAndRejectsBadParametersWith400() throws Exception {
        LocalDate day = LocalDate.of(2026, 11, 5);
        Running r = start("metrics.db", group(), day);
        String tenant = "tenant-metrics";
        produce(decision(tenant, "m1", "2026-11-05T10:00:05Z"));
        produce(decision(tenant, "m2", "2026-11-05T10:00:55Z"));
        produce(reply(tenant, "m1", "2026-11-05T10:00:30Z", 12.0));
        produce(decision(tenant, "m3", "2026-11-05T10:01:10Z"));

        String path = "/api/metrics?from=2026-11-05T10:00:00Z&to=2026-11-05T10:02:00Z&tenant=" + tenant;
        await().atMost(WAIT).untilAsserted(() -> assertThat(json(r, path).at("/totals/messages").asLong()).isEqualTo(3));
        JsonNode metrics = json(r, path);
        assertThat(metrics.get("from").asText()).isEqualTo("2026-11-05T10:00:00Z");
        assertThat(metrics.get("tenant").asText()).isEqualTo(tenant);
        assertThat(metrics.get("bucketSeconds").asInt()).isEqualTo(60);
        assertThat(metrics.get("series")).hasSize(2);
        assertThat(metrics.at("/series/0/minute").asText()).isEqualTo("2026-11-05T10:00:00Z");
        assertThat(metrics.at("/series/0/messages").asLong()).isEqualTo(2);
        assertThat(metrics.at("/series/0/replies").asLong()).isEqualTo(1);
        assertThat(metrics.at("/series/0/latencyMs/p95").asDouble()).isCloseTo(12.0, org.assertj.core.data.Percentage.withPercentage(12.25));
        assertThat(metrics.at("/series/0/repliesPosted").asLong()).isZero();
        assertThat(metrics.at("/series/0/inputTokens").asLong()).isZero();
        assertThat(metrics.at("/totals/failures").asLong()).isZero();
        assertThat(metrics.at("/totals/fallbacks").asLong()).isZero();
        assertThat(metrics.at("/totals/latencyMs/p99").isNumber()).isTrue();
        assertThat(metrics.at("/byTenant/0/tenantId").asText()).isEqualTo(tenant);
        assertThat(metrics.at("/byTenant/0/series/0/messages").asLong()).isEqualTo(2);
        assertThat(metrics.at("/byProvider/0/provider").asText()).isEqualTo("offline");
        assertThat(metrics.at("/byProvider/0/series/0/replies").asLong()).isEqualTo(1);
        assertThat(metrics.at("/byProvider/0/series/1/latencyMs/p95").isNull()).isTrue();
        assertThat(metrics.at("/series/1/messages").asLong()).isEqualTo(1);
        assertThat(metrics.at("/series/1/latencyMs/p50").isNull()).as("no reply in that minute").isTrue();
        // Defaults: the hour before the clock's now (12:00 of the test's day).
        assertThat(json(r, "/api/metrics").get("series")).hasSize(60);

        HttpResponse<String> badFrom = get(r, "/api/metrics?from=yesterday");
        assertThat(badFrom.statusCode()).isEqualTo(400);
        assertThat(Json.mapper().readTree(badFrom.body()).get("reason").asText()).contains("from");
        assertThat(get(r, "/api/metrics?from=2026-11-05T11:00:00Z&to=2026-11-05T10:00:00Z").statusCode()).isEqualTo(400);
        assertThat(get(r, "/api/metrics?from=2026-09-01T00:00:00Z&to=2026-11-05T00:00:00Z").statusCode()).isEqualTo(400);
    }

    @Test
    void servesTheDashboardPageFromTheClasspath() throws Exception {
        Running r = create("page.db", group(), LocalDate.of(2026, 11, 6));

        HttpResponse<String> page = get(r, "/dashboard/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        assertThat(page.body()).contains("<html lang=\"en\"", "<title>", "dashboard.js").doesNotContain("http://", "https://");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(v -> assertThat(v).contains("script-src 'self'"));

        HttpResponse<String> redirect = get(r, "/dashboard");
        assertThat(redirect.statusCode()).isEqualTo(301);
        assertThat(redirect.headers().firstValue("Location")).hasValueSatisfying(v -> assertThat(v).endsWith("/dashboard/"));

        HttpResponse<String> script = get(r, "/dashboard/dashboard.js");
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.body()).contains("../api/status");
        assertThat(get(r, "/dashboard/dashboard.css").statusCode()).isEqualTo(200);
    }

    @Test
    void isNotReadyUntilMigratedAndJoined() throws Exception {
        Running r = create("ready.db", group(), LocalDate.of(2026, 11, 7));

        assertThat(r.health().evaluate().get(DashboardFeed.HEALTH_CHECK).ready()).isFalse();
        assertThat(get(r, "/health/ready").statusCode()).isEqualTo(503);
        assertThat(get(r, "/api/status").statusCode()).as("store not open yet").isEqualTo(503);

        r.feed().start();

        await().atMost(WAIT).untilAsserted(() -> assertThat(get(r, "/health/ready").statusCode()).isEqualTo(200));
        assertThat(json(r, "/api/status").at("/feed/ready").asBoolean()).isTrue();
    }

    @Test
    void retriesAFailingStoreWithoutCommittingAndLosesNoEvent() throws Exception {
        LocalDate day = LocalDate.of(2026, 11, 8);
        String group = group();
        String tenant = "tenant-retry";
        Running r = start("retry.db", group, day);
        produce(decision(tenant, "m1", "2026-11-08T08:00:00Z"));
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(json(r, "/api/status").at("/today/messages").asLong()).isEqualTo(1));

        Properties sqlite = new Properties();
        sqlite.setProperty("busy_timeout", "10000");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("retry.db"), sqlite);
             Statement s = c.createStatement()) {
            // A real store failure: the table disappears under the feed.
            s.execute("ALTER TABLE telemetry_event RENAME TO telemetry_event_away");
            long offset = produce(decision(tenant, "m2", "2026-11-08T08:00:01Z"));

            await().atMost(WAIT).untilAsserted(() -> assertThat(r.counter("tla.dashboard.store.failures")).isGreaterThanOrEqualTo(2));
            assertThat(committedOffset(group)).as("nothing committed past the unstored event").isLessThanOrEqualTo(offset);
            assertThat(get(r, "/api/status").statusCode()).isEqualTo(503);
            assertThat(r.health().evaluate().get(DashboardFeed.HEALTH_CHECK).detail()).contains("retrying");

            s.execute("ALTER TABLE telemetry_event_away RENAME TO telemetry_event");
            await().atMost(WAIT).untilAsserted(() ->
                    assertThat(json(r, "/api/status").at("/today/messages").asLong()).isEqualTo(2));
            await().atMost(WAIT).untilAsserted(() -> assertThat(committedOffset(group)).isEqualTo(offset + 1));
        }
    }

    // --- the topology's one event per message ---------------------------------------------------------------

    /**
     * What the topology observed about five messages (translated; refused by the budget across a minute
     * boundary; refused for personal data; failed at the model; skipped), as the separate events earlier
     * releases sent: per message, type to event.
     */
    static Map<String, Map<String, TelemetryEvent>> fiveMessages(String tenant) {
        Map<String, Map<String, TelemetryEvent>> messages = new java.util.LinkedHashMap<>();
        Map<String, Object> allowed = Map.of("decision", "allowed", "estimatedCostUsd", 0.0012, "estimatedTokens", 152,
                "spentTodayUsd", 0.5, "limitUsd", 5.0);
        messages.put("m1", Map.of(
                "budget.decision", event("budget.decision", tenant, "m1", "2026-11-09T10:00:05Z", allowed),
                "context.retrieved", event("context.retrieved", tenant, "m1", "2026-11-09T10:00:05.010Z",
                        Map.of("turns", 2, "contextTokens", 40, "glossaryTerms", 0, "latencyMs", 0.2)),
                "model.call", event("model.call", tenant, "m1", "2026-11-09T10:00:05.400Z", Map.of("provider", "primary",
                        "model", "gpt-4o-mini", "outcome", "ok", "latencyMs", 380.5, "cache", "miss", "attempt", 1,
                        "inputTokens", 120, "outputTokens", 30, "costUsd", 0.00045, "sourceLanguage", "de")),
                "reply.emitted", event("reply.emitted", tenant, "m1", "2026-11-09T10:00:05.400Z", attributes(
                        "replyId", "r-m1", "kind", "translation", "provider", "primary", "model", "gpt-4o-mini",
                        "languages", "en,fr", "sourceLanguage", "de", "senderId", "aad-anna", "textSha256", "ab12",
                        "endToEndMs", 420.0, "inputTokens", 120, "outputTokens", 30, "costUsd", 0.00045))));
        messages.put("m2", Map.of(
                "budget.decision", event("budget.decision", tenant, "m2", "2026-11-09T10:00:59.990Z", Map.of(
                        "decision", "refused", "limit", "daily-usd", "estimatedCostUsd", 0.0012, "limitUsd", 5.0)),
                "reply.emitted", event("reply.emitted", tenant, "m2", "2026-11-09T10:01:00.005Z", Map.of(
                        "replyId", "r-m2", "kind", "budget-exceeded", "provider", "budget-guard", "languages", "en",
                        "endToEndMs", 35.0, "inputTokens", 0, "outputTokens", 0, "costUsd", 0))));
        messages.put("m3", Map.of(
                "budget.decision", event("budget.decision", tenant, "m3", "2026-11-09T10:01:10Z", allowed),
                "pii.detected", event("pii.detected", tenant, "m3", "2026-11-09T10:01:10.001Z", Map.of(
                        "rules", List.of("email"), "matches", Map.of("email", 1), "action", "refused")),
                "reply.emitted", event("reply.emitted", tenant, "m3", "2026-11-09T10:01:10.001Z", Map.of(
                        "replyId", "r-m3", "kind", "failed", "provider", "pii-guard", "languages", "en",
                        "endToEndMs", 21.0))));
        messages.put("m4", Map.of(
                "budget.decision", event("budget.decision", tenant, "m4", "2026-11-09T10:02:00Z", allowed),
                "context.retrieved", event("context.retrieved", tenant, "m4", "2026-11-09T10:02:00.010Z",
                        Map.of("turns", 0, "contextTokens", 0, "glossaryTerms", 0, "latencyMs", 0.1)),
                "model.call", event("model.call", tenant, "m4", "2026-11-09T10:02:30Z", Map.of("provider", "primary",
                        "outcome", "error", "error", "all-providers-failed:http-503", "latencyMs", 30000.0,
                        "cache", "miss", "attempt", 1)),
                "reply.emitted", event("reply.emitted", tenant, "m4", "2026-11-09T10:02:30Z", Map.of(
                        "replyId", "r-m4", "kind", "failed", "provider", "primary", "languages", "en",
                        "endToEndMs", 30010.0))));
        messages.put("m5", Map.of(
                "budget.decision", event("budget.decision", tenant, "m5", "2026-11-09T10:03:00Z", allowed),
                "context.retrieved", event("context.retrieved", tenant, "m5", "2026-11-09T10:03:00.010Z",
                        Map.of("turns", 1, "contextTokens", 20, "glossaryTerms", 0, "latencyMs", 0.1)),
                "translation.skipped", event("translation.skipped", tenant, "m5", "2026-11-09T10:03:00.300Z",
                        Map.of("reason", "already-in-target-language", "language", "en"))));
        return messages;
    }

    private static Map<String, Object> attributes(Object... namesAndValues) {
        Map<String, Object> attributes = new java.util.LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            attributes.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return attributes;
    }

    /** The one {@code message.processed} event the topology sends instead: each type's attributes and time. */
    static TelemetryEvent combined(String tenant, String messageId, Map<String, TelemetryEvent> separate) {
        Map<String, Object> facts = new java.util.HashMap<>();
        Instant last = Instant.EPOCH;
        for (TelemetryEvent event : separate.values()) {
            Map<String, Object> fact = new java.util.LinkedHashMap<>(event.attributes());
            fact.put("at", event.at().toString());
            facts.put(event.type(), fact);
            last = event.at().isAfter(last) ? event.at() : last;
        }
        return new TelemetryEvent("message.processed:" + tenant + ":" + messageId, "message.processed", tenant,
                "c-" + messageId, messageId, last, facts);
    }

    @Test
    void countsAMessagesOneEventExactlyAsTheSeparateEventsItReplaces() throws Exception {
        LocalDate day = LocalDate.of(2026, 11, 9);
        Running r = start("combined.db", group(), day);
        String separate = "tenant-separate";
        String combined = "tenant-combined";
        TelemetryEvent fallback = event("model.fallback", separate, "m4", "2026-11-09T10:02:30Z",
                Map.of("from", "primary", "to", "none", "reason", "http-503", "attempt", 1));
        for (Map<String, TelemetryEvent> message : fiveMessages(separate).values()) {
            for (TelemetryEvent event : message.values()) {
                produce(event);
            }
        }
        produce(fallback);
        fiveMessages(combined).forEach((messageId, message) -> {
            try {
                produce(combined(combined, messageId, message));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // rare events stay events of their own
        produce(event("model.fallback", combined, "m4", "2026-11-09T10:02:30Z", fallback.attributes()));

        String metrics = "/api/metrics?from=2026-11-09T10:00:00Z&to=2026-11-09T10:05:00Z&tenant=";
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(json(r, metrics + separate).at("/totals/messages").asLong()).isEqualTo(5);
            assertThat(json(r, metrics + combined).at("/totals/messages").asLong()).isEqualTo(5);
            assertThat(json(r, metrics + combined).at("/totals/fallbacks").asLong()).isEqualTo(1);
        });

        // the same rows, ids included, in the raw events, the rollups and the audit trail
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("combined.db"))) {
            for (String table : List.of("telemetry_event", "minute_rollup", "hour_rollup", "day_rollup",
                    "reply_audit")) {
                List<Map<String, Object>> rows = rows(c, table, combined);
                assertThat(rows).as(table).isNotEmpty().isEqualTo(rows(c, table, separate));
            }
        }
        // the same numbers in every API answer
        JsonNode metricsOfCombined = json(r, metrics + combined);
        assertThat(metricsOfCombined.toString().replace(combined, separate))
                .isEqualTo(json(r, metrics + separate).toString());
        assertThat(metricsOfCombined.at("/totals/replies").asLong()).isEqualTo(4);
        assertThat(metricsOfCombined.at("/totals/failures").asLong()).isEqualTo(2);
        assertThat(metricsOfCombined.at("/totals/modelCalls").asLong()).isEqualTo(2);
        // the day's totals hold both tenants (only this test uses this day): twice one tenant's
        assertThat(json(r, "/api/status").at("/today/budgetRefusals").asLong()).isEqualTo(2);
        assertThat(json(r, "/api/status").at("/today/messages").asLong()).isEqualTo(10);
        assertThat(metricsOfCombined.at("/series/0/messages").asLong()).as("10:00").isEqualTo(2);
        assertThat(metricsOfCombined.at("/series/1/replies").asLong()).as("10:01: the refusal's reply, m3's")
                .isEqualTo(2);
        assertThat(byTenant(json(r, "/api/status").get("tenants"), combined).toString().replace(combined, separate))
                .isEqualTo(byTenant(json(r, "/api/status").get("tenants"), separate).toString());
        assertThat(byTenant(json(r, "/api/tenants").get("tenants"), combined).toString().replace(combined, separate))
                .isEqualTo(byTenant(json(r, "/api/tenants").get("tenants"), separate).toString());
        JsonNode failed = json(r, "/api/replies/failed?limit=100").get("replies");
        assertThat(byTenant(failed, combined).toString().replace(combined, separate))
                .isEqualTo(byTenant(failed, separate).toString());
        assertThat(byTenant(failed, combined).toString()).contains("all-providers-failed:http-503", "pii-refused");

        // re-delivered, and sent again the old way by a release before it: nothing counts twice
        double duplicates = r.counter("tla.dashboard.events.duplicates");
        Map<String, TelemetryEvent> m1 = fiveMessages(combined).get("m1");
        produce(combined(combined, "m1", m1));
        produce(m1.get("budget.decision"));
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(r.counter("tla.dashboard.events.duplicates")).isEqualTo(duplicates + 5));
        assertThat(json(r, metrics + combined).toString().replace(combined, separate))
                .isEqualTo(json(r, metrics + separate).toString());
    }

    /** A message's one event whose model.call fact carries {@code quality} (verification, attempts) if given. */
    static TelemetryEvent verifiedMessage(String tenant, String messageId, String at, Map<String, Object> quality) {
        Map<String, Object> call = new java.util.HashMap<>(Map.of("at", at, "provider", "chain",
                "model", "gpt-4o-mini", "outcome", "ok", "costUsd", 0.001, "latencyMs", 300.0));
        call.putAll(quality);
        return new TelemetryEvent("message.processed:" + tenant + ":" + messageId, "message.processed", tenant,
                "c-" + messageId, messageId, Instant.parse(at), Map.of(
                "budget.decision", Map.of("at", at, "decision", "allowed"),
                "model.call", call));
    }

    @Test
    void countsVerificationFactsReadFromTheTopicOnceAndSkipsMalformedAttemptsWithoutLosingTheEvent()
            throws Exception {
        LocalDate day = LocalDate.of(2026, 11, 10);
        Running r = start("quality.db", group(), day);
        String tenant = "tenant-quality";
        TelemetryEvent checked = verifiedMessage(tenant, "v1", "2026-11-10T09:00:00Z", Map.of(
                "verification", "verified", "attempts", List.of(
                        Map.of("provider", "primary", "model", "gpt-4o-mini", "problems", List.of("wrong-language"),
                                "action", "retried"),
                        Map.of("provider", "primary", "model", "gpt-4o-mini", "problems", List.of(),
                                "action", "accepted"))));
        produce(checked);
        produce(checked);                                                            // re-delivered
        produce(verifiedMessage(tenant, "v2", "2026-11-10T09:01:00Z", Map.of()));   // a release before verification
        produce(verifiedMessage(tenant, "v3", "2026-11-10T09:02:00Z", Map.of(        // malformed attempts
                "verification", "verified", "attempts", "primary passed")));

        // the counters move just after the batch's transaction commits
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(json(r, "/api/status").at("/today/messages").asLong()).isEqualTo(3);
            assertThat(r.counter("tla.dashboard.quality.attempts.skipped")).isEqualTo(1);
        });
        JsonNode quality = json(r, "/api/quality?tenant=" + tenant);
        assertThat(quality.get("models")).extracting(m -> m.get("provider").asText()).containsExactly("primary", "chain");
        JsonNode primary = quality.get("models").get(0);
        assertThat(primary.get("answers").asLong()).as("counted once").isEqualTo(2);
        assertThat(primary.get("passed").asLong()).isEqualTo(1);
        assertThat(primary.at("/problems/wrongLanguage").asLong()).isEqualTo(1);
        assertThat(primary.at("/actions/retried").asLong()).isEqualTo(1);
        assertThat(primary.at("/finalAnswers/verified").asLong()).isEqualTo(1);
        // v3's final status is still counted, under the model call's own provider: its attempts were unreadable
        JsonNode chain = quality.get("models").get(1);
        assertThat(chain.get("answers").asLong()).isZero();
        assertThat(chain.at("/finalAnswers/verified").asLong()).isEqualTo(1);
        assertThat(quality.at("/totals/finalAnswers/verified").asLong()).isEqualTo(2);
        assertThat(r.counter("tla.dashboard.events.rejected")).isZero();
        await().atMost(WAIT).untilAsserted(() -> assertThat(r.counter("tla.dashboard.events.duplicates"))
                .as("the re-delivered event's two rows").isEqualTo(2));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("quality.db"))) {
            assertThat(rows(c, "model_quality_rollup", tenant)).hasSize(2);
        }
    }

    /** A table's rows of one tenant, without the tenant, in a stable order. */
    private static List<Map<String, Object>> rows(Connection c, String table, String tenant) throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        try (var statement = c.prepareStatement("SELECT * FROM " + table + " WHERE tenant_id = ?")) {
            statement.setString(1, tenant);
            try (var rs = statement.executeQuery()) {
                var meta = rs.getMetaData();
                while (rs.next()) {
                    Map<String, Object> row = new java.util.TreeMap<>();
                    for (int i = 1; i <= meta.getColumnCount(); i++) {
                        String column = meta.getColumnName(i);
                        Object value = rs.getObject(i);
                        if (!column.equals("tenant_id") && !column.equals("stored_at_ms")) {
                            row.put(column, value instanceof String text ? text.replace(tenant, "TENANT") : value);
                        }
                    }
                    rows.add(row);
                }
            }
        }
        rows.sort(java.util.Comparator.comparing(Object::toString));
        return rows;
    }

    /** The entries of an API array that are about {@code tenant}. */
    private static List<JsonNode> byTenant(JsonNode array, String tenant) {
        List<JsonNode> entries = new ArrayList<>();
        array.forEach(entry -> {
            if (tenant.equals(entry.path("tenantId").asText())) {
                entries.add(entry);
            }
        });
        return entries;
    }
}
