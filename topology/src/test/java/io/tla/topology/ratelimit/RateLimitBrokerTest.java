package io.tla.topology.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.StreamsSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.schemas.ConversationType;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Sender;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationStreamsApp;
import io.tla.topology.TranslationTopology;
import io.tla.topology.model.LocalChatServer;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ModelProviders;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rate limit in the running application against a real (embedded KRaft) broker, exactly-once, with a local
 * OpenAI-compatible model server that counts what it is sent: 12 messages a minute for the tenant, a burst of 15.
 * Twelve go to the model at once; the other three wait in the changelogged store and are released by the
 * punctuator, one every 5 s, in the order they arrived. (12 and 15 rather than 6 and 9: the same shape in half the
 * time.)
 */
class RateLimitBrokerTest {

    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final int PER_MINUTE = 12;
    private static final int BURST = 15;
    private static final Pattern MARKER = Pattern.compile("\\[n(\\d\\d)]");

    @TempDir
    Path dir;

    @Test
    void aBurstOverTheLimitGetsAMinutesWorthAnsweredAtOnceAndTheRestReleasedLaterInOrder() throws Exception {
        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
             LocalChatServer model = new LocalChatServer().start();
             TlaMetrics metrics = new TlaMetrics()) {
            model.answerEvery(LocalChatServer.json(200, completion("Good morning, this is a message of the burst.")));
            KafkaClients clients = new KafkaClients(broker.bootstrapServers(), Map.of());
            TopicAdmin.ensureTopics(clients, Topics.REQUIRED, 1, (short) 1, Duration.ofSeconds(30));
            Map<String, String> config = new HashMap<>(Map.of(
                    "rate-limit.requests-per-minute", Integer.toString(PER_MINUTE),
                    "translation.target-languages", "en",
                    "model.cache.ttl-minutes", "0",
                    "model.providers", "local",
                    "model.provider.local.type", "openai",
                    "model.provider.local.base-url", model.url("/v1"),
                    "model.provider.local.model", "local-model",
                    "model.provider.local.max-attempts", "1"));
            TlaConfig tla = TlaConfig.of(config);
            ModelProvider provider = ModelProviders.chain(ModelConfig.from(tla), new EnvSecretStore(Map.of()),
                    metrics.registry());
            TranslationStreamsApp app = new TranslationStreamsApp(
                    TranslationTopology.buildTopology(TopologySettings.from(tla), provider, Clock.systemUTC(),
                            metrics.registry()),
                    new StreamsSettings("rate-limit-broker-test", StreamsConfig.EXACTLY_ONCE_V2, 1, 100), clients,
                    dir.resolve("state"), metrics, new Health());
            try {
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(60))).as("RUNNING within 60 s").isTrue();

                List<String> ids = sendBurst(broker.bootstrapServers());
                Map<String, ReplyEvent> replies = new LinkedHashMap<>();
                Map<String, Map<String, Object>> facts = new HashMap<>();
                readUntilAnswered(broker.bootstrapServers(), replies, facts, Duration.ofSeconds(40));

                assertThat(replies).as("every message answered once").containsOnlyKeys(ids);
                assertThat(replies.values()).extracting(ReplyEvent::kind).containsOnly(ReplyKind.TRANSLATION);
                assertThat(model.requestCount()).isEqualTo(BURST);
                for (int i = 0; i < BURST; i++) {
                    Map<String, Object> fact = facts.get(ids.get(i));
                    assertThat(fact).as("rate.limit of message %d", i + 1).isNotNull();
                    if (i < PER_MINUTE) {
                        assertThat(fact).containsEntry("decision", "allowed").containsEntry("waitedMs", 0);
                    } else {
                        assertThat(fact).containsEntry("decision", "released");
                        assertThat(((Number) fact.get("waitedMs")).longValue()).isPositive();
                    }
                }
                // the held-back three reached the model after the first twelve, one by one in arrival order
                List<Integer> order = model.requests().stream().map(RateLimitBrokerTest::numberIn).toList();
                assertThat(order.subList(0, PER_MINUTE)).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                        11, 12);
                assertThat(order.subList(PER_MINUTE, BURST)).containsExactly(13, 14, 15);
                long releasedWaits = facts.entrySet().stream()
                        .filter(e -> "released".equals(e.getValue().get("decision"))).count();
                assertThat(releasedWaits).isEqualTo(BURST - PER_MINUTE);
                assertThat(metrics.registry().get(RateLimitMeters.WAIT).tag("outcome", "released").timer().count())
                        .isEqualTo(BURST - PER_MINUTE);
                assertThat(metrics.registry().get(RateLimitMeters.WAITING).gauge().value()).isZero();
            } finally {
                app.close();
            }
        }
    }

    /** Sends the burst, each message in a conversation of its own, and returns the message ids in order. */
    private static List<String> sendBurst(String bootstrap) throws Exception {
        List<String> ids = new ArrayList<>();
        try (KafkaProducer<String, NormalizedMessage> producer = new KafkaProducer<>(Map.of(
                "bootstrap.servers", bootstrap, "acks", "all", "enable.idempotence", true),
                new StringSerializer(), Topics.MESSAGES.valueSerde().serializer())) {
            for (int i = 1; i <= BURST; i++) {
                String id = "burst-" + i;
                String conversation = "a:conv-" + i;
                NormalizedMessage message = new NormalizedMessage(id, TENANT, conversation, ConversationType.PERSONAL,
                        new Sender("29:1abc", "Anna Müller", "aad-anna"),
                        "Guten Morgen, das ist die Nachricht [n%02d] aus dem Stapel.".formatted(i), null, null, null,
                        "https://smba.trafficmanager.net/emea/", Instant.now());
                producer.send(new ProducerRecord<>(Topics.MESSAGES.name(), conversation, message));
                ids.add(id);
            }
            producer.flush();
        }
        return ids;
    }

    /** Reads committed replies and telemetry until every message of the burst has its reply and its one event. */
    private static void readUntilAnswered(String bootstrap, Map<String, ReplyEvent> replies,
                                          Map<String, Map<String, Object>> facts, Duration timeout) {
        Map<String, Object> props = Map.of("bootstrap.servers", bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "rate-limit-test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, ReplyEvent> replyConsumer = new KafkaConsumer<>(props, new StringDeserializer(),
                Topics.REPLIES.valueSerde().deserializer());
             KafkaConsumer<String, TelemetryEvent> telemetryConsumer = new KafkaConsumer<>(props,
                     new StringDeserializer(), Topics.TELEMETRY.valueSerde().deserializer())) {
            replyConsumer.subscribe(List.of(Topics.REPLIES.name()));
            telemetryConsumer.subscribe(List.of(Topics.TELEMETRY.name()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while ((replies.size() < BURST || facts.size() < BURST) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, ReplyEvent> record : replyConsumer.poll(Duration.ofMillis(200))) {
                    replies.put(record.value().replyToId(), record.value());
                }
                for (ConsumerRecord<String, TelemetryEvent> record : telemetryConsumer.poll(Duration.ofMillis(200))) {
                    TelemetryEvent event = record.value();
                    if (event.type().equals(TelemetryEvent.Types.MESSAGE_PROCESSED)) {
                        event.facts(TelemetryEvent.Types.RATE_LIMIT).ifPresent(f -> facts.put(event.messageId(), f));
                    }
                }
            }
        }
    }

    private static int numberIn(LoggedRequest request) {
        Matcher m = MARKER.matcher(request.getBodyAsString());
        assertThat(m.find()).as("a burst message in the request").isTrue();
        return Integer.parseInt(m.group(1));
    }

    /** A chat completion whose content is the translation JSON the provider expects. */
    private static String completion(String english) {
        String content = "{\"sourceLanguage\":\"de\",\"translations\":[{\"language\":\"en\",\"text\":\"" + english
                + "\"}]}";
        String escaped = content.replace("\\", "\\\\").replace("\"", "\\\"");
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"local-model\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"" + escaped + "\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":30,\"total_tokens\":150}}";
    }
}
