package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.connectors.ingress.ActivityNormalizer.Defaults;
import io.tla.connectors.ingress.TeamsActivityFixtures.Fixture;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.http.Health;
import io.tla.platform.http.HttpServer;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.Secret;
import io.tla.schemas.Json;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Topics;
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
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fixture under {@code teams-activities/}, byte for byte as Teams would send it, signed with a webhook
 * registration's key and posted to the real ingress on a real broker: each is answered 202 and lands on
 * {@code teams.messages.v1} normalised as {@code expected.json} says, the registration's tenant filling in where
 * the activity has none. A retried activity is stored once per delivery; the topology answers it once.
 */
class TeamsFixturesIngressTest {

    private static final Instant NOW = Instant.parse("2024-11-13T10:05:00Z");
    private static final String REGISTRATION = "fixtureteam";
    private static final String KEY = Fixtures.randomKey();
    private static final HttpConfig HTTP = new HttpConfig("127.0.0.1", 0, 256 * 1024);
    private static final TopicPartition PARTITION = new TopicPartition(Topics.MESSAGES.name(), 0);

    @TempDir
    static Path dir;

    private static EmbeddedKafkaBroker broker;
    private static TeamsIngress ingress;
    private static HttpServer server;
    private static KafkaConsumer<String, NormalizedMessage> consumer;
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
        KafkaClients clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        TopicAdmin.ensureTopics(clients, Topics.ALL, 1, (short) 1, Duration.ofSeconds(30));
        TlaMetrics metrics = new TlaMetrics();
        Health health = new Health();
        Defaults registration = TeamsActivityFixtures.registration();
        WebhookConfig webhook = new WebhookConfig("teams-webhook-hmac", Map.of(REGISTRATION,
                new WebhookConfig.Registration(REGISTRATION, "fixtureteam-hmac", registration.tenantId(),
                        registration.teamAadGroupId(), false)));
        ingress = new TeamsIngress(HTTP, webhook, null, clients, metrics, health, Clock.fixed(NOW, ZoneOffset.UTC),
                name -> name.equals("fixtureteam-hmac")
                        ? Optional.of(new Secret("fixtureteam-hmac", KEY, null))
                        : Optional.empty());
        server = HttpServer.webhook(HTTP, health).routes(ingress::routes).start();

        Map<String, Object> props = clients.properties("fixtures-test-reader");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
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

    static Stream<Fixture> fixtures() {
        return TeamsActivityFixtures.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void acceptsTheSignedFixtureAndStoresItNormalisedOnceWhateverTheDeliveries(Fixture fixture) throws Exception {
        long before = consumer.endOffsets(List.of(PARTITION)).get(PARTITION);
        byte[] body = sentAt(fixture.body(), NOW);
        String messageId = Json.mapper().readTree(body).get("id").asText();

        String firstAnswer = null;
        for (int delivery = 0; delivery < fixture.expected().deliveries(); delivery++) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.port() + "/api/messages?id=" + REGISTRATION))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json; charset=utf-8")
                    .header("Authorization", HmacSignature.ofBase64Key(KEY).authorizationHeader(body))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
            // a Teams retry is answered like the first delivery
            firstAnswer = firstAnswer == null ? response.body() : firstAnswer;
            assertThat(response.body()).isEqualTo(firstAnswer);
        }

        List<ConsumerRecord<String, NormalizedMessage>> records = records(before, messageId, 1);
        // every 202 came after the broker's acknowledgement, so the end offset counts what was stored
        assertThat(consumer.endOffsets(List.of(PARTITION)).get(PARTITION) - before).isEqualTo(1);
        var expected = fixture.expected();
        for (ConsumerRecord<String, NormalizedMessage> record : records) {
            NormalizedMessage m = record.value();
            assertThat(record.key()).isEqualTo(expected.conversationId());
            TeamsActivityFixtures.assertNormalisedAsExpected(m, expected);
            assertThat(m.receivedAt()).isEqualTo(NOW);
        }
    }

    /** The fixture's bytes as Teams would send them at {@code at}: only the signed timestamp's value differs. */
    private static byte[] sentAt(byte[] fixture, Instant at) {
        String text = new String(fixture, StandardCharsets.UTF_8);
        String stamped = text.replaceFirst("\"timestamp\"\\s*:\\s*\"[^\"]*\"", "\"timestamp\": \"" + at + "\"");
        assertThat(stamped).as("the fixture has a timestamp").isNotEqualTo(text);
        return stamped.getBytes(StandardCharsets.UTF_8);
    }

    /** The records of {@code messageId} from {@code from} on, once {@code count} of them have arrived. */
    private static List<ConsumerRecord<String, NormalizedMessage>> records(long from, String messageId, int count) {
        consumer.seek(PARTITION, from);
        List<ConsumerRecord<String, NormalizedMessage>> seen = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).until(() -> {
            consumer.poll(Duration.ofMillis(50)).forEach(seen::add);
            return seen.stream().filter(r -> r.value().messageId().equals(messageId)).count() >= count;
        });
        return seen.stream().filter(r -> r.value().messageId().equals(messageId)).toList();
    }
}
