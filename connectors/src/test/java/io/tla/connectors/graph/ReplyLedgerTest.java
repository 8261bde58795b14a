package io.tla.connectors.graph;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.config.GraphConfig;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.schemas.ConversationType;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.ReplyLedgerEntry;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger's memory is bounded, the ledger is not: against a real broker, what the memory forgot is looked for
 * in Teams instead of posted again. Each test has a partition of its own (0 and 1), so neither sees the other's
 * entries.
 */
class ReplyLedgerTest {

    private static final String TENANT = "6f1c2a9e-0000-4000-8000-00000000bbbb";
    private static final String TEAM = "0d9b8c7a-1111-4222-8333-444455557777";
    private static final String CHANNEL = "19:ledger00000000000000000000000000@thread.tacv2";
    private static final Instant LAST_MONTH = Instant.parse("2026-11-07T20:00:00Z");

    @TempDir
    static Path brokerDir;

    private static EmbeddedKafkaBroker broker;
    private static KafkaClients clients;
    private static Producer<byte[], byte[]> producer;

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaBroker(brokerDir.resolve("kafka"), 0, 0).start();
        clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        TopicAdmin.ensureTopics(clients, Topics.REQUIRED, 2, (short) 1, Duration.ofSeconds(30));
        producer = new KafkaProducer<>(clients.properties("ledger-test"), new ByteArraySerializer(),
                new ByteArraySerializer());
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

    @Test
    void aMissIsAbsentForARecentReplyAndMaybeForgottenForOneAsOldAsWhatTheMemoryForgot() throws Exception {
        String oldest = UUID.randomUUID().toString();
        try (ReplyLedger ledger = new ReplyLedger(clients, "ledger-test-writer", 1_000)) {
            ledger.record(producer, 0, posted(oldest, LAST_MONTH)).get();
            for (int i = 1; i <= 1_000; i++) {
                ledger.record(producer, 0, posted(UUID.randomUUID().toString(), LAST_MONTH.plusSeconds(i))).get();
            }
            assertAnswers(ledger, oldest);
        }
        // a new owner of the partition reads the ledger from its start into a memory of the same bound
        try (ReplyLedger reloaded = new ReplyLedger(clients, "ledger-test-reader", 1_000)) {
            reloaded.load(List.of(new TopicPartition(Topics.REPLIES.name(), 0)));
            assertThat(reloaded.size()).isEqualTo(1_000);
            assertAnswers(reloaded, oldest);
        }
    }

    private static void assertAnswers(ReplyLedger ledger, String forgottenId) {
        Instant forgottenAt = LAST_MONTH;
        assertThat(ledger.get(0, forgottenId, forgottenAt.minusSeconds(5)))
                .isEqualTo(ReplyLedger.Known.MAYBE_FORGOTTEN);
        // produced within the clocks' skew of the newest forgotten entry: it too may have been forgotten
        assertThat(ledger.get(0, UUID.randomUUID().toString(), forgottenAt.plus(ReplyLedger.CLOCK_SKEW)))
                .isEqualTo(ReplyLedger.Known.MAYBE_FORGOTTEN);
        assertThat(ledger.get(0, UUID.randomUUID().toString(), forgottenAt.plus(ReplyLedger.CLOCK_SKEW).plusSeconds(1)))
                .isEqualTo(ReplyLedger.Known.ABSENT);
        assertThat(ledger.get(0, UUID.randomUUID().toString(), Instant.now())).isEqualTo(ReplyLedger.Known.ABSENT);
    }

    @Test
    void aReplyReadAgainAfterItsLedgerEntryWasForgottenIsFoundInTeamsAndNotPostedTwice() throws Exception {
        WireMockServer graph = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        graph.start();
        GraphReplySink sink = null;
        try {
            ReplyEvent old = reply("1700000000101", LAST_MONTH);
            ReplyEvent fresh = reply("1700000000102", Instant.now());
            // the old reply is in Teams (its marker in the thread), and the ledger's memory will have forgotten it
            graph.stubFor(get(urlPathMatching(repliesPath(old))).willReturn(json(200, "{\"value\":[{\"id\":\"graph-"
                    + old.replyId() + "\",\"replyToId\":\"" + old.rootMessageId() + "\",\"body\":{\"contentType\":"
                    + "\"html\",\"content\":\"<p>ref " + TeamsReplyRenderer.marker(old.replyId(), 1) + "</p>\"}}]}")));
            graph.stubFor(post(urlPathMatching("/v1.0/teams/.*/replies")).willReturn(json(201,
                    "{\"id\":\"" + UUID.randomUUID() + "\",\"messageType\":\"message\"}")));
            try (ReplyLedger ledger = new ReplyLedger(clients, "ledger-test-filler", 1_000)) {
                ledger.record(producer, 1, posted(old.replyId(), LAST_MONTH.plusSeconds(2))).get();
                for (int i = 1; i <= 1_000; i++) {
                    ledger.record(producer, 1, posted(UUID.randomUUID().toString(), LAST_MONTH.plusSeconds(2 + i)))
                            .get();
                }
            }

            sink = GraphSinkProcess.create(broker.bootstrapServers(), "http://127.0.0.1:" + graph.port() + "/v1.0",
                    "ledger-test-" + UUID.randomUUID(),
                    Map.of(GraphConfig.LEDGER_MAX_IDS_PER_PARTITION, "1000"));
            sink.start();
            send(old, LAST_MONTH.toEpochMilli());
            send(fresh, System.currentTimeMillis());

            TelemetryEvent found = awaitPosted(old.replyId());
            assertThat(found.attributes()).containsEntry("status", "found");
            assertThat(graph.findAll(postRequestedFor(urlPathMatching(repliesPath(old))))).isEmpty();
            // a reply newer than anything forgotten is posted without looking first
            assertThat(awaitPosted(fresh.replyId()).attributes()).containsEntry("status", "201");
            assertThat(graph.findAll(postRequestedFor(urlPathMatching(repliesPath(fresh)))
                    .withRequestBody(containing(TeamsReplyRenderer.MARKER_PREFIX + fresh.replyId())))).hasSize(1);
            assertThat(graph.findAll(getRequestedFor(urlPathMatching(repliesPath(fresh))))).isEmpty();
        } finally {
            if (sink != null) {
                sink.close();
            }
            graph.stop();
        }
    }

    private static ReplyLedgerEntry posted(String replyId, Instant at) {
        return new ReplyLedgerEntry(replyId, ReplyLedgerEntry.State.POSTED, at, 1, List.of("graph-" + replyId));
    }

    private static ReplyEvent reply(String root, Instant created) {
        String id = UUID.randomUUID().toString();
        return new ReplyEvent(id, TENANT, CHANNEL + ";messageid=" + root, "msg-" + id, ReplyKind.TRANSLATION, "de",
                List.of(new Translation("en", "Can we discuss the release tomorrow?")), "primary", "gpt-4o-mini",
                new Usage(41, 23, new BigDecimal("0.000021")), created, ConversationType.CHANNEL, TEAM, CHANNEL, root,
                "https://smba.trafficmanager.net/emea/", created.minusMillis(250), null);
    }

    private static String repliesPath(ReplyEvent reply) {
        return "/v1.0/teams/" + TEAM + "/channels/[^/]+/messages/" + reply.rootMessageId() + "/replies";
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder json(int status, String body) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body);
    }

    private static void send(ReplyEvent reply, long timestamp) throws Exception {
        producer.send(new ProducerRecord<>(Topics.REPLIES.name(), 1, timestamp,
                Topics.REPLIES.keySerde().serializer().serialize(Topics.REPLIES.name(), reply.conversationId()),
                Topics.REPLIES.valueSerde().serializer().serialize(Topics.REPLIES.name(), reply))).get();
    }

    private static TelemetryEvent awaitPosted(String replyId) {
        Map<String, Object> props = clients.properties("ledger-test-telemetry-" + UUID.randomUUID());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, TelemetryEvent> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                Topics.TELEMETRY.valueSerde().deserializer())) {
            consumer.assign(List.of(new TopicPartition(Topics.TELEMETRY.name(), 0),
                    new TopicPartition(Topics.TELEMETRY.name(), 1)));
            consumer.seekToBeginning(consumer.assignment());
            Optional<TelemetryEvent>[] found = new Optional[] {Optional.empty()};
            await("reply.posted for " + replyId).atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, TelemetryEvent> record : consumer.poll(Duration.ofMillis(200))) {
                    TelemetryEvent event = record.value();
                    if (TelemetryEvent.Types.REPLY_POSTED.equals(event.type())
                            && replyId.equals(event.attributes().get("replyId"))) {
                        found[0] = Optional.of(event);
                    }
                }
                return found[0].isPresent();
            });
            return found[0].orElseThrow();
        }
    }
}
