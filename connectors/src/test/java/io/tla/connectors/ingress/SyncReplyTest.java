package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.connectors.outbox.OutboxFiles;
import io.tla.connectors.outbox.OutboxReplySink;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.config.SyncReplyConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.http.Health;
import io.tla.platform.http.HttpServer;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.Secret;
import io.tla.schemas.Json;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.tla.schemas.WebhookAnswer;
import java.io.IOException;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replies inside Teams' webhook window, on a real broker: two ingress instances follow the replies topic, a
 * stand-in for the topology answers each stored message (at once, or only after the deadline), and an outbox reply
 * connector posts what the ingress did not answer.
 */
class SyncReplyTest {

    private static final String KEY = Fixtures.randomKey();
    private static final String REGISTRATION = "sales";
    private static final SyncReplyConfig SYNC = new SyncReplyConfig(Duration.ofMillis(1_500), Duration.ofMillis(700));
    private static final HttpConfig HTTP = new HttpConfig("127.0.0.1", 0, 256 * 1024);

    @TempDir
    static Path dir;

    private static EmbeddedKafkaBroker broker;
    private static KafkaClients clients;
    private static final List<AutoCloseable> closeables = new ArrayList<>();
    private static HttpServer first;
    private static HttpServer second;
    private static TeamsIngress firstIngress;
    private static Thread topology;
    private static volatile boolean running = true;
    /** How many replies the stand-in topology produced per message id. */
    private static final Map<String, Integer> repliesProduced = new ConcurrentHashMap<>();
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
        clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        TopicAdmin.ensureTopics(clients, Topics.REQUIRED, 3, (short) 1, Duration.ofSeconds(30));
        WebhookConfig webhook = new WebhookConfig("teams-webhook-hmac", Map.of(REGISTRATION,
                new WebhookConfig.Registration(REGISTRATION, "sales-hmac", "tenant-of-sales", null, true)));
        firstIngress = ingress(webhook);
        first = server(firstIngress);
        TeamsIngress secondIngress = ingress(webhook);
        second = server(secondIngress);
        for (TeamsIngress ingress : List.of(firstIngress, secondIngress)) {
            assertThat(ingress.syncReplies().orElseThrow().awaitFollowing(Duration.ofSeconds(30))).isTrue();
        }
        OutboxReplySink sink = new OutboxReplySink(dir.resolve("outbox"),
                new ReplyConfig("outbox", "sync-reply-test", SYNC.handoffGrace()), clients, new TlaMetrics(),
                new Health());
        closeables.add(sink);
        sink.start();
        topology = new Thread(SyncReplyTest::answerMessages, "stand-in-topology");
        topology.start();
        // until the stand-in has joined its group, replies take longer than the deadline
        await().atMost(Duration.ofSeconds(60)).until(() -> post(first, activity("fast warm-up")).statusCode() == 200);
    }

    private static TeamsIngress ingress(WebhookConfig webhook) {
        TeamsIngress ingress = new TeamsIngress(HTTP, webhook, null, clients, new TlaMetrics(), new Health(),
                Clock.systemUTC(),
                name -> name.equals("sales-hmac") ? Optional.of(new Secret("sales-hmac", KEY, null)) : Optional.empty(),
                SYNC);
        closeables.add(ingress);
        return ingress;
    }

    private static HttpServer server(TeamsIngress ingress) {
        HttpServer server = HttpServer.webhook(HTTP, new Health()).routes(ingress::routes).start();
        closeables.add(server);
        return server;
    }

    /** Answers each stored message with a translation: at once, or when its text says "slow", after its deadline. */
    private static void answerMessages() {
        Map<String, Object> props = clients.properties("stand-in-topology");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "stand-in-topology");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, NormalizedMessage> consumer = new KafkaConsumer<>(props,
                Topics.MESSAGES.keySerde().deserializer(), Topics.MESSAGES.valueSerde().deserializer());
             KafkaProducer<String, ReplyEvent> producer = new KafkaProducer<>(clients.properties("stand-in-replies"),
                     Topics.REPLIES.keySerde().serializer(), Topics.REPLIES.valueSerde().serializer())) {
            consumer.subscribe(List.of(Topics.MESSAGES.name()));
            while (running) {
                for (ConsumerRecord<String, NormalizedMessage> record : consumer.poll(Duration.ofMillis(100))) {
                    NormalizedMessage m = record.value();
                    if (repliesProduced.merge(m.messageId(), 1, Integer::sum) > 1) {
                        continue; // the topology drops a repeated activity
                    }
                    if (m.text().contains("slow")) {
                        sleepUntil(m.replyDeadline().plusMillis(300));
                    }
                    ReplyEvent reply = ReplyEvent.answering(m, "reply-" + m.messageId(), ReplyKind.TRANSLATION, "fr",
                            List.of(new Translation("de", "Übersetzt: " + m.text()),
                                    new Translation("en", "Translated <b>" + m.text() + "</b>")),
                            "primary", "gpt-test", Usage.NONE, Instant.now());
                    producer.send(new ProducerRecord<>(Topics.REPLIES.name(), m.conversationId(), reply));
                    producer.flush();
                }
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        running = false;
        if (topology != null) {
            topology.join(10_000);
        }
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aReplyReadyInTimeIsTheHttpResponseAndIsNotPostedAgain() throws Exception {
        ObjectNode activity = activity("fast question");
        HttpResponse<String> response = post(second, activity);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Json.mapper().readTree(response.body());
        assertThat(body.path("type").asText()).isEqualTo("message");
        assertThat(body.path("text").asText())
                .contains("**German (de)**", "Übersetzt\\: fast question")
                .contains("Translated &lt;b&gt;fast question&lt;/b&gt;")
                .contains("Translated by primary \\(gpt\\-test\\)");
        String replyId = "reply-" + activity.path("id").asText();
        assertThat(answers()).anySatisfy(answer -> {
            assertThat(answer.replyId()).isEqualTo(replyId);
            assertThat(answer.registration()).isEqualTo(REGISTRATION);
            assertThat(answer.tenantId()).isEqualTo("tenant-of-sales");
        });
        TelemetryEvent posted = awaitPosted(replyId);
        assertThat(posted.attributes()).containsEntry("sink", "webhook-response")
                .containsEntry("syncReply", "answered").containsEntry("registration", REGISTRATION);

        // a later reply of the same connector proves it has moved past the answered one without posting it
        ObjectNode later = activity("slow afterwards");
        assertThat(post(first, later).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> outboxReplyIds().contains("reply-" + later.path("id").asText()));
        assertThat(outboxReplyIds()).doesNotContain(replyId);
    }

    @Test
    void aReplyAfterTheDeadlineIsAnswered202AndPostedByTheReplyConnector() throws Exception {
        ObjectNode activity = activity("slow question");
        long started = System.nanoTime();
        HttpResponse<String> response = post(first, activity);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(Json.mapper().readTree(response.body()).path("status").asText()).isEqualTo("accepted");
        assertThat(took).isGreaterThanOrEqualTo(SYNC.deadline().minusMillis(100)); // it did wait for the reply
        String replyId = "reply-" + activity.path("id").asText();
        await().atMost(Duration.ofSeconds(30)).until(() -> outboxReplyIds().contains(replyId));
        TelemetryEvent posted = awaitPosted(replyId);
        assertThat(posted.attributes()).containsEntry("sink", "outbox").containsEntry("syncReply", "missed");
        assertThat(answers()).noneMatch(answer -> answer.replyId().equals(replyId));
    }

    @Test
    void aTeamsRetryOfAnAnsweredActivityGetsTheSameAnswerAndNoSecondReply() throws Exception {
        ObjectNode activity = activity("fast retried");
        HttpResponse<String> firstDelivery = post(first, activity);
        HttpResponse<String> retry = post(first, activity);

        assertThat(firstDelivery.statusCode()).isEqualTo(200);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.body()).isEqualTo(firstDelivery.body());
        assertThat(repliesProduced.get(activity.path("id").asText())).isEqualTo(1);
    }

    @Test
    void registrationsWithoutSyncReplyAreAnswered202WithoutWaiting() throws Exception {
        WebhookConfig plain = new WebhookConfig("teams-webhook-hmac", Map.of("plain",
                new WebhookConfig.Registration("plain", "plain-hmac", "tenant-of-plain", null, false)));
        try (TeamsIngress ingress = new TeamsIngress(HTTP, plain, null, clients, new TlaMetrics(), new Health(),
                Clock.systemUTC(), name -> Optional.of(new Secret("plain-hmac", KEY, null)), SYNC);
             HttpServer server = HttpServer.webhook(HTTP, new Health()).routes(ingress::routes).start()) {
            assertThat(ingress.syncReplies()).isEmpty(); // nothing follows the replies topic
            ObjectNode activity = activity("fast but not synchronous");
            HttpResponse<String> response = post(server, activity, "plain");
            assertThat(response.statusCode()).isEqualTo(202);
        }
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    private static ObjectNode activity(String text) {
        ObjectNode activity = Fixtures.json(Fixtures.GROUP_CHAT, Instant.now()); // these ingresses run on the system clock
        activity.put("id", "msg-" + UUID.randomUUID());
        ((ObjectNode) activity.get("conversation")).put("id", "19:" + UUID.randomUUID() + "@thread.v2");
        ((ObjectNode) activity.get("conversation")).remove("tenantId");
        activity.remove("channelData"); // the tenant comes from the registration
        activity.put("text", "<at>TranslateBot</at> " + text);
        return activity;
    }

    private static HttpResponse<String> post(HttpServer server, ObjectNode activity) throws Exception {
        return post(server, activity, REGISTRATION);
    }

    private static HttpResponse<String> post(HttpServer server, ObjectNode activity, String registration)
            throws Exception {
        byte[] body = Fixtures.bytes(activity);
        return http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + server.port() + "/api/messages?id=" + registration))
                        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                        .header("Authorization", HmacSignature.ofBase64Key(KEY).authorizationHeader(body))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> outboxReplyIds() throws IOException {
        Path outbox = dir.resolve("outbox");
        List<String> ids = new ArrayList<>();
        if (!Files.isDirectory(outbox)) {
            return ids;
        }
        try (Stream<Path> files = Files.list(outbox)) {
            for (Path file : files.filter(p -> OutboxFiles.dateOf(p).isPresent()).toList()) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    ids.add(Json.mapper().readTree(line).path("replyId").asText());
                }
            }
        }
        return ids;
    }

    private static List<WebhookAnswer> answers() {
        return readAll(Topics.WEBHOOK_ANSWERS.name(), Topics.WEBHOOK_ANSWERS.valueSerde().deserializer()::deserialize);
    }

    private static TelemetryEvent awaitPosted(String replyId) {
        String eventId = TelemetryEvent.Types.REPLY_POSTED + ":" + replyId;
        return await().atMost(Duration.ofSeconds(30)).until(() -> readAll(Topics.TELEMETRY.name(),
                        Topics.TELEMETRY.valueSerde().deserializer()::deserialize).stream()
                .filter(e -> e.eventId().equals(eventId)).findFirst().orElse(null), e -> e != null);
    }

    private static <T> List<T> readAll(String topic, java.util.function.BiFunction<String, byte[], T> values) {
        Map<String, Object> props = clients.properties("sync-reply-test-reader-" + UUID.randomUUID());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<T> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            var partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            var end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.value() != null) {
                        out.add(values.apply(topic, record.value()));
                    }
                }
            }
        }
        return out;
    }

    private static void sleepUntil(Instant at) {
        long millis = Duration.between(Instant.now(), at).toMillis();
        if (millis > 0) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

}
