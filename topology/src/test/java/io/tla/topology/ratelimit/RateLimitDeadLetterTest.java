package io.tla.topology.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.ConversationType;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Sender;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.schemas.Usage;
import io.tla.topology.TopologyHarness;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationTopology;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A message the rate limit released from its punctuator has no input record behind it any more: when a later
 * stage fails on it, the dead-letter record still carries the message (as JSON, under its conversation) and the
 * sender still gets a failed reply, so nothing is lost and replay can bring it back.
 */
class RateLimitDeadLetterTest {

    private static final String BROKEN_CHANNEL = "19:broken@thread.tacv2";

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void aReleasedMessageThatFailsLaterIsDeadLetteredAsItsMessageWithAFailedReply() {
        TopologySettings settings = TopologySettings.from(TlaConfig.of(Map.of("rate-limit.requests-per-minute", "1")))
                .withToneFor((tenant, channel) -> {
                    if (BROKEN_CHANNEL.equals(channel)) {
                        throw new IllegalStateException("tone lookup failed");
                    }
                    return "business";
                });
        driver = new TopologyTestDriver(TranslationTopology.buildTopology(settings,
                RateLimitTopologyTest.billing(new Usage(2, 100, BigDecimal.ZERO)),
                Clock.fixed(TopologyHarness.NOW, ZoneOffset.UTC), new SimpleMeterRegistry(), Runnable::run),
                TopologyHarness.driverProperties(stateDir), TopologyHarness.NOW);
        TestInputTopic<String, NormalizedMessage> messages = driver.createInputTopic(Topics.MESSAGES.name(),
                Serdes.String().serializer(), Topics.MESSAGES.valueSerde().serializer());
        NormalizedMessage first = TopologyHarness.message("tenant-a", "conv-1", "m-1", "Hallo zusammen");
        NormalizedMessage held = new NormalizedMessage("m-2", "tenant-a", "19:broken@thread.tacv2;messageid=17",
                ConversationType.CHANNEL, new Sender("29:1abc", "Anna Müller", "aad-anna"), "Guten Morgen",
                "team-aad-1", BROKEN_CHANNEL, "17", "https://smba.trafficmanager.net/emea/", TopologyHarness.NOW);
        messages.pipeInput(first.conversationId(), first, TopologyHarness.NOW);
        messages.pipeInput(held.conversationId(), held, TopologyHarness.NOW);

        driver.advanceWallClockTime(Duration.ofSeconds(60));

        List<TestRecord<byte[], byte[]>> dead = driver.createOutputTopic(Topics.MESSAGES_DLQ.name(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer()).readRecordsToList();
        assertThat(dead).singleElement().satisfies(record -> {
            assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo(held.conversationId());
            assertThat(Topics.MESSAGES.valueSerde().deserializer().deserialize(Topics.MESSAGES.name(), record.value()))
                    .isEqualTo(held);
            assertThat(new String(record.headers().lastHeader(ErrorHeaders.CLASS).value(), StandardCharsets.UTF_8))
                    .isEqualTo(IllegalStateException.class.getName());
        });
        List<ReplyEvent> replies = driver.createOutputTopic(Topics.REPLIES.name(), Serdes.String().deserializer(),
                Topics.REPLIES.valueSerde().deserializer()).readValuesToList();
        assertThat(replies).extracting(r -> r.replyToId() + ":" + r.kind().wireName())
                .containsExactly("m-1:" + ReplyKind.TRANSLATION.wireName(), "m-2:" + ReplyKind.FAILED.wireName());
        // its path ended in the failure: its one event carries what the stages before saw, the release included
        List<TelemetryEvent> telemetry = driver.createOutputTopic(Topics.TELEMETRY.name(),
                Serdes.String().deserializer(), Topics.TELEMETRY.valueSerde().deserializer()).readValuesToList();
        assertThat(telemetry).filteredOn(e -> "m-2".equals(e.messageId())).singleElement()
                .satisfies(e -> assertThat(e.facts(TelemetryEvent.Types.RATE_LIMIT).orElseThrow())
                        .containsEntry("decision", "released"));
    }
}
