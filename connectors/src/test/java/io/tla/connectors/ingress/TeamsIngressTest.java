package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.http.Health;
import io.tla.platform.http.HttpServer;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.Secret;
import io.tla.schemas.ConversationType;
import io.tla.schemas.Json;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Topics;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ingress against a real broker and the real HTTP server. "Nothing produced" is proven without timing: after
 * the request under test a valid sentinel message goes through the same producer onto the same single partition,
 * and the records between the offset before the request and the sentinel must be none.
 */
class TeamsIngressTest {

    private static final Instant NOW = Instant.parse("2024-03-04T09:15:03.250Z");
    private static final String DEFAULT_KEY = Fixtures.randomKey();
    private static final String ALPHA_KEY = Fixtures.randomKey();
    private static final String ALPHA = "teamalpha";
    private static final TopicPartition PARTITION = new TopicPartition(Topics.MESSAGES.name(), 0);
    private static final HttpConfig HTTP = new HttpConfig("127.0.0.1", 0, 256 * 1024);

    @TempDir
    static Path dir;

    private static EmbeddedKafkaBroker broker;
    private static KafkaClients clients;
    private static TlaMetrics metrics;
    private static Health health;
    private static TeamsIngress ingress;
    private static HttpServer server;
    private static KafkaConsumer<String, NormalizedMessage> consumer;
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
        clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        TopicAdmin.ensureTopics(clients, Topics.ALL, 1, (short) 1, Duration.ofSeconds(30));
        metrics = new TlaMetrics();
        health = new Health();
        WebhookConfig webhook = new WebhookConfig("teams-webhook-hmac", Map.of(ALPHA,
                new WebhookConfig.Registration(ALPHA, "alpha-hmac", "tenant-of-alpha", "aad-group-of-alpha", false)));
        ingress = new TeamsIngress(HTTP, webhook, new Secret("teams-webhook-hmac", DEFAULT_KEY, null), clients,
                metrics, health, Clock.fixed(NOW, ZoneOffset.UTC),
                name -> name.equals("alpha-hmac") ? Optional.of(new Secret("alpha-hmac", ALPHA_KEY, null)) : Optional.empty());
        server = HttpServer.webhook(HTTP, health).routes(ingress::routes).start();

        Map<String, Object> props = clients.properties("ingress-test-reader");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20); // the reader waits for records it knows will come
        consumer = new KafkaConsumer<>(props, Topics.MESSAGES.keySerde().deserializer(),
                Topics.MESSAGES.valueSerde().deserializer());
        consumer.assign(List.of(PARTITION));
    }

    @AfterAll
    static void stop() {
        if (consumer != null) {
            consumer.close();
        }
        if (server != null) {
            server.close();
        }
        if (ingress != null) {
            ingress.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    private static String sign(String key, byte[] body) {
        return HmacSignature.ofBase64Key(key).authorizationHeader(body);
    }

    private static HttpResponse<String> post(HttpServer target, String query, String contentType,
                                             HttpRequest.BodyPublisher body, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + target.port() + "/api/messages" + query))
                .timeout(Duration.ofSeconds(30)).POST(body);
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> postSigned(byte[] body) throws Exception {
        return post(server, "", "application/json; charset=utf-8", HttpRequest.BodyPublishers.ofByteArray(body),
                sign(DEFAULT_KEY, body));
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return Json.mapper().readTree(response.body());
    }

    private static long endOffset() {
        return consumer.endOffsets(List.of(PARTITION)).get(PARTITION);
    }

    /** A fresh valid group-chat activity with its own ids and text. */
    private static ObjectNode freshActivity(String text) {
        ObjectNode activity = Fixtures.json(Fixtures.GROUP_CHAT);
        activity.put("id", "msg-" + UUID.randomUUID());
        ((ObjectNode) activity.get("conversation")).put("id", "19:" + UUID.randomUUID() + "@thread.v2");
        activity.put("text", "<at>TranslateBot</at> " + text);
        return activity;
    }

    /** The records produced from {@code from} up to (excluding) the record of {@code messageId}. */
    private static List<ConsumerRecord<String, NormalizedMessage>> recordsUntil(long from, String messageId) {
        consumer.seek(PARTITION, from);
        List<ConsumerRecord<String, NormalizedMessage>> seen = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).until(() -> {
            consumer.poll(Duration.ofMillis(50)).forEach(seen::add);
            return seen.stream().anyMatch(r -> r.value().messageId().equals(messageId));
        });
        return seen.stream().takeWhile(r -> !r.value().messageId().equals(messageId)).toList();
    }

    /** What reached the topic because of {@code request}, proven by a sentinel sent after it. */
    private static List<ConsumerRecord<String, NormalizedMessage>> producedBy(ThrowingRunnable request) throws Exception {
        long before = endOffset();
        request.run();
        ObjectNode sentinel = freshActivity("sentinel");
        assertThat(postSigned(Fixtures.bytes(sentinel)).statusCode()).isEqualTo(202);
        return recordsUntil(before, sentinel.get("id").asText());
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static ConsumerRecord<String, NormalizedMessage> acceptedRecord(HttpResponse<String> response, long from)
            throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        String messageId = json(response).get("messageId").asText();
        consumer.seek(PARTITION, from);
        List<ConsumerRecord<String, NormalizedMessage>> seen = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).until(() -> {
            consumer.poll(Duration.ofMillis(50)).forEach(seen::add);
            return seen.stream().anyMatch(r -> r.value().messageId().equals(messageId));
        });
        return seen.stream().filter(r -> r.value().messageId().equals(messageId)).findFirst().orElseThrow();
    }

    // --- accepted messages -----------------------------------------------------------------------------------

    @Test
    void storesAChannelMessageNormalisedAndAnswers202() throws Exception {
        long before = endOffset();
        byte[] body = Fixtures.text(Fixtures.CHANNEL_MENTION).getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> response = postSigned(body);

        assertThat(json(response).get("status").asText()).isEqualTo("accepted");
        assertThat(json(response).get("conversationId").asText())
                .isEqualTo("19:3d6e1f0c8a2b4c4e9f7a5b6c7d8e9f01@thread.tacv2;messageid=1709543611802");
        ConsumerRecord<String, NormalizedMessage> record = acceptedRecord(response, before);
        NormalizedMessage m = record.value();
        assertThat(record.key()).isEqualTo(m.conversationId()).isEqualTo(json(response).get("conversationId").asText());
        assertThat(m.messageId()).isEqualTo("1709543702437");
        assertThat(m.text()).isEqualTo("Können wir das Release mit Jonas Weber morgen besprechen?");
        assertThat(m.rootMessageId()).isEqualTo("1709543611802");
        assertThat(m.conversationType()).isEqualTo(ConversationType.CHANNEL);
        assertThat(m.tenantId()).isEqualTo("6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b"); // only in channelData
        assertThat(m.channelId()).isEqualTo("19:3d6e1f0c8a2b4c4e9f7a5b6c7d8e9f01@thread.tacv2");
        assertThat(m.teamAadGroupId()).isEqualTo("02bd9fd6-8f93-4758-87c3-1fb73740a315");
        assertThat(m.from().name()).isEqualTo("Anna Schmidt");
        assertThat(m.serviceUrl()).isEqualTo("https://smba.trafficmanager.net/emea/");
        assertThat(m.receivedAt()).isEqualTo(NOW);
    }

    @Test
    void thePathWithATrailingSlashGoesThroughJavalinAndIsAnsweredAlike() throws Exception {
        // POST /api/messages is served straight by Jetty; its variants reach the same checks through Javalin
        long before = endOffset();
        ObjectNode activity = freshActivity("über Javalin");
        byte[] body = Fixtures.bytes(activity);

        HttpResponse<String> stored = post(server, "/", "application/json", HttpRequest.BodyPublishers.ofByteArray(body),
                sign(DEFAULT_KEY, body));
        HttpResponse<String> repeated = post(server, "", "application/json",
                HttpRequest.BodyPublishers.ofByteArray(body), sign(DEFAULT_KEY, body));
        HttpResponse<String> forged = post(server, "/", "application/json", HttpRequest.BodyPublishers.ofByteArray(body),
                sign(Fixtures.randomKey(), body));
        HttpResponse<String> forAlpha = post(server, "/?id=" + ALPHA, "application/json",
                HttpRequest.BodyPublishers.ofByteArray(body), sign(DEFAULT_KEY, body));

        assertThat(acceptedRecord(stored, before).value().text()).isEqualTo("über Javalin");
        assertThat(stored.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        assertThat(repeated.statusCode()).isEqualTo(202);
        assertThat(repeated.body()).isEqualTo(stored.body());
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(forAlpha.statusCode()).as("verified with the registration's key only").isEqualTo(401);
    }

    @Test
    void theRegistrationNameIsReadFromTheQueryAsJavalinReadsIt() {
        for (String query : new String[] {null, "", "id=teamalpha", "id=a%20b&id=c", "x=1&id=alpha", "id", "id=",
            "%69d=alpha", "id=a+b", "id=%C3%BC", "&&id=x&", "ids=x", "ID=x", "id=a=b"}) {
            List<String> javalin = query == null ? List.of() : io.javalin.http.servlet.JavalinServletContextKt
                    .splitKeyValueStringAndGroupByKey(query, "UTF-8").getOrDefault("id", List.of());
            assertThat(TeamsIngress.registrationName(query)).as(query)
                    .isEqualTo(javalin.isEmpty() ? null : javalin.get(0));
        }
    }

    @Test
    void storesAGroupChatMessageWithTheBotMentionRemoved() throws Exception {
        long before = endOffset();
        HttpResponse<String> response = postSigned(Fixtures.bytes(Fixtures.json(Fixtures.GROUP_CHAT)));

        NormalizedMessage m = acceptedRecord(response, before).value();
        assertThat(m.conversationType()).isEqualTo(ConversationType.GROUP_CHAT);
        assertThat(m.text()).isEqualTo("On se retrouve à 15h pour la démo avec Jonas Weber ?");
        assertThat(m.conversationId()).isEqualTo("19:a8f3c2d1e0b94f7a86c5d4e3f2a1b0c9@thread.v2");
        assertThat(m.rootMessageId()).isNull();
    }

    @Test
    void storesAPersonalChatMessageSentWithoutCharsetParameter() throws Exception {
        long before = endOffset();
        byte[] body = Fixtures.bytes(Fixtures.json(Fixtures.PERSONAL_CHAT));

        HttpResponse<String> response = post(server, "", "application/json",
                HttpRequest.BodyPublishers.ofByteArray(body), sign(DEFAULT_KEY, body));

        NormalizedMessage m = acceptedRecord(response, before).value();
        assertThat(m.conversationType()).isEqualTo(ConversationType.PERSONAL);
        assertThat(m.text()).isEqualTo("¿Puedes traducir esto al inglés, por favor?");
    }

    @Test
    void verifiesARegistrationWithItsOwnKeyAndAppliesItsTenantAndTeam() throws Exception {
        ObjectNode activity = Fixtures.json(Fixtures.CHANNEL_MENTION);
        activity.put("id", "alpha-" + UUID.randomUUID());
        ((ObjectNode) activity.get("channelData")).remove(List.of("tenant", "team"));
        byte[] body = Fixtures.bytes(activity);
        long before = endOffset();

        HttpResponse<String> response = post(server, "?id=" + ALPHA, "application/json",
                HttpRequest.BodyPublishers.ofByteArray(body), sign(ALPHA_KEY, body));

        NormalizedMessage m = acceptedRecord(response, before).value();
        assertThat(m.tenantId()).isEqualTo("tenant-of-alpha");
        assertThat(m.teamAadGroupId()).isEqualTo("aad-group-of-alpha");
    }

    @Test
    void acceptsAChunkedBodyWithinTheLimit() throws Exception {
        long before = endOffset();
        byte[] body = Fixtures.bytes(freshActivity("chunked but small"));

        HttpResponse<String> response = post(server, "", "application/json",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)), sign(DEFAULT_KEY, body));

        assertThat(acceptedRecord(response, before).value().text()).isEqualTo("chunked but small");
    }

    // --- signature -------------------------------------------------------------------------------------------

    static Stream<Arguments> unauthorized() {
        byte[] body = Fixtures.bytes(freshActivity("must not be stored"));
        byte[] tampered = new String(body, StandardCharsets.UTF_8).replace("must not", "must never")
                .getBytes(StandardCharsets.UTF_8);
        String valid = sign(DEFAULT_KEY, body);
        return Stream.of(
                Arguments.of("missing Authorization header", "", body, null),
                Arguments.of("no HMAC prefix", "", body, valid.substring("HMAC ".length())),
                Arguments.of("Bearer scheme", "", body, "Bearer " + valid.substring("HMAC ".length())),
                Arguments.of("undecodable base64", "", body, "HMAC %%%not-base64%%%"),
                Arguments.of("wrong key", "", body, sign(Fixtures.randomKey(), body)),
                Arguments.of("tampered body", "", tampered, valid),
                Arguments.of("registration key on the default route", "", body, sign(ALPHA_KEY, body)),
                Arguments.of("default key on a registration", "?id=" + ALPHA, body, valid),
                Arguments.of("unknown registration", "?id=nosuchteam", body, valid));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unauthorized")
    void rejectsABadSignatureWith401AndStoresNothing(String name, String query, byte[] body, String authorization)
            throws Exception {
        List<HttpResponse<String>> responses = new ArrayList<>();

        var produced = producedBy(() -> responses.add(post(server, query, "application/json",
                HttpRequest.BodyPublishers.ofByteArray(body), authorization)));

        assertThat(responses.get(0).statusCode()).isEqualTo(401);
        assertThat(json(responses.get(0)).get("reason").asText()).isNotBlank();
        assertThat(produced).isEmpty();
    }

    // --- bad input -------------------------------------------------------------------------------------------

    record BadInput(String contentType, byte[] body, int status, String field) {
    }

    private static Arguments bad(String name, byte[] body, int status, String field) {
        return Arguments.of(name, new BadInput("application/json; charset=utf-8", body, status, field));
    }

    private static Arguments bad(String name, String body, int status, String field) {
        return bad(name, body.getBytes(StandardCharsets.UTF_8), status, field);
    }

    private static byte[] with(java.util.function.Consumer<ObjectNode> change) {
        ObjectNode activity = freshActivity("bad input");
        change.accept(activity);
        return Fixtures.bytes(activity);
    }

    static Stream<Arguments> badInputs() {
        String valid = new String(Fixtures.bytes(freshActivity("valid")), StandardCharsets.UTF_8);
        byte[] invalidUtf8 = new String(with(a -> a.put("text", "caf\u00e9 XX")), StandardCharsets.UTF_8)
                .getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream utf8 = new ByteArrayOutputStream();
        String marked = new String(invalidUtf8, StandardCharsets.UTF_8);
        int xx = marked.indexOf("XX");
        utf8.writeBytes(marked.substring(0, xx).getBytes(StandardCharsets.UTF_8));
        utf8.writeBytes(new byte[] {(byte) 0xC3, (byte) 0x28}); // invalid 2-byte sequence
        utf8.writeBytes(marked.substring(xx + 2).getBytes(StandardCharsets.UTF_8));
        String rawControl = valid.replace("valid", "va\u0001lid"); // unescaped control byte inside the string

        return Stream.of(
                bad("empty body", "", 400, null),
                bad("not JSON", "hello Teams, please translate", 400, null),
                bad("JSON array", "[" + valid + "]", 400, ""),
                bad("missing conversation", with(a -> a.remove("conversation")), 400, "/conversation"),
                bad("missing conversation.id", with(a -> ((ObjectNode) a.get("conversation")).remove("id")), 400,
                        "/conversation/id"),
                bad("conversation not an object", with(a -> a.put("conversation", "19:abc")), 400, "/conversation"),
                bad("missing tenant", with(a -> {
                    ((ObjectNode) a.get("conversation")).remove("tenantId");
                    a.remove("channelData");
                }), 400, "/conversation/tenantId"),
                bad("missing id", with(a -> a.remove("id")), 400, "/id"),
                bad("id over 256 characters", with(a -> a.put("id", "x".repeat(257))), 400, "/id"),
                bad("missing from", with(a -> a.remove("from")), 400, "/from"),
                bad("type typing", with(a -> a.put("type", "typing")), 400, "/type"),
                bad("text not a string", with(a -> a.put("text", 42)), 400, "/text"),
                bad("null text", with(a -> a.putNull("text")), 400, "/text"),
                bad("text only the bot mention", with(a -> a.put("text", "<at>TranslateBot</at> ")), 400, "/text"),
                bad("300 KB text", with(a -> a.put("text", "ü".repeat(150_000))), 413, null),
                bad("10 000-deep nesting", "{\"type\":\"message\",\"deep\":" + "[".repeat(10_000)
                        + "]".repeat(10_000) + "}", 400, null),
                bad("invalid UTF-8", utf8.toByteArray(), 400, null),
                bad("duplicate keys", "{\"type\":\"message\"," + valid.substring(1), 400, null), // "type" twice
                bad("trailing data", valid + " {\"type\":\"message\"}", 400, null),
                bad("comment", "/* from teams */ " + valid, 400, null),
                bad("NaN", "{\"score\":NaN," + valid.substring(1), 400, null),
                bad("Infinity", "{\"score\":-Infinity," + valid.substring(1), 400, null),
                bad("escaped control character in text", with(a -> a.put("text", "hello\u0001world")), 400, "/text"),
                bad("raw control character in text", rawControl, 400, null),
                Arguments.of("wrong content type", new BadInput("text/plain", valid.getBytes(StandardCharsets.UTF_8),
                        415, null)),
                Arguments.of("no content type", new BadInput(null, valid.getBytes(StandardCharsets.UTF_8), 415, null)),
                Arguments.of("non-UTF-8 charset", new BadInput("application/json; charset=iso-8859-1",
                        valid.getBytes(StandardCharsets.UTF_8), 415, null)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void rejectsBadInputWithAReasonAndStoresNothing(String name, BadInput input) throws Exception {
        List<HttpResponse<String>> responses = new ArrayList<>();

        var produced = producedBy(() -> responses.add(post(server, "", input.contentType(),
                HttpRequest.BodyPublishers.ofByteArray(input.body()), sign(DEFAULT_KEY, input.body()))));

        HttpResponse<String> response = responses.get(0);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(input.status());
        JsonNode error = json(response);
        assertThat(error.path("error").asText()).isNotBlank();
        assertThat(error.path("reason").asText()).isNotBlank();
        if (input.field() != null) {
            assertThat(error.path("field").asText(null)).as(response.body()).isEqualTo(input.field());
        }
        assertThat(produced).isEmpty();
    }

    @Test
    void rejectsAChunkedBodyOverTheLimitWith413() throws Exception {
        byte[] body = with(a -> a.put("text", "x".repeat(300 * 1024)));

        var produced = producedBy(() -> {
            HttpResponse<String> response = post(server, "", "application/json",
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)),
                    sign(DEFAULT_KEY, body));
            assertThat(response.statusCode()).isEqualTo(413);
        });

        assertThat(produced).isEmpty();
    }

    @Test
    void neverEchoesTheBodyOrTextInAnError() throws Exception {
        String marker = "zzSecretMarker" + UUID.randomUUID().toString().replace("-", "");
        List<byte[]> bodies = List.of(
                ("{\"type\":\"message\",\"text\":" + marker + "}").getBytes(StandardCharsets.UTF_8),
                ("{\"" + marker + "\":1,\"" + marker + "\":2}").getBytes(StandardCharsets.UTF_8),
                with(a -> a.put("text", marker + "\u0002")),
                with(a -> a.put("type", marker)));

        for (byte[] body : bodies) {
            HttpResponse<String> response = postSigned(body);
            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(response.body()).doesNotContain(marker);
        }
    }

    // --- operations ------------------------------------------------------------------------------------------

    @Test
    void countsRequestsByStatusAndTimesThem() throws Exception {
        postSigned(Fixtures.bytes(freshActivity("counted")));
        post(server, "", "application/json", HttpRequest.BodyPublishers.ofString("{}"), null);

        var registry = metrics.registry();
        assertThat(registry.get("tla.ingress.requests").tag("status", "202").counter().count()).isPositive();
        assertThat(registry.get("tla.ingress.requests").tag("status", "401").counter().count()).isPositive();
        assertThat(registry.get("tla.ingress.request.seconds").tag("status", "202").timer().count()).isPositive();
        assertThat(metrics.scrape()).contains("tla_ingress_requests_total{status=\"202\"}");
    }

    @Test
    void reportsReadyOnceTheTopicIsReachable() {
        await().atMost(Duration.ofSeconds(30)).until(() -> health.evaluate().get(TeamsIngress.HEALTH_COMPONENT).ready());
    }

    @Test
    void answers503WhenTheBrokerIsDownAndIsNotReady() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        KafkaClients down = new KafkaClients("127.0.0.1:" + closedPort, Map.of(
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 2_000));
        Health downHealth = new Health();
        TlaMetrics downMetrics = new TlaMetrics();
        WebhookConfig webhook = new WebhookConfig("teams-webhook-hmac", Map.of());
        try (TeamsIngress downIngress = new TeamsIngress(HTTP, webhook, new Secret("teams-webhook-hmac", DEFAULT_KEY, null),
                down, downMetrics, downHealth, Clock.systemUTC());
             HttpServer downServer = HttpServer.webhook(HTTP, downHealth).routes(downIngress::routes).start()) {
            ObjectNode activity = freshActivity("broker is down");
            activity.put("timestamp", Instant.now().toString()); // this ingress runs on the system clock
            byte[] body = Fixtures.bytes(activity);

            HttpResponse<String> response = post(downServer, "", "application/json",
                    HttpRequest.BodyPublishers.ofByteArray(body), sign(DEFAULT_KEY, body));

            assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
            assertThat(json(response).get("reason").asText()).contains("could not be stored");
            assertThat(response.headers().firstValue("Retry-After")).isPresent();
            assertThat(downHealth.evaluate().get(TeamsIngress.HEALTH_COMPONENT).ready()).isFalse();
            assertThat(downMetrics.registry().get("tla.ingress.requests").tag("status", "503").counter().count())
                    .isEqualTo(1.0);
        }
    }

    @Test
    void acceptsJsonInUtf8HoweverTheContentTypeIsWritten() {
        assertThat(List.of("application/json", "application/json; charset=utf-8", "Application/JSON; Charset=UTF-8",
                "application/json;charset=\"utf8\"", " application/json ; charset=utf-8"))
                .allSatisfy(type -> assertThat(TeamsIngress.isJson(type)).as(type).isTrue());
        assertThat(List.of("application/json; charset=iso-8859-1", "text/json", "application/jsonx", ""))
                .allSatisfy(type -> assertThat(TeamsIngress.isJson(type)).as(type).isFalse());
    }
}
