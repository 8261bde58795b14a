package io.tla.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.ContractSchema;
import io.tla.schemas.ConversationType;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Sender;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.topology.dedupe.DuplicateActivityFilter;
import io.tla.platform.config.ModelConfig;
import io.tla.topology.model.ModelProviders;
import io.tla.platform.secrets.EnvSecretStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TranslationTopologyTest {

    private static final Instant NOW = Instant.parse("2026-11-25T10:15:30Z");
    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, NormalizedMessage> messages;
    private TestInputTopic<String, String> rawMessages;
    private TestOutputTopic<String, ReplyEvent> replies;
    private TestOutputTopic<String, TelemetryEvent> telemetry;
    private TestOutputTopic<byte[], byte[]> deadLetters;

    private void start(Map<String, String> config) {
        TopologySettings settings = TopologySettings.from(TlaConfig.of(config));
        Properties props = TopologyHarness.driverProperties(stateDir);
        driver = new TopologyTestDriver(TranslationTopology.buildTopology(settings,
                ModelProviders.chain(ModelConfig.from(TlaConfig.of(config)), new EnvSecretStore(Map.of()), new SimpleMeterRegistry()),
                Clock.fixed(NOW, ZoneOffset.UTC), new SimpleMeterRegistry(), Runnable::run), props, NOW);
        messages = driver.createInputTopic(Topics.MESSAGES.name(), Serdes.String().serializer(),
                Topics.MESSAGES.valueSerde().serializer());
        rawMessages = driver.createInputTopic(Topics.MESSAGES.name(), Serdes.String().serializer(),
                Serdes.String().serializer());
        replies = driver.createOutputTopic(Topics.REPLIES.name(), Serdes.String().deserializer(),
                Topics.REPLIES.valueSerde().deserializer());
        telemetry = driver.createOutputTopic(Topics.TELEMETRY.name(), Serdes.String().deserializer(),
                Topics.TELEMETRY.valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(Topics.MESSAGES_DLQ.name(), Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private static NormalizedMessage message(String tenant, String conversation, String id, String text) {
        return new NormalizedMessage(id, tenant, conversation, ConversationType.CHANNEL,
                new Sender("29:1abc", "Anna Müller", "aad-anna"), text, "team-aad-1", "19:chan@thread.tacv2",
                "1700000000000", "https://smba.trafficmanager.net/emea/", NOW.minusMillis(40));
    }

    private void send(NormalizedMessage message) {
        messages.pipeInput(message.conversationId(), message, NOW);
    }

    @Test
    void shouldReplyWithALabelledOfflineTranslationPerTargetLanguageAndEmitTelemetry() {
        start(Map.of("translation.target-languages", "en,fr"));
        send(message(TENANT, "19:chan@thread.tacv2;messageid=1700000000000", "m-1", "Guten Morgen, wie geht es?"));

        List<TestRecord<String, ReplyEvent>> out = replies.readRecordsToList();
        assertThat(out).hasSize(1);
        ReplyEvent reply = out.get(0).value();
        assertThat(out.get(0).key()).isEqualTo("19:chan@thread.tacv2;messageid=1700000000000");
        assertThat(reply.kind()).isEqualTo(ReplyKind.TRANSLATION);
        assertThat(reply.replyToId()).isEqualTo("m-1");
        assertThat(reply.provider()).isEqualTo("offline");
        assertThat(reply.translations()).extracting(t -> t.language()).containsExactly("en", "fr");
        assertThat(reply.translations()).allSatisfy(t -> assertThat(t.text()).startsWith("[offline → ")
                .endsWith("Guten Morgen, wie geht es?"));
        assertThat(reply.teamAadGroupId()).isEqualTo("team-aad-1");
        assertThat(ContractSchema.REPLY_EVENT.violationsOf(reply)).isEmpty();

        // one event for the message, sent where its path ended, with what every stage observed by type name
        List<TestRecord<String, TelemetryEvent>> events = telemetry.readRecordsToList();
        assertThat(events).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo(TENANT);
            assertThat(r.value().type()).isEqualTo(TelemetryEvent.Types.MESSAGE_PROCESSED);
            assertThat(r.value().eventId()).isEqualTo("message.processed:" + TENANT + ":m-1");
            assertThat(ContractSchema.TELEMETRY_EVENT.violationsOf(r.value())).isEmpty();
            assertThat(r.value().attributes()).containsOnlyKeys("budget.decision", "context.retrieved", "model.call",
                    "reply.emitted");
        });
        TelemetryEvent processed = events.get(0).value();
        assertThat(processed.facts("model.call").orElseThrow()).containsEntry("provider", "offline")
                .containsEntry("outcome", "ok");
        assertThat(processed.facts("reply.emitted").orElseThrow()).containsEntry("replyId", reply.replyId());
        // read back per type, the facts are the separate events the stages used to send, ids included
        assertThat(processed.perType()).extracting(TelemetryEvent::eventId).containsExactlyInAnyOrder(
                "budget.decision:" + TENANT + ":m-1", "context.retrieved:" + TENANT + ":m-1",
                "model.call:" + TENANT + ":m-1", "reply.emitted:" + TENANT + ":m-1");
        assertThat(processed.perType()).allSatisfy(e -> {
            assertThat(e.at()).isEqualTo(NOW);
            assertThat(e.attributes()).doesNotContainKey("at");
        });
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void shouldSendOneTelemetryEventPerMessageWhicheverWayItsPathEnds() {
        start(Map.of("translation.target-languages", "en",
                "tenant.tenant-refused.budget.daily-tokens", "1",
                "tenant.tenant-pii.pii-policy", "refuse",
                "tenant.tenant-skipped.target-languages", "de"));
        send(message(TENANT, "conv-1", "m-translated", "Guten Morgen, wie geht es euch allen heute?"));
        send(message("tenant-refused", "conv-2", "m-refused", "Guten Morgen, wie geht es euch allen heute?"));
        send(message("tenant-pii", "conv-3", "m-pii", "Schreib mir an anna.mueller@example.com bitte"));
        send(message("tenant-skipped", "conv-4", "m-skipped", "Guten Morgen, wie geht es euch allen heute?"));

        List<TelemetryEvent> events = telemetry.readValuesToList().stream()
                .filter(e -> !e.type().equals(TelemetryEvent.Types.BUDGET_THRESHOLD)).toList();
        assertThat(events).extracting(TelemetryEvent::type).containsOnly(TelemetryEvent.Types.MESSAGE_PROCESSED);
        assertThat(events).extracting(TelemetryEvent::messageId)
                .containsExactlyInAnyOrder("m-translated", "m-refused", "m-pii", "m-skipped");
        Map<String, java.util.Set<String>> factsByMessage = new java.util.HashMap<>();
        events.forEach(e -> factsByMessage.put(e.messageId(), e.attributes().keySet()));
        assertThat(factsByMessage).containsEntry("m-translated",
                        java.util.Set.of("budget.decision", "context.retrieved", "model.call", "reply.emitted"))
                .containsEntry("m-refused", java.util.Set.of("budget.decision", "reply.emitted"))
                .containsEntry("m-pii", java.util.Set.of("budget.decision", "pii.detected", "reply.emitted"))
                .containsEntry("m-skipped",
                        java.util.Set.of("budget.decision", "context.retrieved", "translation.skipped"));
    }

    @Test
    void shouldSendAPoisonRecordToTheDeadLetterTopicWithHeadersAndKeepProcessing() {
        start(Map.of());
        rawMessages.pipeInput("conv-1", "{\"this is\": not json", NOW);
        send(message(TENANT, "conv-1", "m-2", "Hallo"));

        List<TestRecord<byte[], byte[]>> dead = deadLetters.readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("{\"this is\": not json");
        assertThat(new String(dead.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("conv-1");
        assertThat(header(dead.get(0), ErrorHeaders.CLASS)).contains("Exception");
        assertThat(header(dead.get(0), ErrorHeaders.STAGE)).isEqualTo("deserialize");
        assertThat(header(dead.get(0), ErrorHeaders.TOPIC)).isEqualTo(Topics.MESSAGES.name());
        assertThat(header(dead.get(0), ErrorHeaders.OFFSET)).isEqualTo("0");
        assertThat(header(dead.get(0), ErrorHeaders.PARTITION)).isEqualTo("0");
        assertThat(header(dead.get(0), ErrorHeaders.MESSAGE)).isNotBlank();

        assertThat(replies.readValuesToList()).extracting(ReplyEvent::replyToId).containsExactly("m-2");
    }

    @Test
    void shouldDeadLetterATombstoneFromTheProcessorThatFailedAndKeepProcessing() {
        start(Map.of());
        rawMessages.pipeInput("conv-1", null, NOW);
        send(message(TENANT, "conv-1", "m-3", "Hallo"));

        List<TestRecord<byte[], byte[]>> dead = deadLetters.readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(header(dead.get(0), ErrorHeaders.STAGE)).isEqualTo("key-by-tenant");
        assertThat(header(dead.get(0), ErrorHeaders.CLASS)).isEqualTo(NullPointerException.class.getName());
        assertThat(replies.readValuesToList()).extracting(ReplyEvent::replyToId).containsExactly("m-3");
    }

    @Test
    void shouldTellTheSenderWithAFailedReplyWhenTheirMessageCannotBeProcessed() {
        start(Map.of());
        // addressable (ids present) but unreadable as a message: no text
        rawMessages.pipeInput("conv-1", """
                {"messageId":"m-bad","tenantId":"%s","conversationId":"conv-1","conversationType":"groupChat",
                 "from":{"id":"29:1"},"receivedAt":"2026-11-25T10:15:29Z"}
                """.formatted(TENANT), NOW);
        send(message(TENANT, "conv-2", "m-ok", "Hallo"));

        assertThat(deadLetters.readRecordsToList()).hasSize(1);
        List<ReplyEvent> out = replies.readValuesToList();
        assertThat(out).extracting(r -> r.replyToId() + ":" + r.kind().wireName())
                .containsExactly("m-bad:failed", "m-ok:translation");
        assertThat(out.get(0).conversationId()).isEqualTo("conv-1");
        assertThat(ContractSchema.REPLY_EVENT.violationsOf(out.get(0))).isEmpty();
    }

    @Test
    void shouldAnswerARepeatedActivityOnlyOnce() {
        start(Map.of());
        NormalizedMessage first = message(TENANT, "conv-1", "m-dup", "Hallo");
        send(first);
        send(first);

        assertThat(replies.readValuesToList()).hasSize(1);
    }

    @Test
    void shouldForgetSeenActivitiesOnceTheDuplicateWindowHasPassed() {
        start(Map.of());
        send(message(TENANT, "conv-1", "m-old", "Hallo"));
        assertThat(driver.<String, Long>getKeyValueStore(DuplicateActivityFilter.SEEN_ACTIVITIES_STORE)
                .get(TENANT + "|m-old")).isNotNull();

        driver.advanceWallClockTime(Duration.ofHours(25));

        assertThat(driver.<String, Long>getKeyValueStore(DuplicateActivityFilter.SEEN_ACTIVITIES_STORE)
                .get(TENANT + "|m-old")).isNull();
    }

    @Test
    void shouldTreatTheSameActivityIdOfAnotherTenantAsANewMessage() {
        start(Map.of());
        send(message(TENANT, "conv-1", "m-same", "Hallo"));
        send(message("other-tenant", "conv-9", "m-same", "Hallo"));

        assertThat(replies.readValuesToList()).extracting(ReplyEvent::tenantId).containsExactly(TENANT, "other-tenant");
    }

    @Test
    void shouldSendEarlierTurnsOfTheSameConversationAndNeverAnotherTenantsTurns() {
        start(Map.of("context.turns", "8"));
        send(message(TENANT, "19:shared@thread.v2", "m-1", "Erste Nachricht"));
        send(message(TENANT, "19:shared@thread.v2", "m-2", "Zweite Nachricht"));
        send(message("tenant-b", "19:shared@thread.v2", "m-3", "Fremde Nachricht"));
        send(message(TENANT, "19:other@thread.v2", "m-4", "Andere Unterhaltung"));

        Map<String, Object> turnsByMessage = new java.util.HashMap<>();
        telemetry.readValuesToList().stream().flatMap(e -> e.perType().stream())
                .filter(e -> e.type().equals("context.retrieved"))
                .forEach(e -> turnsByMessage.put(e.messageId(), e.attributes().get("turns")));
        assertThat(turnsByMessage).containsEntry("m-1", 0).containsEntry("m-2", 1)
                .containsEntry("m-3", 0).containsEntry("m-4", 0);
    }

    @Test
    void shouldBoundTheTurnsSentToTheConfiguredNumber() {
        start(Map.of("context.turns", "2"));
        for (int i = 1; i <= 5; i++) {
            send(message(TENANT, "conv-1", "m-" + i, "Nachricht " + i));
        }
        List<Object> turns = telemetry.readValuesToList().stream().flatMap(e -> e.perType().stream())
                .filter(e -> e.type().equals("context.retrieved"))
                .map(e -> e.attributes().get("turns")).toList();
        assertThat(turns).containsExactly(0, 1, 2, 2, 2);
    }

    private static String header(TestRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
