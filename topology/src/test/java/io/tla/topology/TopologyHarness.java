package io.tla.topology;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.ConversationType;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.Sender;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.topology.errors.DeadLetterHandler;
import io.tla.topology.model.ModelProvider;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/** The whole topology under {@link TopologyTestDriver}, with typed topics, for stage tests. */
public final class TopologyHarness implements AutoCloseable {

    public static final Instant NOW = Instant.parse("2026-11-25T10:15:30Z");

    public final TopologyTestDriver driver;
    public final TestInputTopic<String, NormalizedMessage> messages;
    public final TestOutputTopic<String, ReplyEvent> replies;
    public final TestOutputTopic<String, TelemetryEvent> telemetry;
    public final TestInputTopic<String, io.tla.schemas.GlossaryEntry> glossary;

    public TopologyHarness(Path stateDir, Map<String, String> config, ModelProvider provider) {
        Properties props = driverProperties(stateDir);
        TopologySettings settings = TopologySettings.from(TlaConfig.of(config));
        driver = new TopologyTestDriver(TranslationTopology.buildTopology(settings, provider,
                Clock.fixed(NOW, ZoneOffset.UTC), new SimpleMeterRegistry(), Runnable::run), props, NOW);
        messages = driver.createInputTopic(Topics.MESSAGES.name(), Serdes.String().serializer(),
                Topics.MESSAGES.valueSerde().serializer());
        replies = driver.createOutputTopic(Topics.REPLIES.name(), Serdes.String().deserializer(),
                Topics.REPLIES.valueSerde().deserializer());
        telemetry = driver.createOutputTopic(Topics.TELEMETRY.name(), Serdes.String().deserializer(),
                Topics.TELEMETRY.valueSerde().deserializer());
        glossary = driver.createInputTopic(Topics.GLOSSARY.name(), Serdes.String().serializer(),
                Topics.GLOSSARY.valueSerde().serializer());
    }

    public void define(io.tla.schemas.GlossaryEntry entry) {
        glossary.pipeInput(entry.storeKey(), entry, NOW);
    }

    /** Streams properties of a test driver: named internal resources enforced, the product's dead-letter handler. */
    public static Properties driverProperties(Path stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "tla-streams-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        return props;
    }

    public static NormalizedMessage message(String tenant, String conversation, String id, String text) {
        return new NormalizedMessage(id, tenant, conversation, ConversationType.GROUP_CHAT,
                new Sender("29:1abc", "Anna Müller", "aad-anna"), text, null, null, null,
                "https://smba.trafficmanager.net/emea/", NOW.minusMillis(40));
    }

    public void send(NormalizedMessage message) {
        messages.pipeInput(message.conversationId(), message, NOW);
    }

    @Override
    public void close() {
        driver.close();
    }
}
