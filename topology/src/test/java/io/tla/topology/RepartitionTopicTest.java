package io.tla.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Topics;
import io.tla.topology.model.OfflineModelProvider;
import io.tla.topology.serde.BinarySerde;
import io.tla.topology.serde.CompactSerdes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The by-tenant repartition topic carries messages in the topology's binary form; what leaves it is JSON again. */
class RepartitionTopicTest {

    private static final String REPARTITION = "tla-streams-test-messages-by-tenant-repartition";

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, NormalizedMessage> messages;

    private void start(BiFunction<String, String, String> toneFor) {
        TopologySettings base = TopologySettings.from(TlaConfig.of(Map.of()));
        TopologySettings settings = base.withToneFor(toneFor);
        driver = new TopologyTestDriver(TranslationTopology.buildTopology(settings, new OfflineModelProvider("offline"),
                Clock.fixed(TopologyHarness.NOW, ZoneOffset.UTC), new SimpleMeterRegistry(), Runnable::run),
                TopologyHarness.driverProperties(stateDir), TopologyHarness.NOW);
        messages = driver.createInputTopic(Topics.MESSAGES.name(), Serdes.String().serializer(),
                Topics.MESSAGES.valueSerde().serializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void carriesEachMessageInBinaryUnderItsTenant() {
        start((tenant, channel) -> "business");
        NormalizedMessage message = TopologyHarness.message("tenant-a", "conv-1", "m-1", "Grüße aus Köln, 東京");
        messages.pipeInput("conv-1", message, TopologyHarness.NOW);

        List<TestRecord<byte[], byte[]>> hop = driver.createOutputTopic(REPARTITION, Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer()).readRecordsToList();

        assertThat(hop).singleElement().satisfies(record -> {
            assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("tenant-a");
            assertThat(record.value()[0]).isEqualTo(BinarySerde.FORMAT);
            assertThat(CompactSerdes.MESSAGE.decode(record.value())).isEqualTo(message);
        });
        assertThat(driver.createOutputTopic(Topics.REPLIES.name(), Serdes.String().deserializer(),
                Topics.REPLIES.valueSerde().deserializer()).readValuesToList())
                .extracting(ReplyEvent::replyToId).containsExactly("m-1");
    }

    @Test
    void deadLettersAFailureAfterTheRepartitionAsTheJsonMessageSoReplayCanPublishIt() {
        start((tenant, channel) -> {
            if (tenant.equals("tenant-broken")) {
                throw new IllegalStateException("tone lookup failed");
            }
            return "business";
        });
        NormalizedMessage broken = TopologyHarness.message("tenant-broken", "conv-9", "m-9", "Hallo zusammen");
        messages.pipeInput("conv-9", broken, TopologyHarness.NOW);
        messages.pipeInput("conv-1", TopologyHarness.message("tenant-a", "conv-1", "m-1", "Hallo"), TopologyHarness.NOW);

        List<TestRecord<byte[], byte[]>> dead = driver.createOutputTopic(Topics.MESSAGES_DLQ.name(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer()).readRecordsToList();
        assertThat(dead).singleElement().satisfies(record -> {
            assertThat(new String(record.headers().lastHeader(ErrorHeaders.TOPIC).value(), StandardCharsets.UTF_8))
                    .isEqualTo(REPARTITION);
            assertThat(Topics.MESSAGES.valueSerde().deserializer().deserialize(Topics.MESSAGES.name(), record.value()))
                    .isEqualTo(broken);
        });
        List<ReplyEvent> replies = driver.createOutputTopic(Topics.REPLIES.name(), Serdes.String().deserializer(),
                Topics.REPLIES.valueSerde().deserializer()).readValuesToList();
        assertThat(replies).extracting(r -> r.replyToId() + ":" + r.kind().wireName())
                .containsExactly("m-9:" + ReplyKind.FAILED.wireName(), "m-1:" + ReplyKind.TRANSLATION.wireName());
    }
}
