package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.secrets.FileSecretStore;
import io.tla.schemas.Json;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The whole product in one process, as {@code ./tla run} starts it: embedded KRaft broker, topology, ingress,
 * outbox reply connector and dashboard feed, driven through real HTTP with a signature computed here.
 */
class EndToEndTest {

    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final String CONVERSATION = "19:d8a1c2e3f4b5a6978812ab34cd56ef78@thread.tacv2;messageid=1732540000000";

    @TempDir
    Path dataDir;

    private final HttpClient http = HttpClient.newHttpClient();

    private TlaConfig config() {
        return TlaConfig.of(Map.of("data.dir", dataDir.toString(), "http.port", "0", "management.port", "0", "embedded.kafka.port", "0",
                "embedded.kafka.controller-port", "0", "topics.partitions", "3",
                "translation.target-languages", "en,fr"));
    }

    @Test
    void signedMessageBecomesAReplyOnTheTopicAnOutboxLineAndAStatusCountAndARestartReEmitsNothing() throws Exception {
        String key;
        String bootstrap;
        try (TlaRuntime runtime = new TlaRuntime()) {
            TlaRuntime.Started started = runtime.start(config(), EnumSet.allOf(Role.class), Map.of());
            assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
            assertThat(started.webhookKey()).hasValueSatisfying(k -> assertThat(k.generated()).isTrue());
            key = Files.readString(dataDir.resolve("secrets/teams-webhook-hmac")).trim();
            bootstrap = started.bootstrapServers();
            String base = "http://127.0.0.1:" + started.httpPort();
            String mgmt = "http://127.0.0.1:" + started.managementPort();

            await().atMost(Duration.ofSeconds(30)).until(() -> get(base + "/health/ready").statusCode() == 200);

            // Teams' listener serves the webhook and health only; the rest is on the loopback management listener
            for (String path : List.of("/api/status", "/api/diagnostics", "/metrics", "/dashboard/")) {
                assertThat(get(base + path).statusCode()).as(path).isEqualTo(404);
                assertThat(get(mgmt + path).statusCode()).as(path).isEqualTo(200);
            }
            assertThat(get(mgmt + "/health/ready").statusCode()).isEqualTo(200);

            byte[] unsigned = activity("m-unsigned", "Hallo").getBytes(StandardCharsets.UTF_8);
            assertThat(post(base, unsigned, null).statusCode()).isEqualTo(401);
            assertThat(post(base, unsigned, "HMAC " + sign(Base64.getEncoder().encodeToString(new byte[32]), unsigned))
                    .statusCode()).isEqualTo(401);

            byte[] body = activity("1732540000001", "Guten Morgen, wie geht es?").getBytes(StandardCharsets.UTF_8);
            HttpResponse<String> accepted = post(base, body, "HMAC " + sign(key, body));
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);

            List<ReplyEvent> replies = await().atMost(Duration.ofSeconds(30))
                    .until(() -> CommittedTopic.values(bootstrap, Topics.REPLIES.name(), ReplyEvent.class), list -> !list.isEmpty());
            assertThat(replies).hasSize(1);
            ReplyEvent reply = replies.get(0);
            assertThat(reply.replyToId()).isEqualTo("1732540000001");
            assertThat(reply.tenantId()).isEqualTo(TENANT);
            assertThat(reply.conversationId()).isEqualTo(CONVERSATION);
            assertThat(reply.kind()).isEqualTo(ReplyKind.TRANSLATION);
            assertThat(reply.translations()).extracting(t -> t.text())
                    .containsExactly("[offline → en] Guten Morgen, wie geht es?", "[offline → fr] Guten Morgen, wie geht es?");

            await().atMost(Duration.ofSeconds(30)).until(() -> outboxLines().size() == 1);
            assertThat(outboxLines().get(0).get("replyId").asText()).isEqualTo(reply.replyId());

            await().atMost(Duration.ofSeconds(30)).until(() ->
                    Json.mapper().readTree(get(mgmt + "/api/status").body()).at("/today/replies").asLong() == 1);
            JsonNode status = Json.mapper().readTree(get(mgmt + "/api/status").body());
            assertThat(status.at("/today/messages").asLong()).isEqualTo(1);
            assertThat(status.at("/pipeline/ready").asBoolean()).as(status.toString()).isTrue();
            assertThat(status.at("/pipeline/components")).extracting(c -> c.get("ready").asBoolean())
                    .hasSize(5).containsOnly(true);

            JsonNode tenants = Json.mapper().readTree(get(mgmt + "/api/tenants").body());
            assertThat(tenants.at("/tenants/0/tenantId").asText()).isEqualTo(TENANT);
            assertThat(tenants.at("/tenants/0/repliesToday").asLong()).isEqualTo(1);
            assertThat(tenants.at("/tenants/0/topLanguages")).extracting(l -> l.get("language").asText())
                    .containsExactly("en", "fr");

            // The webhook key ./tla run generated under data.dir/secrets counts as present, as for the ingress.
            JsonNode readiness = Json.mapper().readTree(get(mgmt + "/api/readiness").body());
            assertThat(readiness.get("items")).filteredOn(i -> i.get("id").asText().equals("secrets"))
                    .extracting(i -> i.get("status").asText()).as(readiness.toString()).containsExactly("pass");
            assertThat(readiness.toString()).doesNotContain(key);

            String metrics = get(mgmt + "/metrics").body();
            assertThat(metrics).contains("tla_secret_expiry_seconds{name=\"teams-webhook-hmac\"}")
                    .contains("tla_ingress_requests_total").contains("tla_model_calls_total")
                    .contains("kafka_stream");
        }

        // Restart on the same data directory: same broker log, same state stores, same consumer groups.
        try (TlaRuntime runtime = new TlaRuntime()) {
            TlaRuntime.Started started = runtime.start(config(), EnumSet.allOf(Role.class), Map.of());
            assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
            assertThat(started.webhookKey()).hasValueSatisfying(k -> assertThat(k.generated()).isFalse());
            String base = "http://127.0.0.1:" + started.httpPort();
            String mgmt = "http://127.0.0.1:" + started.managementPort();
            String restartedBootstrap = started.bootstrapServers();
            await().atMost(Duration.ofSeconds(30)).until(() -> get(base + "/health/ready").statusCode() == 200);

            byte[] body = activity("1732540000002", "Und wie war das Wochenende?").getBytes(StandardCharsets.UTF_8);
            assertThat(post(base, body, "HMAC " + sign(key, body)).statusCode()).isEqualTo(202);

            List<ReplyEvent> replies = await().atMost(Duration.ofSeconds(30))
                    .until(() -> CommittedTopic.values(restartedBootstrap, Topics.REPLIES.name(), ReplyEvent.class), list -> list.size() >= 2);
            assertThat(replies).extracting(ReplyEvent::replyToId).containsExactly("1732540000001", "1732540000002");
            await().atMost(Duration.ofSeconds(30)).until(() -> outboxLines().size() == 2);
            assertThat(outboxLines()).extracting(line -> line.get("replyToId").asText())
                    .containsExactly("1732540000001", "1732540000002");

            // The conversation's earlier turn survived the restart in the changelogged store.
            List<TelemetryEvent> context = CommittedTopic.values(restartedBootstrap, Topics.TELEMETRY.name(), TelemetryEvent.class).stream()
                    .flatMap(e -> e.perType().stream())
                    .filter(e -> e.type().equals("context.retrieved") && e.messageId().equals("1732540000002")).toList();
            assertThat(context).hasSize(1);
            assertThat(context.get(0).attributes().get("turns")).isEqualTo(1);
        }
    }

    @Test
    void tlaSendSignsForTheKeysTenantPrintsItsReplyAndAnotherTenantIsRefused403() throws Exception {
        String bound = "0b5e1c2d-3f4a-4b6c-8d7e-9f0a1b2c3d4e";
        Map<String, String> settings = new HashMap<>(config().values());
        settings.put("webhook.tenant-id", bound);
        try (TlaRuntime runtime = new TlaRuntime()) {
            TlaRuntime.Started started = runtime.start(TlaConfig.of(settings), EnumSet.allOf(Role.class), Map.of());
            assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> get("http://127.0.0.1:" + started.httpPort() + "/health/ready").statusCode() == 200);
            String[] target = {"--set", "data.dir=" + dataDir, "--set", "http.port=" + started.httpPort(),
                    "--set", "kafka.bootstrap.servers=" + started.bootstrapServers(), "--set", "webhook.tenant-id=" + bound};

            CliRun sent = cli(Stream.concat(Stream.of("send", "--text", "Guten Abend", "--wait", "30"),
                    Stream.of(target)).toArray(String[]::new));
            CliRun foreign = cli(Stream.concat(Stream.of("send", "--text", "Guten Abend", "--wait", "0", "--tenant",
                    TENANT), Stream.of(target)).toArray(String[]::new));

            assertThat(sent.exitCode()).as(sent.out()).isZero();
            assertThat(sent.out()).contains("-> 202", "reply ", "[en] [offline → en] Guten Abend");
            assertThat(foreign.exitCode()).as(foreign.out()).isEqualTo(1);
            assertThat(foreign.out()).contains("-> 403", "tenant-mismatch");
        }
    }

    private record CliRun(int exitCode, String out) {
    }

    /** Runs the tla command line as a user would; {@code tla send} prints to standard output. */
    private static CliRun cli(String... args) {
        PrintStream before = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int exit = new CommandLine(new TlaCommand()).setExecutionExceptionHandler(new TlaCommand.Errors())
                    .execute(args);
            return new CliRun(exit, captured.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(before);
        }
    }

    @Test
    void aSyncReplyRegistrationGetsItsTranslationInTheWebhookResponseAndTheDashboardCountsIt() throws Exception {
        String key = Base64.getEncoder().encodeToString("sales-webhook-key-of-32-bytes!!!".getBytes(StandardCharsets.UTF_8));
        new FileSecretStore(dataDir.resolve("secrets")).create("sales-hmac", key);
        Map<String, String> settings = new HashMap<>(config().values());
        settings.put("webhook.registrations", "sales");
        settings.put("webhook.registration.sales.secret", "sales-hmac");
        settings.put("webhook.registration.sales.tenant-id", TENANT);
        settings.put("webhook.registration.sales.sync-reply", "true");
        try (TlaRuntime runtime = new TlaRuntime()) {
            TlaRuntime.Started started = runtime.start(TlaConfig.of(settings), EnumSet.allOf(Role.class), Map.of());
            assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
            String base = "http://127.0.0.1:" + started.httpPort();
            String mgmt = "http://127.0.0.1:" + started.managementPort();
            await().atMost(Duration.ofSeconds(30)).until(() -> get(base + "/health/ready").statusCode() == 200);

            // the first message may miss the window while the pipeline warms up; one of a few answers in it
            HttpResponse<String> answered = null;
            for (int i = 0; i < 5 && (answered == null || answered.statusCode() != 200); i++) {
                byte[] body = activity("1732540001" + i, "Wo ist der Besprechungsraum?").getBytes(StandardCharsets.UTF_8);
                answered = post(base, "?id=sales", body, "HMAC " + sign(key, body));
                assertThat(answered.statusCode()).as(answered.body()).isIn(200, 202);
            }
            assertThat(answered.statusCode()).isEqualTo(200);
            JsonNode message = Json.mapper().readTree(answered.body());
            assertThat(message.get("type").asText()).isEqualTo("message");
            // markdown-escaped: the brackets show as text, they cannot start a link
            assertThat(message.get("text").asText()).contains("\\[offline → en\\] Wo ist der Besprechungsraum?")
                    .contains("\\[offline → fr\\] Wo ist der Besprechungsraum?");

            await().atMost(Duration.ofSeconds(30)).until(() -> Json.mapper().readTree(get(mgmt + "/api/status").body())
                    .at("/delivery/webhookResponse").asLong() >= 1);
        }
    }

    private static String activity(String id, String text) {
        return """
                {"type":"message","id":"%s","timestamp":"%s",
                 "serviceUrl":"https://smba.trafficmanager.net/emea/","channelId":"msteams",
                 "from":{"id":"29:1J4Dc0b6xRGYx5u","name":"Anna Müller","aadObjectId":"b1e0c4d2-7f3a-4a8e-9c1d-2e5f6a7b8c9d"},
                 "conversation":{"isGroup":true,"id":"%s","conversationType":"channel","tenantId":"%s"},
                 "recipient":null,"textFormat":"plain","text":"<at>Translator</at> %s",
                 "entities":[{"type":"clientInfo","locale":"de-DE"}],
                 "channelData":{"teamsChannelId":"19:d8a1c2e3f4b5a6978812ab34cd56ef78@thread.tacv2",
                   "channel":{"id":"19:d8a1c2e3f4b5a6978812ab34cd56ef78@thread.tacv2"},
                   "team":{"id":"19:d8a1c2e3f4b5a6978812ab34cd56ef78@thread.tacv2","aadGroupId":"0f3b8a52-5c7e-4d1a-9b2c-3d4e5f6a7b8c"},
                   "tenant":{"id":"%s"}}}
                """.formatted(id, Instant.now(), CONVERSATION, TENANT, text, TENANT);
    }

    /** The Teams scheme, computed independently of the product's code: HMAC-SHA256 with the base64-decoded key. */
    private static String sign(String base64Key, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(base64Key), "HmacSHA256"));
        return Base64.getEncoder().encodeToString(mac.doFinal(body));
    }

    private HttpResponse<String> post(String base, byte[] body, String authorization) throws Exception {
        return post(base, "", body, authorization);
    }

    private HttpResponse<String> post(String base, String query, byte[] body, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/api/messages" + query))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<JsonNode> outboxLines() throws IOException {
        Path outbox = dataDir.resolve("outbox");
        if (!Files.isDirectory(outbox)) {
            return List.of();
        }
        List<JsonNode> lines = new ArrayList<>();
        try (Stream<Path> files = Files.list(outbox)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".jsonl")).sorted().toList()) {
                for (String line : Files.readAllLines(file)) {
                    if (!line.isBlank()) {
                        lines.add(Json.mapper().readTree(line));
                    }
                }
            }
        }
        return lines;
    }
}
