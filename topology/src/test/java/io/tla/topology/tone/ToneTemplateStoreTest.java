package io.tla.topology.tone;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.ConversationType;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.Sender;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.ToneTemplateEntry;
import io.tla.schemas.Topics;
import io.tla.topology.TopologyHarness;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationTopology;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ModelRequest;
import io.tla.topology.model.ModelResponse;
import io.tla.topology.model.OfflineModelProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole topology under {@link TopologyTestDriver}: records piped to {@code tla.tones.v1}, messages piped
 * through, the template each model request carried and the {@code model.call} fact read back.
 */
class ToneTemplateStoreTest {

    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final String CHANNEL = "19:d8a1c2e3f4b5a6978812ab34cd56ef78@thread.tacv2";
    private static final String OTHER_CHANNEL = "19:0000aaaa1111bbbb2222cccc3333dddd@thread.tacv2";
    private static final Instant AT = TopologyHarness.NOW;

    @TempDir
    Path stateDir;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final RecordingProvider provider = new RecordingProvider();
    private TopologyTestDriver driver;
    private TestInputTopic<String, NormalizedMessage> messages;
    private TestInputTopic<String, ToneTemplateEntry> tones;
    private TestInputTopic<String, byte[]> rawTones;
    private TestOutputTopic<String, TelemetryEvent> telemetry;
    private TestOutputTopic<String, ReplyEvent> replies;
    private int sent;

    /** The offline provider, remembering every request it was sent. */
    static final class RecordingProvider implements ModelProvider {
        final OfflineModelProvider offline = new OfflineModelProvider("offline");
        final List<ModelRequest> requests = new CopyOnWriteArrayList<>();

        @Override
        public String name() {
            return offline.name();
        }

        @Override
        public CompletionStage<ModelResponse> translate(ModelRequest request) {
            requests.add(request);
            return offline.translate(request);
        }
    }

    private void start(Map<String, String> config) {
        TopologySettings settings = TopologySettings.from(TlaConfig.of(config));
        driver = new TopologyTestDriver(TranslationTopology.buildTopology(settings, provider,
                Clock.fixed(AT, ZoneOffset.UTC), meters, Runnable::run), TopologyHarness.driverProperties(stateDir), AT);
        messages = driver.createInputTopic(Topics.MESSAGES.name(), Serdes.String().serializer(),
                Topics.MESSAGES.valueSerde().serializer());
        tones = driver.createInputTopic(Topics.TONES.name(), Serdes.String().serializer(),
                Topics.TONES.valueSerde().serializer());
        rawTones = driver.createInputTopic(Topics.TONES.name(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        telemetry = driver.createOutputTopic(Topics.TELEMETRY.name(), Serdes.String().deserializer(),
                Topics.TELEMETRY.valueSerde().deserializer());
        replies = driver.createOutputTopic(Topics.REPLIES.name(), Serdes.String().deserializer(),
                Topics.REPLIES.valueSerde().deserializer());
    }

    private void start() {
        start(Map.of());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private void set(String channelId, String text) {
        ToneTemplateEntry entry = new ToneTemplateEntry(TENANT, channelId, text, AT);
        tones.pipeInput(entry.storeKey(), entry, AT);
    }

    private void remove(String channelId) {
        tones.pipeInput(ToneTemplateEntry.storeKey(TENANT, channelId), null, AT);
    }

    /** Sends a German message (a new conversation, a new text: no context, no cache hit) and returns what the model was asked. */
    private ModelRequest translate(String tenant, String channelId) {
        sent++;
        String conversation = channelId == null ? "19:chat-" + sent + "@unq.gbl.spaces"
                : channelId + ";messageid=" + (1000 + sent);
        NormalizedMessage message = new NormalizedMessage("m-" + sent, tenant, conversation,
                channelId == null ? ConversationType.GROUP_CHAT : ConversationType.CHANNEL,
                new Sender("29:1abc", "Anna Müller", "aad-anna"),
                "Guten Morgen, wie geht es euch allen heute? Nachricht Nummer " + sent + ".", null, channelId,
                channelId == null ? null : String.valueOf(1000 + sent), "https://smba.trafficmanager.net/emea/",
                AT.minusMillis(40));
        int before = provider.requests.size();
        messages.pipeInput(message.conversationId(), message, AT);
        assertThat(provider.requests).as("one model call for " + message.messageId()).hasSize(before + 1);
        return provider.requests.get(before);
    }

    /** The {@code toneTemplate} of the last message's {@code model.call} fact. */
    @SuppressWarnings("unchecked")
    private String lastToneTemplateFact() {
        List<TelemetryEvent> events = telemetry.readValuesToList().stream()
                .filter(event -> event.type().equals(TelemetryEvent.Types.MESSAGE_PROCESSED)).toList();
        assertThat(events).isNotEmpty();
        Map<String, Object> call = (Map<String, Object>) events.get(events.size() - 1).attributes()
                .get(TelemetryEvent.Types.MODEL_CALL);
        return (String) call.get("toneTemplate");
    }

    private double templatesGauge() {
        return meters.get(ToneTemplateStore.TEMPLATES_METER).gauge().value();
    }

    @Test
    void withoutAnyTemplateTheRequestCarriesNoneAndTelemetrySaysNone() {
        start();

        assertThat(translate(TENANT, CHANNEL).toneTemplate()).isNull();
        assertThat(lastToneTemplateFact()).isEqualTo("none");
        assertThat(replies.readValuesToList()).hasSize(1);
    }

    @Test
    void aChannelsTemplateWinsOverTheTenantsWhichAppliesEverywhereElse() {
        start();
        set(null, "Address readers formally.");
        set(CHANNEL, "Casual, first names, short sign-offs.");

        assertThat(translate(TENANT, CHANNEL).toneTemplate()).isEqualTo("Casual, first names, short sign-offs.");
        assertThat(lastToneTemplateFact()).isEqualTo("channel");
        assertThat(translate(TENANT, OTHER_CHANNEL).toneTemplate()).isEqualTo("Address readers formally.");
        assertThat(lastToneTemplateFact()).isEqualTo("tenant");
        assertThat(translate(TENANT, null).toneTemplate()).as("a chat has no channel").isEqualTo("Address readers formally.");
        assertThat(lastToneTemplateFact()).isEqualTo("tenant");
        assertThat(translate("another-tenant", CHANNEL).toneTemplate()).as("never another tenant's").isNull();
        assertThat(lastToneTemplateFact()).isEqualTo("none");
        assertThat(templatesGauge()).isEqualTo(2.0);
    }

    @Test
    void aTombstoneRemovesATemplateAndTheNextMessageFallsBack() {
        start();
        set(null, "Address readers formally.");
        set(CHANNEL, "Casual, first names.");
        assertThat(translate(TENANT, CHANNEL).toneTemplate()).isEqualTo("Casual, first names.");

        remove(CHANNEL);
        assertThat(translate(TENANT, CHANNEL).toneTemplate()).isEqualTo("Address readers formally.");
        assertThat(lastToneTemplateFact()).isEqualTo("tenant");
        assertThat(templatesGauge()).isEqualTo(1.0);

        remove(null);
        assertThat(translate(TENANT, CHANNEL).toneTemplate()).isNull();
        assertThat(lastToneTemplateFact()).isEqualTo("none");
        assertThat(templatesGauge()).isZero();
        KeyValueStore<String, ToneTemplateEntry> store = driver.getKeyValueStore(ToneTemplateStore.STORE);
        assertThat(store.approximateNumEntries()).isZero();

        remove(CHANNEL); // removing what is not there changes nothing
        assertThat(templatesGauge()).isZero();
    }

    @Test
    void aReplacedTemplateIsUsedForTheNextMessage() {
        start();
        set(null, "Formal.");
        assertThat(translate(TENANT, null).toneTemplate()).isEqualTo("Formal.");
        set(null, "Informal.");
        assertThat(translate(TENANT, null).toneTemplate()).isEqualTo("Informal.");
        assertThat(templatesGauge()).isEqualTo(1.0);
    }

    @Test
    void aChangedTemplateIsNotAnsweredFromTheCacheButTheSameTemplateIs() {
        start();
        set(null, "Formal.");
        String text = "Guten Morgen, wie geht es euch allen heute?";
        send("conv-1", text);
        send("conv-2", text);
        assertThat(provider.requests).as("same text, same template, no context: a cache hit").hasSize(1);

        set(null, "Informal.");
        send("conv-3", text);
        assertThat(provider.requests).hasSize(2);
        assertThat(provider.requests.get(1).toneTemplate()).isEqualTo("Informal.");

        remove(null);
        send("conv-4", text);
        assertThat(provider.requests).as("without a template, not the templated answer either").hasSize(3);
        assertThat(provider.requests.get(2).toneTemplate()).isNull();
    }

    private void send(String conversation, String text) {
        sent++;
        NormalizedMessage message = TopologyHarness.message(TENANT, conversation, "m-" + sent, text);
        messages.pipeInput(conversation, message, AT);
    }

    @Test
    void aTemplateOverTheLimitIsNotUsedAndCountedAndTheTenantsAppliesInstead() {
        Map<String, String> config = new HashMap<>(Map.of("tone.template-max-chars", "20"));
        start(config);
        set(null, "Formal.");
        set(CHANNEL, "x".repeat(21)); // as if produced to the topic directly: tla tone set refuses it

        assertThat(translate(TENANT, CHANNEL).toneTemplate()).isEqualTo("Formal.");
        assertThat(lastToneTemplateFact()).isEqualTo("tenant");
        assertThat(translate(TENANT, CHANNEL).toneTemplate()).isEqualTo("Formal.");
        assertThat(meters.get(ToneTemplates.REJECTED_METER).counter().count()).isEqualTo(2.0);

        set(CHANNEL, "y".repeat(20)); // exactly the limit is fine
        assertThat(translate(TENANT, CHANNEL).toneTemplate()).isEqualTo("y".repeat(20));
        assertThat(meters.get(ToneTemplates.REJECTED_METER).counter().count()).isEqualTo(2.0);
    }

    @Test
    void invalidRecordsAreSkippedAndLeaveTheTemplateAsItWasWithoutStoppingAnything() {
        start();
        set(null, "Formal.");
        String key = ToneTemplateEntry.storeKey(TENANT, null);
        rawTones.pipeInput(key, "{not json".getBytes(StandardCharsets.UTF_8), AT);
        rawTones.pipeInput(key, ("{\"tenantId\":\"" + TENANT + "\",\"text\":\"bell\\u0007\",\"updatedAt\":\"2026-11-25T10:15:30Z\"}")
                .getBytes(StandardCharsets.UTF_8), AT);
        ToneTemplateEntry elsewhere = new ToneTemplateEntry("another-tenant", null, "Hijack.", AT);
        tones.pipeInput(key, elsewhere, AT); // key and value disagree
        rawTones.pipeInput(null, "{}".getBytes(StandardCharsets.UTF_8), AT);

        assertThat(translate(TENANT, null).toneTemplate()).isEqualTo("Formal.");
        assertThat(translate("another-tenant", null).toneTemplate()).isNull();
        assertThat(templatesGauge()).isEqualTo(1.0);
    }

    @Test
    void theTopologyReadsTheTonesTopicIntoANamedGlobalStore() {
        TopologySettings settings = TopologySettings.from(TlaConfig.of(Map.of()));
        String description = TranslationTopology.buildTopology(settings, provider, Clock.fixed(AT, ZoneOffset.UTC),
                meters, Runnable::run).describe().toString();

        assertThat(description).contains("Source: " + ToneTemplateStore.SOURCE + "-source (topics: [tla.tones.v1])")
                .contains("Processor: " + ToneTemplateStore.SOURCE + " (stores: [" + ToneTemplateStore.STORE + "])");
    }
}
