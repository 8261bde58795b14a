package io.tla.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.config.ComplianceConfig;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.StreamsSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.schemas.ContractSchema;
import io.tla.schemas.Json;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topic;
import io.tla.schemas.Topics;
import io.tla.topology.budget.BudgetGuard;
import io.tla.topology.budget.BudgetLimit;
import io.tla.topology.budget.BudgetRefusals;
import io.tla.topology.compliance.PiiRefusals;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ModelProviders;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The budget guard's monthly token limit and the personal-data guard's refusal, with the whole topology running as
 * the application runs it ({@link TranslationStreamsApp}, exactly-once) on a real broker: messages in on
 * {@code teams.messages.v1}, replies and telemetry read back, committed, from {@code teams.replies.v1} and
 * {@code tla.telemetry.v1}.
 */
class GuardsOnBrokerTest {

    private static final String CAPPED = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final String PRIVATE = "0a9b8c7d-1e2f-4a5b-8c9d-0e1f2a3b4c5d";
    private static final String GREETING = "Guten Morgen zusammen, wie geht es euch heute?";
    private static final String IBAN = "DE89 3704 0044 0532 0130 00";

    @TempDir
    Path dir;

    @Test
    void aMonthlyTokenLimitRefusesWithTheBudgetReplyAndAnIbanIsRefusedInTheSendersLanguage() throws Exception {
        // each message of GREETING reserves its 12 tokens, 400 for the prompt around it and 100 of output; the
        // capped tenant's month holds exactly one reservation and a token more: the first message reaches 80 %,
        // the second would pass 100 % whatever the first settled to
        long reserved = Tokens.estimate(GREETING) + 400 + 100;
        TlaConfig config = TlaConfig.of(Map.of(
                "context.turns", "0",
                "model.max-output-tokens", "100",
                "tenant." + CAPPED + ".budget.monthly-tokens", String.valueOf(reserved + 1),
                "tenant." + PRIVATE + ".pii-policy", "refuse"));

        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
             TlaMetrics metrics = new TlaMetrics()) {
            KafkaClients clients = new KafkaClients(broker.bootstrapServers(), Map.of());
            TopicAdmin.ensureTopics(clients, Topics.REQUIRED, 1, (short) 1, Duration.ofSeconds(30));
            ModelProvider model = ModelProviders.chain(ModelConfig.from(config), new EnvSecretStore(Map.of()),
                    metrics.registry(), Clock.systemUTC(), ComplianceConfig.from(config));
            TranslationStreamsApp app = new TranslationStreamsApp(
                    TranslationTopology.buildTopology(TopologySettings.from(config), model, Clock.systemUTC(),
                            metrics.registry()),
                    new StreamsSettings("guards-on-broker-test", StreamsConfig.EXACTLY_ONCE_V2, 1, 100), clients,
                    dir.resolve("state"), metrics, new Health());
            try {
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(60))).as("RUNNING within 60 s").isTrue();
                send(clients, TopologyHarness.message(CAPPED, "conv-a", "a1", GREETING));
                send(clients, TopologyHarness.message(CAPPED, "conv-b", "a2", GREETING));
                send(clients, TopologyHarness.message(PRIVATE, "conv-c", "p1",
                        "Hallo zusammen, bitte überweist die Kaution bis Freitag auf mein Konto " + IBAN + "."));

                List<ReplyEvent> replies = read(clients, Topics.REPLIES, 3, r -> true);
                List<TelemetryEvent> telemetry = read(clients, Topics.TELEMETRY, 2,
                        e -> e.type().equals(BudgetGuard.THRESHOLD_EVENT)
                                && e.attributes().get("limit").equals("monthly-tokens"));

                ReplyEvent first = reply(replies, "a1");
                ReplyEvent second = reply(replies, "a2");
                ReplyEvent refusedIban = reply(replies, "p1");
                assertThat(first.kind()).isEqualTo(ReplyKind.TRANSLATION);
                assertThat(second.kind()).isEqualTo(ReplyKind.BUDGET_EXCEEDED);
                assertThat(second.translations()).singleElement().satisfies(t -> {
                    assertThat(t.language()).isEqualTo("de");
                    assertThat(t.text()).isEqualTo(BudgetRefusals.refusal("de", BudgetLimit.MONTHLY_TOKENS).text());
                });

                List<TelemetryEvent> thresholds = telemetry.stream()
                        .filter(e -> e.type().equals(BudgetGuard.THRESHOLD_EVENT)).toList();
                assertThat(thresholds).extracting(e -> e.attributes().get("threshold"), TelemetryEvent::messageId)
                        .containsExactly(tuple(0.8, "a1"), tuple(1.0, "a2"));
                assertThat(thresholds).allSatisfy(e -> {
                    assertThat(e.tenantId()).isEqualTo(CAPPED);
                    assertThat(e.eventId()).isEqualTo("budget.threshold:" + CAPPED + ":monthly-tokens:"
                            + e.attributes().get("period") + ":" + e.attributes().get("threshold"));
                    assertThat(e.attributes()).containsEntry("limitValue", (int) (reserved + 1));
                    assertThat(ContractSchema.TELEMETRY_EVENT.violationsOf(e)).isEmpty();
                });

                assertThat(refusedIban.kind()).isEqualTo(ReplyKind.FAILED);
                assertThat(refusedIban.sourceLanguage()).isEqualTo("de");
                assertThat(refusedIban.translations())
                        .containsExactly(PiiRefusals.refusal("de", List.of("iban")));
                assertThat(ContractSchema.REPLY_EVENT.violationsOf(refusedIban)).isEmpty();
                // the account number is on no topic the guards wrote
                Predicate<TelemetryEvent> ofPrivate = e -> e.tenantId().equals(PRIVATE);
                List<TelemetryEvent> privateEvents = read(clients, Topics.TELEMETRY, 1, ofPrivate).stream()
                        .filter(ofPrivate).toList();
                assertThat(privateEvents).singleElement().satisfies(e -> assertThat(e.facts("pii.detected")
                        .orElseThrow()).containsEntry("rules", List.of("iban")).containsEntry("action", "refused"));
                assertThat(Json.mapper().writeValueAsString(replies) + Json.mapper().writeValueAsString(privateEvents))
                        .doesNotContain("3704").doesNotContain("0532");
            } finally {
                app.close();
            }
        }
    }

    private static ReplyEvent reply(List<ReplyEvent> replies, String messageId) {
        return replies.stream().filter(r -> r.replyToId().equals(messageId)).findFirst()
                .orElseThrow(() -> new AssertionError("no reply to " + messageId + " in " + replies));
    }

    private static void send(KafkaClients clients, NormalizedMessage message) throws Exception {
        try (KafkaProducer<String, NormalizedMessage> producer = new KafkaProducer<>(clients.properties("guards-test"),
                Serdes.String().serializer(), Topics.MESSAGES.valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(Topics.MESSAGES.name(), message.conversationId(), message)).get();
        }
    }

    /**
     * Reads {@code topic} from the start, committed records only, until {@code wanted} of them match {@code which};
     * returns every record read. Waits for the outcome (generous bound), never for a time.
     */
    private static <T> List<T> read(KafkaClients clients, Topic<String, T> topic, int wanted,
                                    Predicate<T> which) {
        Map<String, Object> props = clients.properties("guards-test-reader");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "guards-test-" + topic.name() + "-" + System.nanoTime());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<T> all = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        try (KafkaConsumer<String, T> consumer = new KafkaConsumer<>(props, Serdes.String().deserializer(),
                topic.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topic.name()));
            while (all.stream().filter(which).count() < wanted) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("not " + wanted + " matching records on " + topic.name() + " within 90 s: "
                            + all);
                }
                for (ConsumerRecord<String, T> record : consumer.poll(Duration.ofMillis(200))) {
                    all.add(record.value());
                }
            }
        }
        return all;
    }
}
