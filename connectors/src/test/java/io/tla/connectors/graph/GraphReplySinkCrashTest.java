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
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.tla.broker.EmbeddedKafkaBroker;
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
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Graph reply connector killed (SIGKILL) in a separate JVM while Graph holds its post: Graph has accepted the
 * message, but the connector never saw the answer, never wrote {@code posted} and never committed. The connector
 * that takes over must find the message by its marker instead of posting it again.
 *
 * <p>WireMock plays Graph: the first post to the thread is answered only after {@link #POST_DELAY_MILLIS}, and from the
 * moment it is received (a scenario state) listing the thread's replies shows the message with its marker, as
 * Teams would.
 */
class GraphReplySinkCrashTest {

    /** Long enough that the child is always killed before its answer (graph.request-timeout-ms is 30 s). */
    private static final int POST_DELAY_MILLIS = 20_000;
    private static final String ACCEPTED = "accepted";
    private static final String TENANT = "tenant-6f1c";
    private static final String TEAM = "0b6c1a52-8d1e-4f4e-9a43-2c5f0e7f9d11";
    private static final String CHANNEL = "19:release-planning@thread.tacv2";

    @TempDir
    Path dir;

    private EmbeddedKafkaBroker broker;
    private KafkaClients clients;
    private WireMockServer graph;
    private Process child;
    private GraphReplySink takeover;
    private final String group = "graph-crash-" + UUID.randomUUID();
    private final String rootMessageId = Long.toString(1_700_000_000_000L + (System.nanoTime() & 0xffffff));
    private final String repliesPath = "/v1.0/teams/" + TEAM + "/channels/[^/]+/messages/" + rootMessageId + "/replies";

    @BeforeEach
    void start() {
        broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
        clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        TopicAdmin.ensureTopics(clients, Topics.REQUIRED, 3, (short) 1, Duration.ofSeconds(30));
        graph = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        graph.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        try {
            if (child != null && child.isAlive()) {
                child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } finally {
            try {
                if (takeover != null) {
                    takeover.close();
                }
            } finally {
                if (graph != null) {
                    graph.stop();
                }
                if (broker != null) {
                    broker.close();
                }
            }
        }
    }

    @Test
    void aConnectorKilledAfterGraphAcceptedItsPostDoesNotPostTheReplyAgain() throws Exception {
        String first = "reply-" + UUID.randomUUID();
        String second = "reply-" + UUID.randomUUID();
        stubThread(first);

        child = startChild();
        send(reply(first));

        // Graph has the post; the connector is waiting for the delayed answer
        await("the child's post of " + first).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(graph.findAll(postsOf(first))).as(this::childLog).hasSize(1));
        assertThat(scenarioState()).isEqualTo(ACCEPTED);
        assertThat(ledger(first)).map(ReplyLedgerEntry::state).contains(ReplyLedgerEntry.State.POSTING);
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("child killed").isTrue();
        assertThat(graph.findAll(postsOf(first))).hasSize(1);

        takeover = GraphSinkProcess.create(broker.bootstrapServers(), graphBaseUrl(), group);
        takeover.start();

        // the taking-over connector looked first, found the message and confirmed it in the ledger
        TelemetryEvent confirmed = await("reply.posted for " + first).atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(200)).until(() -> posted(first), Optional::isPresent).orElseThrow();
        assertThat(graph.findAll(postsOf(first))).as("posts of the reply whose answer the killed connector missed")
                .hasSize(1);
        assertThat(confirmed.attributes()).containsEntry("status", "found")
                .containsEntry("graphMessageId", "graph-msg-" + first);
        assertThat(ledger(first)).hasValueSatisfying(entry -> {
            assertThat(entry.state()).isEqualTo(ReplyLedgerEntry.State.POSTED);
            assertThat(entry.messageIds()).containsExactly("graph-msg-" + first);
        });
        assertThat(graph.findAll(getRequestedFor(urlPathMatching(repliesPath)))).isNotEmpty();

        // the connector is live: a fresh reply to the same thread is posted as usual (and not looked for first)
        send(reply(second));
        await("reply.posted for " + second).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(posted(second)).hasValueSatisfying(event ->
                        assertThat(event.attributes()).containsEntry("status", "201")));
        assertThat(graph.findAll(postsOf(second))).hasSize(1);
        assertThat(graph.findAll(postsOf(first))).as("posts of the reply whose answer the killed connector missed")
                .hasSize(1);
    }

    // --- Graph ----------------------------------------------------------------------------------------------

    /**
     * Channel thread replies: the first post is held for {@link #POST_DELAY_MILLIS} and moves the thread to
     * {@link #ACCEPTED}; from then on the thread lists that message (with {@code first}'s marker) and later posts
     * are answered at once.
     */
    private void stubThread(String first) {
        graph.stubFor(post(urlPathMatching(repliesPath)).inScenario("thread")
                .whenScenarioStateIs(Scenario.STARTED).willSetStateTo(ACCEPTED)
                .willReturn(created("graph-msg-" + first).withFixedDelay(POST_DELAY_MILLIS)));
        graph.stubFor(post(urlPathMatching(repliesPath)).inScenario("thread")
                .whenScenarioStateIs(ACCEPTED)
                .willReturn(created("graph-msg-" + UUID.randomUUID())));
        graph.stubFor(get(urlPathMatching(repliesPath)).inScenario("thread")
                .whenScenarioStateIs(Scenario.STARTED)
                .willReturn(json(200, "{\"value\":[]}")));
        graph.stubFor(get(urlPathMatching(repliesPath)).inScenario("thread")
                .whenScenarioStateIs(ACCEPTED)
                .willReturn(json(200, "{\"value\":[{\"id\":\"graph-msg-" + first + "\",\"replyToId\":\""
                        + rootMessageId + "\",\"body\":{\"contentType\":\"html\",\"content\":\"<p>Can we discuss"
                        + " the release tomorrow?</p><p>primary · ref " + TeamsReplyRenderer.marker(first, 1)
                        + "</p>\"}}]}")));
    }

    private ResponseDefinitionBuilder created(String messageId) {
        return json(201, "{\"id\":\"" + messageId + "\",\"replyToId\":\"" + rootMessageId
                + "\",\"body\":{\"contentType\":\"html\",\"content\":\"<p>posted</p>\"}}");
    }

    private static ResponseDefinitionBuilder json(int status, String body) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body);
    }

    private RequestPatternBuilder postsOf(String replyId) {
        return postRequestedFor(urlPathMatching(repliesPath))
                .withRequestBody(containing(TeamsReplyRenderer.MARKER_PREFIX + replyId + ":"));
    }

    private String scenarioState() {
        return graph.getAllScenarios().getScenarios().stream().filter(s -> s.getName().equals("thread")).findFirst()
                .orElseThrow().getState();
    }

    private String graphBaseUrl() {
        return "http://127.0.0.1:" + graph.port() + "/v1.0";
    }

    // --- the connector in its own JVM ----------------------------------------------------------------------

    private Process startChild() throws IOException {
        Path log = dir.resolve("graph-sink-process.log");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), GraphSinkProcess.class.getName(),
                broker.bootstrapServers(), graphBaseUrl(), group);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    // --- Kafka ------------------------------------------------------------------------------------------------

    private ReplyEvent reply(String replyId) {
        return new ReplyEvent(replyId, TENANT, CHANNEL + ";messageid=" + rootMessageId, "msg-" + replyId,
                ReplyKind.TRANSLATION, "de", List.of(new Translation("en", "Can we discuss the release tomorrow?")),
                "primary", "gpt-4o-mini", new Usage(41, 23, new BigDecimal("0.000021")),
                Instant.now().truncatedTo(ChronoUnit.MILLIS), ConversationType.CHANNEL, TEAM, CHANNEL, rootMessageId,
                "https://smba.trafficmanager.net/emea/", Instant.now().minusMillis(250), null);
    }

    private void send(ReplyEvent reply) throws Exception {
        try (KafkaProducer<String, ReplyEvent> producer = new KafkaProducer<>(clients.properties("crash-test"),
                Topics.REPLIES.keySerde().serializer(), Topics.REPLIES.valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(Topics.REPLIES.name(), reply.conversationId(), reply)).get();
        }
    }

    /** The latest ledger entry for {@code replyId}. */
    private Optional<ReplyLedgerEntry> ledger(String replyId) {
        Optional<ReplyLedgerEntry> latest = Optional.empty();
        for (ConsumerRecord<String, ReplyLedgerEntry> record : readAll(Topics.REPLY_LEDGER.name(),
                Topics.REPLY_LEDGER.valueSerde().deserializer())) {
            if (replyId.equals(record.key())) {
                latest = Optional.ofNullable(record.value());
            }
        }
        return latest;
    }

    private Optional<TelemetryEvent> posted(String replyId) {
        return readAll(Topics.TELEMETRY.name(), Topics.TELEMETRY.valueSerde().deserializer()).stream()
                .map(ConsumerRecord::value)
                .filter(event -> TelemetryEvent.Types.REPLY_POSTED.equals(event.type())
                        && replyId.equals(event.attributes().get("replyId")))
                .findFirst();
    }

    /** Everything {@code topic} holds now. */
    private <V> List<ConsumerRecord<String, V>> readAll(String topic, Deserializer<V> values) {
        Map<String, Object> props = clients.properties("crash-test-reader");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props,
                Topics.REPLY_LEDGER.keySerde().deserializer(), values)) {
            var partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            var end = consumer.endOffsets(partitions);
            List<ConsumerRecord<String, V>> records = new ArrayList<>();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    private String childLog() {
        try {
            return Files.readString(dir.resolve("graph-sink-process.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
