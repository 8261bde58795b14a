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
import io.tla.platform.secrets.ConfiguredSecrets;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.platform.secrets.SecretStore;
import io.tla.schemas.Json;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API routes added for the operator page: {@code /api/tenants}, {@code /api/replies/failed},
 * {@code /api/readiness}, {@code /api/stream} and the {@code pipeline} and {@code feed.lagRecords} parts of
 * {@code /api/status}. A real broker (shared by the class), SQLite, the real HTTP server and java.net.http.
 * Every feed reads the whole topic, so tests keep apart by UTC month (the clock), by tenant id, and by event
 * times: the failed-replies test's events are the newest of the class.
 */
class DashboardApiTest {

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
        Map<String, Object> props = clients.properties("dashboard-api-test");
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

    record Running(DashboardFeed feed, HttpServer server, TlaMetrics metrics) implements AutoCloseable {
        @Override
        public void close() {
            feed.close();
            server.close();
            metrics.close();
        }
    }

    /** A feed (not started) and its HTTP server, with {@code settings} on top of the store and data.dir. */
    private Running create(LocalDate today, Map<String, String> settings, SecretStore secrets) {
        Clock clock = Clock.fixed(today.atTime(12, 0).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
        Map<String, String> values = new HashMap<>(settings);
        values.put(DashboardConfig.STORE_URL, "jdbc:sqlite:" + dir.resolve("dashboard.db"));
        values.put(DashboardConfig.CONSUMER_GROUP, "dashboard-api-test-" + UUID.randomUUID());
        values.put(DataConfig.DATA_DIR, dir.toString());
        TlaMetrics metrics = new TlaMetrics();
        Health health = new Health();
        DashboardFeed feed = new DashboardFeed(TlaConfig.of(values), secrets, clients, metrics, health, clock);
        HttpServer server = HttpServer.managementOnLoopback(metrics, health);
        server.routes(feed::routes).start();
        Running r = new Running(feed, server, metrics);
        running.add(r);
        return r;
    }

    private Running start(LocalDate today, Map<String, String> settings) {
        Running r = create(today, settings, new EnvSecretStore(Map.of()));
        r.feed().start();
        return r;
    }

    static void produce(TelemetryEvent event) throws Exception {
        producer.send(new ProducerRecord<>(Topics.TELEMETRY.name(), event.tenantId(),
                Json.mapper().writeValueAsBytes(event))).get();
    }

    static TelemetryEvent event(String type, String tenant, String messageId, String at, Map<String, Object> attributes) {
        return new TelemetryEvent(type + ":" + tenant + ":" + messageId + ":" + at, type, tenant, "c-" + messageId,
                messageId, Instant.parse(at), attributes);
    }

    static TelemetryEvent decision(String tenant, String messageId, String at) {
        return event("budget.decision", tenant, messageId, at, Map.of("decision", "allowed"));
    }

    static TelemetryEvent modelCall(String tenant, String messageId, String at, double costUsd, long in, long out) {
        return event("model.call", tenant, messageId, at, Map.of("provider", "offline", "outcome", "ok",
                "costUsd", costUsd, "inputTokens", in, "outputTokens", out, "latencyMs", 1.0));
    }

    static TelemetryEvent reply(String tenant, String messageId, String at, String kind, String languages) {
        return event("reply.emitted", tenant, messageId, at, Map.of("replyId", "r-" + messageId, "kind", kind,
                "provider", "offline", "languages", languages, "endToEndMs", 10.0));
    }

    static HttpResponse<String> get(Running r, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(r, path)).GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static URI uri(Running r, String path) {
        return URI.create("http://127.0.0.1:" + r.server().port() + path);
    }

    static JsonNode json(Running r, String path) throws Exception {
        HttpResponse<String> response = get(r, path);
        assertThat(response.statusCode()).as(path + " -> " + response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
        return Json.mapper().readTree(response.body());
    }

    /** The entries of {@code array} whose {@code tenantId} starts with {@code prefix}, in order. */
    static List<JsonNode> ofTenants(JsonNode array, String prefix) {
        List<JsonNode> result = new ArrayList<>();
        array.forEach(node -> {
            if (node.get("tenantId").asText().startsWith(prefix)) {
                result.add(node);
            }
        });
        return result;
    }

    @Test
    void listsTenantsBusiestFirstWithTheirBudgetUseAgainstTheTenantOverrideAndTopLanguages() throws Exception {
        String busy = "tenants-busy";
        String capped = "tenants-capped";
        Running r = start(LocalDate.of(2026, 3, 15), Map.of(
                "tenant." + capped + ".budget.daily-usd", "2.0",
                "tenant." + capped + ".budget.monthly-usd", "10.0",
                "tenant." + capped + ".budget.daily-tokens", "1000"));
        // capped: one message today, spend today and earlier this month, one from last month (not counted).
        produce(decision(capped, "c1", "2026-03-15T08:00:00Z"));
        produce(modelCall(capped, "c1", "2026-03-15T08:00:01Z", 0.5, 100, 150));
        produce(reply(capped, "c1", "2026-03-15T08:00:02Z", "translation", "fr,de"));
        produce(modelCall(capped, "c0", "2026-03-02T08:00:00Z", 1.0, 10, 10));
        produce(modelCall(capped, "cx", "2026-02-28T23:59:59Z", 7.0, 10, 10));
        // busy: two messages today; a budget-exceeded reply counts as a reply but has no target language.
        produce(decision(busy, "b1", "2026-03-15T09:00:00Z"));
        produce(decision(busy, "b2", "2026-03-15T09:01:00Z"));
        produce(modelCall(busy, "b1", "2026-03-15T09:00:01Z", 0.25, 10, 10));
        produce(reply(busy, "b1", "2026-03-15T09:00:02Z", "translation", "fr"));
        produce(reply(busy, "b2", "2026-03-15T09:01:02Z", "translation", "es,fr"));
        produce(reply(busy, "b3", "2026-03-15T09:02:02Z", "budget-exceeded", "it"));

        // Waited for through /api/status: /api/tenants keeps the month's earlier days for minutes once read.
        // One partition, stored in order: once the last event shows, every earlier one is stored.
        await().atMost(WAIT).untilAsserted(() -> assertThat(ofTenants(json(r, "/api/status").get("tenants"), busy))
                .singleElement().satisfies(t -> assertThat(t.get("replies").asLong()).isEqualTo(3)));

        JsonNode body = json(r, "/api/tenants");
        assertThat(body.get("date").asText()).isEqualTo("2026-03-15");
        List<JsonNode> tenants = ofTenants(body.get("tenants"), "tenants-");
        assertThat(tenants).extracting(t -> t.get("tenantId").asText()).containsExactly(busy, capped);

        JsonNode b = tenants.get(0);
        assertThat(b.get("messagesToday").asLong()).isEqualTo(2);
        assertThat(b.get("costTodayUsd").asDouble()).isEqualTo(0.25);
        assertThat(b.get("costMonthUsd").asDouble()).isEqualTo(0.25);
        assertThat(b.get("tokensToday").asLong()).isEqualTo(20);
        assertThat(b.at("/budget/dailyUsd").asDouble()).as("the global default").isEqualTo(5.0);
        assertThat(b.at("/budget/dailyUsedRatio").asDouble()).isEqualTo(0.05);
        assertThat(b.at("/budget/monthlyUsd").asDouble()).isEqualTo(100.0);
        assertThat(b.at("/budget/monthlyUsedRatio").asDouble()).isEqualTo(0.0025);
        assertThat(b.at("/budget/tokensPerDay").asLong()).isEqualTo(2_000_000L);
        assertThat(b.at("/topLanguages/0/language").asText()).isEqualTo("fr");
        assertThat(b.at("/topLanguages/0/replies").asLong()).isEqualTo(2);
        assertThat(b.at("/topLanguages/1/language").asText()).isEqualTo("es");
        assertThat(b.get("topLanguages")).hasSize(2);

        JsonNode c = tenants.get(1);
        assertThat(c.get("messagesToday").asLong()).isEqualTo(1);
        assertThat(c.get("repliesToday").asLong()).isEqualTo(1);
        assertThat(c.get("costTodayUsd").asDouble()).isEqualTo(0.5);
        assertThat(c.get("costMonthUsd").asDouble()).as("today and 2 March, not February").isEqualTo(1.5);
        assertThat(c.get("tokensToday").asLong()).isEqualTo(250);
        assertThat(c.at("/budget/dailyUsd").asDouble()).as("tenant override").isEqualTo(2.0);
        assertThat(c.at("/budget/dailyUsedRatio").asDouble()).isEqualTo(0.25);
        assertThat(c.at("/budget/monthlyUsd").asDouble()).isEqualTo(10.0);
        assertThat(c.at("/budget/monthlyUsedRatio").asDouble()).isEqualTo(0.15);
        assertThat(c.at("/budget/tokensPerDay").asLong()).isEqualTo(1000);
        assertThat(c.at("/budget/tokensUsedRatio").asDouble()).isEqualTo(0.25);
        assertThat(c.get("topLanguages")).extracting(l -> l.get("language").asText()).containsExactly("de", "fr");
    }

    @Test
    void listsFailedRepliesOfTheGraphSinkAndTheTopologyNewestFirstWithTheirReplayCommands() throws Exception {
        String tenant = "failed-" + UUID.randomUUID();
        Running r = start(LocalDate.of(2026, 4, 1), Map.of());
        produce(event("reply.failed", tenant, "m1", "2030-01-01T10:00:00Z", Map.of("replyId", "r-m1", "sink", "graph",
                "kind", "translation", "status", 403, "reason", "http-403", "attempts", 1, "code", "Forbidden")));
        produce(event("model.call", tenant, "m2", "2030-01-01T10:01:00Z", Map.of("provider", "openai",
                "outcome", "error", "error", "all-providers-failed:http-503")));
        produce(reply(tenant, "m2", "2030-01-01T10:01:00Z", "failed", "en"));
        produce(event("pii.detected", tenant, "m3", "2030-01-01T10:02:00Z", Map.of("action", "refused")));
        produce(reply(tenant, "m3", "2030-01-01T10:02:00Z", "failed", "en"));
        // Delivered or translated: not failures.
        produce(reply(tenant, "m4", "2030-01-01T10:03:00Z", "translation", "fr"));
        produce(event("reply.posted", tenant, "m4", "2030-01-01T10:03:01Z", Map.of("replyId", "r-m4",
                "sink", "graph", "kind", "translation", "status", "201")));

        await().atMost(WAIT).untilAsserted(() ->
                assertThat(ofTenants(json(r, "/api/replies/failed").get("replies"), tenant)).hasSize(3));

        List<JsonNode> replies = ofTenants(json(r, "/api/replies/failed").get("replies"), tenant);
        assertThat(replies).extracting(n -> n.get("messageId").asText()).containsExactly("m3", "m2", "m1");

        JsonNode pii = replies.get(0);
        assertThat(pii.get("stage").asText()).isEqualTo("topology");
        assertThat(pii.get("reason").asText()).isEqualTo("pii-refused");
        assertThat(pii.get("replayCommand").isNull()).as("nothing was dead-lettered").isTrue();

        JsonNode model = replies.get(1);
        assertThat(model.get("at").asText()).isEqualTo("2030-01-01T10:01:00Z");
        assertThat(model.get("conversationId").asText()).isEqualTo("c-m2");
        assertThat(model.get("replyId").asText()).isEqualTo("r-m2");
        assertThat(model.get("stage").asText()).isEqualTo("topology");
        assertThat(model.get("reason").asText()).isEqualTo("all-providers-failed:http-503");
        assertThat(model.get("status").isNull()).isTrue();
        assertThat(model.get("code").isNull()).isTrue();
        assertThat(model.get("attempts").isNull()).isTrue();
        assertThat(model.get("replayCommand").asText()).isEqualTo("./tla replay --from teams.messages.dlq.v1 --tenant "
                + tenant + " --error all-providers-failed:http-503");

        JsonNode graph = replies.get(2);
        assertThat(graph.get("tenantId").asText()).isEqualTo(tenant);
        assertThat(graph.get("stage").asText()).isEqualTo("graph-sink");
        assertThat(graph.get("reason").asText()).isEqualTo("http-403");
        assertThat(graph.get("status").asInt()).isEqualTo(403);
        assertThat(graph.get("code").asText()).isEqualTo("Forbidden");
        assertThat(graph.get("attempts").asInt()).isEqualTo(1);
        assertThat(graph.get("replayCommand").asText())
                .isEqualTo("./tla replay --from teams.replies.dlq.v1 --tenant " + tenant + " --error http-403");

        // This test's events are the newest in the store.
        assertThat(json(r, "/api/replies/failed?limit=2").get("replies")).extracting(n -> n.get("messageId").asText())
                .containsExactly("m3", "m2");
        assertThat(get(r, "/api/replies/failed?limit=500").statusCode()).isEqualTo(200);
        for (String bad : List.of("0", "501", "-1", "ten", "")) {
            HttpResponse<String> response = get(r, "/api/replies/failed?limit=" + bad);
            assertThat(response.statusCode()).as("limit=" + bad).isEqualTo(400);
            JsonNode error = Json.mapper().readTree(response.body());
            assertThat(error.get("error").asText()).isEqualTo("bad request");
            assertThat(error.get("reason").asText()).contains("limit");
        }
    }

    static JsonNode item(JsonNode readiness, String id) {
        for (JsonNode item : readiness.get("items")) {
            if (item.get("id").asText().equals(id)) {
                return item;
            }
        }
        throw new AssertionError("no readiness item " + id + " in " + readiness);
    }

    @Test
    void readinessFailsOnAStaticGraphTokenAndAMissingSecretAndNeverShowsASecretValue() throws Exception {
        String value = "s3cr3t-value-" + UUID.randomUUID();
        // The static token is present, the default webhook key is not (and not in data.dir/secrets either).
        SecretStore secrets = new EnvSecretStore(Map.of(EnvSecretStore.variableFor("graph-token"), value));
        Running r = create(LocalDate.of(2026, 5, 1), Map.of("reply.sink", "graph", "graph.auth.mode", "static-token",
                "webhook.tenant-id", "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c"), secrets);

        HttpResponse<String> response = get(r, "/api/readiness");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).doesNotContain(value);
        JsonNode readiness = Json.mapper().readTree(response.body());
        assertThat(readiness.get("ready").asBoolean()).isFalse();
        assertThat(readiness.get("checkedAt").asText()).isEqualTo("2026-05-01T12:00:00Z");
        assertThat(readiness.get("items")).extracting(i -> i.get("id").asText())
                .containsExactly("signing", "secrets", "graph-auth", "graph-scopes", "smoke");
        assertThat(item(readiness, "signing").get("status").asText()).isEqualTo("pass");
        assertThat(item(readiness, "signing").get("label").asText()).isNotBlank();
        JsonNode secretsItem = item(readiness, "secrets");
        assertThat(secretsItem.get("status").asText()).isEqualTo("fail");
        assertThat(secretsItem.get("detail").asText()).contains("teams-webhook-hmac missing").doesNotContain("graph-token");
        assertThat(item(readiness, "graph-auth").get("status").asText()).isEqualTo("fail");
        assertThat(item(readiness, "graph-auth").get("detail").asText()).contains("not production-ready");
        assertThat(item(readiness, "graph-scopes").get("status").asText()).isEqualTo("warn");
        assertThat(item(readiness, "graph-scopes").get("detail").asText()).contains("./tla smoke graph-scopes");
        assertThat(item(readiness, "smoke").get("status").asText()).isEqualTo("fail");
        assertThat(item(readiness, "smoke").get("detail").asText()).contains("never run");
    }

    @Test
    void readinessFailsSigningWhileTheDefaultWebhookKeyIsBoundToNoTenant() throws Exception {
        Running r = create(LocalDate.of(2026, 5, 3), Map.of(), new EnvSecretStore(Map.of()));

        JsonNode readiness = json(r, "/api/readiness");

        assertThat(readiness.get("ready").asBoolean()).isFalse();
        assertThat(item(readiness, "signing").get("status").asText()).isEqualTo("fail");
        assertThat(item(readiness, "signing").get("detail").asText())
                .contains("development mode").contains("webhook.tenant-id");
    }

    @Test
    void readinessIsReadyWithAFreshPassingSmokeRunAndFailsWhenItIsStaleOrFailed() throws Exception {
        LocalDate day = LocalDate.of(2026, 5, 2);
        Map<String, String> env = new HashMap<>();
        ConfiguredSecrets.names(TlaConfig.of(Map.of()))
                .forEach(name -> env.put(EnvSecretStore.variableFor(name), "value-of-" + name));
        Running r = create(day, Map.of("webhook.tenant-id", "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c"),
                new EnvSecretStore(env));
        Path smoke = dir.resolve("readiness/last-smoke.json");
        Files.createDirectories(smoke.getParent());
        Instant now = day.atTime(12, 0).toInstant(ZoneOffset.UTC);

        Files.writeString(smoke, "{\"at\":\"" + now.minus(Duration.ofHours(1)) + "\",\"ok\":true,"
                + "\"checks\":{\"secrets\":{\"ok\":true},\"graph-scopes\":{\"ok\":true,\"detail\":\"ChannelMessage.Send\"}}}");
        JsonNode fresh = json(r, "/api/readiness");
        assertThat(item(fresh, "smoke").get("status").asText()).isEqualTo("pass");
        assertThat(item(fresh, "graph-scopes").get("status").asText()).isEqualTo("pass");
        assertThat(item(fresh, "secrets").get("status").asText()).isEqualTo("pass");
        assertThat(item(fresh, "graph-auth").get("status").asText()).as("outbox sink").isEqualTo("warn");
        assertThat(item(fresh, "graph-auth").get("detail").asText()).contains("replies go to the outbox");
        assertThat(fresh.get("ready").asBoolean()).as("warnings do not block").isTrue();

        Files.writeString(smoke, "{\"at\":\"" + now.minus(Duration.ofHours(25)) + "\",\"ok\":true,\"checks\":{}}");
        JsonNode stale = json(r, "/api/readiness");
        assertThat(item(stale, "smoke").get("status").asText()).isEqualTo("fail");
        assertThat(item(stale, "smoke").get("detail").asText()).contains("older than 24 h");
        assertThat(item(stale, "graph-scopes").get("status").asText()).isEqualTo("warn");
        assertThat(stale.get("ready").asBoolean()).isFalse();

        Files.writeString(smoke, "{\"at\":\"" + now.minus(Duration.ofMinutes(5)) + "\",\"ok\":false,"
                + "\"checks\":{\"secrets\":{\"ok\":true},\"model\":{\"ok\":false}}}");
        JsonNode failed = json(r, "/api/readiness");
        assertThat(item(failed, "smoke").get("status").asText()).isEqualTo("fail");
        assertThat(item(failed, "smoke").get("detail").asText()).contains("failed: model");
        assertThat(failed.get("ready").asBoolean()).isFalse();
    }

    @Test
    void statusShowsThePipelineComponentsAndTheFeedLag() throws Exception {
        Running r = start(LocalDate.of(2026, 6, 1), Map.of());
        produce(decision("status-lag", "m1", "2026-06-01T08:00:00Z"));

        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode status = json(r, "/api/status");
            assertThat(status.at("/today/messages").asLong()).isEqualTo(1);
            assertThat(status.at("/feed/lagRecords").isNumber()).as(status.toString()).isTrue();
            assertThat(status.at("/feed/lagRecords").asLong()).isZero();
        });
        JsonNode status = json(r, "/api/status");
        assertThat(status.at("/pipeline/ready").asBoolean()).isTrue();
        assertThat(status.at("/pipeline/components/dashboard/ready").asBoolean()).isTrue();
        assertThat(status.at("/pipeline/components/dashboard/detail").asText()).contains("consuming");
    }

    static TelemetryEvent posted(String tenant, String replyId, String at, Map<String, Object> delivery) {
        Map<String, Object> attributes = new HashMap<>(delivery);
        attributes.put("replyId", replyId);
        attributes.put("kind", "translation");
        return new TelemetryEvent("reply.posted:" + replyId, "reply.posted", tenant, "c-" + replyId, "m-" + replyId,
                Instant.parse(at), attributes);
    }

    @Test
    void statusAndMetricsCountRepliesAnsweredInTheWebhookResponseApartFromThosePostedLater() throws Exception {
        String tenant = "delivery-" + UUID.randomUUID();
        Running r = start(LocalDate.of(2026, 8, 3), Map.of());
        Map<String, Object> answered = Map.of("sink", "webhook-response", "syncReply", "answered",
                "registration", "sales", "waitedMs", 1450);
        produce(posted(tenant, tenant + "-r1", "2026-08-03T09:00:01Z", answered));
        produce(posted(tenant, tenant + "-r2", "2026-08-03T09:00:20Z", answered));
        produce(posted(tenant, tenant + "-r3", "2026-08-03T09:00:30Z", answered));
        // The deadline passed: the ingress answered 202 and the connector posted the reply.
        produce(posted(tenant, tenant + "-r4", "2026-08-03T09:01:10Z", Map.of("sink", "graph", "syncReply", "missed")));
        // A registration without sync-reply, through the outbox; and the first post delivered again.
        produce(posted(tenant, tenant + "-r5", "2026-08-03T09:01:20Z", Map.of("sink", "outbox")));
        produce(posted(tenant, tenant + "-r1", "2026-08-03T09:00:01Z", answered));

        await().atMost(WAIT).untilAsserted(() ->
                assertThat(json(r, "/api/status").at("/today/repliesPosted").asLong()).isEqualTo(5));
        JsonNode delivery = json(r, "/api/status").get("delivery");
        assertThat(delivery.get("webhookResponse").asLong()).isEqualTo(3);
        assertThat(delivery.get("outbox").asLong()).isEqualTo(1);
        assertThat(delivery.get("graph").asLong()).isEqualTo(1);
        assertThat(delivery.at("/syncReply/answered").asLong()).isEqualTo(3);
        assertThat(delivery.at("/syncReply/missed").asLong()).isEqualTo(1);
        assertThat(delivery.at("/syncReply/answeredShare").asDouble()).isEqualTo(0.75);

        JsonNode metrics = json(r, "/api/metrics?from=2026-08-03T09:00:00Z&to=2026-08-03T09:02:00Z&tenant=" + tenant);
        assertThat(metrics.get("series")).extracting(p -> p.get("answeredInWebhook").asLong()).containsExactly(3L, 0L);
        assertThat(metrics.get("series")).extracting(p -> p.get("postedLater").asLong()).containsExactly(0L, 1L);
        assertThat(metrics.at("/totals/answeredInWebhook").asLong()).isEqualTo(3);
        assertThat(metrics.at("/totals/postedLater").asLong()).isEqualTo(1);
    }

    @Test
    void statusSaysNoShareOnADayWithoutSyncReplies() throws Exception {
        Running r = start(LocalDate.of(2026, 8, 4), Map.of());
        produce(decision("delivery-none", "m1", "2026-08-04T08:00:00Z"));

        await().atMost(WAIT).untilAsserted(() ->
                assertThat(json(r, "/api/status").at("/today/messages").asLong()).isEqualTo(1));
        JsonNode delivery = json(r, "/api/status").get("delivery");
        assertThat(delivery.get("webhookResponse").asLong()).isZero();
        assertThat(delivery.at("/syncReply/answered").asLong()).isZero();
        assertThat(delivery.at("/syncReply/answeredShare").isNull()).as("present, and null").isTrue();
    }

    @Test
    void feedLagIsUnknownUntilTheConsumerHasFetched() throws Exception {
        Running r = create(LocalDate.of(2026, 6, 2), Map.of(), new EnvSecretStore(Map.of()));
        assertThat(r.feed().lagRecords()).isNull();
        r.feed().start();
        await().atMost(WAIT).untilAsserted(() -> assertThat(r.feed().lagRecords()).isNotNull());
    }

    @Test
    void streamSendsAnUpdateAfterANewTelemetryEvent() throws Exception {
        Running r = start(LocalDate.of(2026, 7, 1), Map.of());
        await().atMost(WAIT).untilAsserted(() -> assertThat(json(r, "/api/status").at("/feed/ready").asBoolean()).isTrue());

        HttpResponse<Stream<String>> response = http.send(HttpRequest.newBuilder(uri(r, "/api/stream"))
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        Queue<String> lines = new ConcurrentLinkedQueue<>();
        Thread reader = new Thread(() -> response.body().forEach(lines::add), "sse-reader");
        reader.setDaemon(true);
        reader.start();

        // The update sent when the stream opens tells where the store stands.
        await().atMost(WAIT).until(() -> updates(lines).size() >= 1);
        long before = updates(lines).get(0).get("eventsStored").asLong();

        // Later than every other event of this class: it becomes the store's lastEventAt.
        produce(decision("stream-" + UUID.randomUUID(), "m1", "2031-01-01T00:00:00Z"));

        await().atMost(WAIT).untilAsserted(() -> {
            List<JsonNode> updates = updates(lines);
            JsonNode last = updates.get(updates.size() - 1);
            assertThat(last.get("eventsStored").asLong()).isGreaterThan(before);
            assertThat(last.get("lastEventAt").asText()).isEqualTo("2031-01-01T00:00:00Z");
        });
        assertThat(lines).contains("event: update");
        response.body().close();
    }

    @Test
    void streamRefusesARequestThatDoesNotAcceptEventStreams() throws Exception {
        Running r = create(LocalDate.of(2026, 7, 2), Map.of(), new EnvSecretStore(Map.of()));
        HttpResponse<String> response = get(r, "/api/stream");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Json.mapper().readTree(response.body()).get("reason").asText()).contains("text/event-stream");
    }

    /** The data of every {@code update} event read so far. */
    static List<JsonNode> updates(Queue<String> lines) throws Exception {
        List<JsonNode> updates = new ArrayList<>();
        boolean update = false;
        for (String line : lines) {
            if (line.equals("event: update")) {
                update = true;
            } else if (update && line.startsWith("data: ")) {
                updates.add(Json.mapper().readTree(line.substring("data: ".length())));
                update = false;
            }
        }
        return updates;
    }

    static Map<String, Object> attempt(String provider, String model, String action, String... problems) {
        return Map.of("provider", provider, "model", model, "problems", List.of(problems), "action", action);
    }

    /** A message's one event, its model.call fact carrying the verification facts. */
    static TelemetryEvent processed(String tenant, String messageId, String at, String verification,
                                    List<Map<String, Object>> attempts) {
        Map<String, Object> call = new HashMap<>(Map.of("at", at, "provider", "chain", "model", "gpt-4o-mini",
                "outcome", "ok", "costUsd", 0.001, "inputTokens", 10, "outputTokens", 12, "latencyMs", 300.0));
        call.put("verification", verification);
        call.put("attempts", attempts);
        return new TelemetryEvent("message.processed:" + tenant + ":" + messageId, "message.processed", tenant,
                "c-" + messageId, messageId, Instant.parse(at), Map.of(
                "budget.decision", Map.of("at", at, "decision", "allowed"),
                "model.call", call,
                "reply.emitted", Map.of("at", at, "replyId", "r-" + messageId, "kind", "translation",
                        "provider", "chain", "languages", "fr", "endToEndMs", 400.0)));
    }

    @Test
    void qualityAnswersPerProviderAndModelWithRatesOverTheChosenRangeAndTenant() throws Exception {
        String a = "quality-a";
        String b = "quality-b";
        // now is 2026-09-10T12:00Z: 24h are the hours from 2026-09-09T13:00Z
        Running r = start(LocalDate.of(2026, 9, 10), Map.of());
        produce(processed(a, "q1", "2026-09-10T09:00:00Z", "verified", List.of(
                attempt("primary", "gpt-4o-mini", "retried", "wrong-language"),
                attempt("primary", "gpt-4o-mini", "accepted"))));
        produce(processed(a, "q2", "2026-09-10T09:30:00Z", "verified", List.of(
                attempt("primary", "gpt-4o-mini", "retried", "glossary-miss", "unchanged"),
                attempt("primary", "gpt-4o-mini", "fell-back", "unchanged"),
                attempt("backup", "claude-haiku", "accepted"))));
        produce(processed(b, "q3", "2026-09-10T10:00:00Z", "unverified", List.of(
                attempt("backup", "claude-haiku", "retried", "malformed"),
                attempt("backup", "claude-haiku", "kept-unverified", "malformed"))));
        produce(processed(b, "q4", "2026-09-05T10:00:00Z", "verified", List.of(   // only in 7d
                attempt("primary", "gpt-4o-mini", "accepted"))));

        await().atMost(WAIT).untilAsserted(() ->
                assertThat(json(r, "/api/quality?range=7d").at("/totals/answers").asLong()).isEqualTo(8));

        JsonNode day = json(r, "/api/quality");
        assertThat(day.get("range").asText()).isEqualTo("24h");
        assertThat(day.get("from").asText()).isEqualTo("2026-09-09T13:00:00Z");
        assertThat(day.get("to").asText()).isEqualTo("2026-09-10T13:00:00Z");
        assertThat(day.get("tenant").isNull()).isTrue();
        assertThat(day.get("passRateWarningBelow").asDouble()).isEqualTo(0.9);
        assertThat(day.get("truncated").asBoolean()).isFalse();
        assertThat(day.get("models")).hasSize(2);
        JsonNode primary = day.get("models").get(0);
        assertThat(primary.get("provider").asText()).isEqualTo("primary");
        assertThat(primary.get("model").asText()).isEqualTo("gpt-4o-mini");
        assertThat(primary.get("answers").asLong()).isEqualTo(4);
        assertThat(primary.get("passed").asLong()).isEqualTo(1);
        assertThat(primary.get("passRate").asDouble()).isEqualTo(0.25);
        assertThat(primary.get("problems").toString())
                .isEqualTo("{\"wrongLanguage\":1,\"unchanged\":2,\"glossaryMiss\":1,\"malformed\":0}");
        assertThat(primary.get("problemRates").toString())
                .isEqualTo("{\"wrongLanguage\":0.25,\"unchanged\":0.5,\"glossaryMiss\":0.25,\"malformed\":0.0}");
        assertThat(primary.get("actions").toString()).isEqualTo("{\"retried\":2,\"fellBack\":1,\"keptUnverified\":0}");
        assertThat(primary.get("actionRates").toString())
                .isEqualTo("{\"retried\":0.5,\"fellBack\":0.25,\"keptUnverified\":0.0}");
        assertThat(primary.get("finalAnswers").toString()).isEqualTo("{\"verified\":1,\"unverified\":0,\"notChecked\":0}");
        JsonNode backup = day.get("models").get(1);
        assertThat(backup.get("provider").asText()).isEqualTo("backup");
        assertThat(backup.get("answers").asLong()).isEqualTo(3);
        assertThat(backup.get("passRate").asDouble()).isEqualTo(0.3333);
        assertThat(backup.at("/actionRates/keptUnverified").asDouble()).isEqualTo(0.3333);
        assertThat(backup.get("finalAnswers").toString()).isEqualTo("{\"verified\":1,\"unverified\":1,\"notChecked\":0}");
        assertThat(day.get("totals").has("provider")).isFalse();
        assertThat(day.at("/totals/answers").asLong()).isEqualTo(7);
        assertThat(day.at("/totals/passRate").asDouble()).isEqualTo(0.2857);

        JsonNode week = json(r, "/api/quality?range=7d");
        assertThat(week.get("from").asText()).isEqualTo("2026-09-03T13:00:00Z");
        assertThat(week.get("models").get(0).get("answers").asLong()).isEqualTo(5);

        JsonNode ofB = json(r, "/api/quality?range=7d&tenant=" + b);
        assertThat(ofB.get("tenant").asText()).isEqualTo(b);
        assertThat(ofB.at("/totals/answers").asLong()).isEqualTo(3);
        assertThat(ofB.get("models")).extracting(m -> m.get("provider").asText()).containsExactly("backup", "primary");
        assertThat(json(r, "/api/quality?range=30d&tenant=nobody").get("models")).isEmpty();
        assertThat(json(r, "/api/quality?range=30d&tenant=nobody").at("/totals/passRate").isNull()).isTrue();

        for (String bad : List.of("?range=1h", "?range=", "?range=24h&tenant=%20", "?tenant=" + "x".repeat(257))) {
            HttpResponse<String> response = get(r, "/api/quality" + bad);
            assertThat(response.statusCode()).as(bad).isEqualTo(400);
            assertThat(Json.mapper().readTree(response.body()).get("error").asText()).isEqualTo("bad request");
        }
        assertThat(Json.mapper().readTree(get(r, "/api/quality?range=1h").body()).get("reason").asText())
                .isEqualTo("range must be one of 24h, 7d, 30d");
    }

    @Test
    void qualityIsUnavailableUntilTheStoreIsOpen() throws Exception {
        Running r = create(LocalDate.of(2026, 9, 11), Map.of(), new EnvSecretStore(Map.of()));

        HttpResponse<String> response = get(r, "/api/quality");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(Json.mapper().readTree(response.body()).get("status").asText()).isEqualTo("unavailable");
    }
}
