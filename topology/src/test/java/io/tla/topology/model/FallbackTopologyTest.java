package io.tla.topology.model;

import static io.tla.topology.TopologyHarness.message;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.topology.TopologyHarness;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The translation topology with the configured chain of two local OpenAI-compatible servers. */
class FallbackTopologyTest {

    @TempDir
    Path stateDir;

    private final LocalChatServer primary = new LocalChatServer().start();
    private final LocalChatServer backup = new LocalChatServer().start();

    @AfterEach
    void stop() {
        primary.close();
        backup.close();
    }

    private Map<String, String> config() {
        Map<String, String> keys = new HashMap<>(Map.of("model.providers", "primary,backup",
                "translation.target-languages", "en"));
        for (String name : List.of("primary", "backup")) {
            keys.put("model.provider." + name + ".type", "openai");
            keys.put("model.provider." + name + ".base-url", (name.equals("primary") ? primary : backup).url("/v1"));
            keys.put("model.provider." + name + ".model", name + "-model");
            keys.put("model.provider." + name + ".max-attempts", "1");
        }
        return keys;
    }

    /** Drives the wall clock until a reply is out: the providers answer on the HTTP client's threads. */
    private static ReplyEvent awaitReply(TopologyHarness harness) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (harness.replies.isEmpty() && System.nanoTime() < deadline) {
            harness.driver.advanceWallClockTime(Duration.ofMillis(20));
            Thread.sleep(20);
        }
        return harness.replies.readValue();
    }

    @Test
    void aFailingPrimaryIsPassedOverAndTheReplyComesFromTheBackup() throws Exception {
        primary.enqueue(ChatCompletions.status(500));
        backup.enqueue(ChatCompletions.translated("en", "Good morning, how are you all today?"));
        Map<String, String> config = config();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ModelProvider chain = ModelProviders.chain(ChatCompletions.config(config), new ChatCompletions.Secrets(), meters);

        try (TopologyHarness harness = new TopologyHarness(stateDir, config, chain)) {
            harness.send(message("tenant-a", "conv-a", "a1", "Guten Morgen, wie geht es euch allen heute?"));
            ReplyEvent reply = awaitReply(harness);

            assertThat(reply.kind()).isEqualTo(ReplyKind.TRANSLATION);
            assertThat(reply.provider()).isEqualTo("backup");
            assertThat(reply.translations().get(0).text()).isEqualTo("Good morning, how are you all today?");
            List<TelemetryEvent> telemetry = new ArrayList<>(harness.telemetry.readValuesToList());
            assertThat(telemetry).filteredOn(e -> e.type().equals(TelemetryEvent.Types.MODEL_FALLBACK))
                    .singleElement().satisfies(e -> assertThat(e.attributes()).containsEntry("from", "primary")
                            .containsEntry("to", "backup").containsEntry("reason", "http-500"));
            assertThat(meters.get(FallbackModelProvider.FALLBACKS_METER).tags("from", "primary", "to", "backup",
                    "reason", "http-500").counter().count()).isEqualTo(1);
        }
    }

    @Test
    void whenEveryProviderFailsTheReplySaysFailedAndTheMessageIsDeadLetteredWithItsReason() throws Exception {
        primary.enqueue(ChatCompletions.status(503));
        backup.enqueue(ChatCompletions.status(500));
        Map<String, String> config = config();
        ModelProvider chain = chain(config);

        try (TopologyHarness harness = new TopologyHarness(stateDir, config, chain)) {
            harness.send(message("tenant-a", "conv-a", "a1", "Guten Morgen, wie geht es euch allen heute?"));
            ReplyEvent reply = awaitReply(harness);

            assertThat(reply.kind()).isEqualTo(ReplyKind.FAILED);
            assertThat(harness.telemetry.readValuesToList())
                    .filteredOn(e -> e.type().equals(TelemetryEvent.Types.MODEL_FALLBACK))
                    .extracting(e -> e.attributes().get("to")).containsExactly("backup", "none");
            TestOutputTopic<String, NormalizedMessage> deadLetters = deadLetters(harness);
            TestRecord<String, NormalizedMessage> dead = deadLetters.readRecord();
            assertThat(dead.key()).isEqualTo("conv-a");
            assertThat(dead.value().messageId()).isEqualTo("a1");
            assertThat(header(dead, ErrorHeaders.STAGE)).isEqualTo("model-call");
            assertThat(header(dead, ErrorHeaders.REASON)).startsWith("all-providers-failed:");
            assertThat(header(dead, ErrorHeaders.CLASS)).endsWith("AllProvidersFailedException");
            assertThat(header(dead, ErrorHeaders.TOPIC)).endsWith("-messages-by-tenant-repartition");
            assertThat(deadLetters.isEmpty()).isTrue();
        }
    }

    @Test
    void aTenantWhosePolicyAllowsNoProviderGetsAFailedReplyAndIsDeadLetteredWithoutAnyCall() throws Exception {
        Map<String, String> config = config();
        config.put("model.provider.primary.regions", "us-east");
        config.put("model.provider.backup.regions", "us-west");
        config.put("tenant.tenant-a.allowed-regions", "eu-west");
        ModelProvider chain = ModelProviders.chain(ChatCompletions.config(config), new ChatCompletions.Secrets(),
                new SimpleMeterRegistry(), java.time.Clock.systemUTC(),
                io.tla.platform.config.ComplianceConfig.from(io.tla.platform.config.TlaConfig.of(config)));

        try (TopologyHarness harness = new TopologyHarness(stateDir, config, chain)) {
            harness.send(message("tenant-a", "conv-a", "a1", "Guten Morgen, wie geht es euch allen heute?"));
            ReplyEvent reply = awaitReply(harness);

            assertThat(reply.kind()).isEqualTo(ReplyKind.FAILED);
            assertThat(harness.telemetry.readValuesToList())
                    .filteredOn(e -> e.type().equals(TelemetryEvent.Types.MODEL_FALLBACK))
                    .extracting(e -> e.attributes().get("reason")).containsExactly("policy-region", "policy-region");
            TestOutputTopic<String, NormalizedMessage> deadLetters = deadLetters(harness);
            TestRecord<String, NormalizedMessage> dead = deadLetters.readRecord();
            assertThat(dead.value().messageId()).isEqualTo("a1");
            assertThat(header(dead, ErrorHeaders.REASON)).startsWith("all-providers-failed:");
            assertThat(primary.requestCount() + backup.requestCount()).isZero();
        }
    }

    @Test
    void aReplayedMessageThatFailsAgainKeepsItsReplayAttemptOnTheDeadLetterRecord() throws Exception {
        primary.enqueue(ChatCompletions.status(503));
        backup.enqueue(ChatCompletions.status(500));
        Map<String, String> config = config();
        ModelProvider chain = chain(config);

        try (TopologyHarness harness = new TopologyHarness(stateDir, config, chain)) {
            NormalizedMessage replayed = message("tenant-a", "conv-a", "a1", "Guten Morgen, wie geht es euch allen heute?");
            org.apache.kafka.common.header.internals.RecordHeaders headers =
                    new org.apache.kafka.common.header.internals.RecordHeaders();
            headers.add(ErrorHeaders.REPLAY_ATTEMPT, "2".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            harness.messages.pipeInput(new TestRecord<>(replayed.conversationId(), replayed, headers,
                    TopologyHarness.NOW));
            assertThat(awaitReply(harness).kind()).isEqualTo(ReplyKind.FAILED);

            TestRecord<String, NormalizedMessage> dead = deadLetters(harness).readRecord();
            assertThat(header(dead, ErrorHeaders.REPLAY_ATTEMPT)).isEqualTo("2");
        }
    }

    /** The chain of the two local servers, without a compliance policy. */
    private static ModelProvider chain(Map<String, String> config) {
        return ModelProviders.chain(ChatCompletions.config(config), new ChatCompletions.Secrets(),
                new SimpleMeterRegistry());
    }

    private static TestOutputTopic<String, NormalizedMessage> deadLetters(TopologyHarness harness) {
        return harness.driver.createOutputTopic(Topics.MESSAGES_DLQ.name(), Serdes.String().deserializer(),
                Topics.MESSAGES.valueSerde().deserializer());
    }

    private static String header(TestRecord<String, NormalizedMessage> record, String name) {
        return new String(record.headers().lastHeader(name).value(), java.nio.charset.StandardCharsets.UTF_8);
    }
}
