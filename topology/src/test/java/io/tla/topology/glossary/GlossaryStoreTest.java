package io.tla.topology.glossary;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.ConversationType;
import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.GlossaryEntry.Scope;
import io.tla.schemas.JsonSerde;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Sender;
import io.tla.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The global store and {@link GlossaryStage} in a tiny topology under {@link TopologyTestDriver}: glossary
 * records piped to {@code tla.glossary.v1}, messages piped through the stage, the applied terms read back.
 */
class GlossaryStoreTest {

    private static final Instant AT = Instant.parse("2026-11-25T10:15:30Z");
    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final String CHANNEL = "19:d8a1c2e3f4b5a6978812ab34cd56ef78@thread.tacv2";
    private static final String ANNA = "b1e0c4d2-7f3a-4a8e-9c1d-2e5f6a7b8c9d";
    private static final String MESSAGES = "test-messages";
    private static final String TERMS = "test-terms";

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, GlossaryEntry> glossary;
    private TestInputTopic<String, byte[]> rawGlossary;
    private TestInputTopic<String, NormalizedMessage> messages;
    private TestOutputTopic<String, String> terms;

    static Topology topology() {
        StreamsBuilder builder = new StreamsBuilder();
        GlossaryStore.addGlobalStore(builder);
        builder.stream(MESSAGES, Consumed.with(Serdes.String(), new JsonSerde<>(NormalizedMessage.class)).withName("read-test-messages"))
                .process(() -> new GlossaryStage<String, NormalizedMessage, String>(message -> message,
                        message -> List.of("de", "ja"), (message, applied) -> render(applied)), Named.as(GlossaryStage.NAME))
                .to(TERMS, Produced.with(Serdes.String(), Serdes.String()).withName("write-test-terms"));
        return builder.build();
    }

    private static String render(List<GlossaryTerm> applied) {
        return applied.stream()
                .map(t -> t.targetLanguage() + ":" + t.sourceTerm() + "=" + t.targetTerm() + "(" + t.scope().wireName() + ")")
                .collect(Collectors.joining(" "));
    }

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "glossary-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        driver = new TopologyTestDriver(topology(), props, AT);
        glossary = driver.createInputTopic(Topics.GLOSSARY.name(), Serdes.String().serializer(),
                Topics.GLOSSARY.valueSerde().serializer());
        rawGlossary = driver.createInputTopic(Topics.GLOSSARY.name(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        messages = driver.createInputTopic(MESSAGES, Serdes.String().serializer(),
                new JsonSerde<>(NormalizedMessage.class).serializer());
        terms = driver.createOutputTopic(TERMS, Serdes.String().deserializer(), Serdes.String().deserializer());
    }

    @AfterEach
    void close() {
        driver.close();
    }

    private static GlossaryEntry entry(String tenant, Scope scope, String scopeId, String source, String language,
                                       String target) {
        return new GlossaryEntry(tenant, scope, scopeId, source, language, target, false, AT);
    }

    private void put(GlossaryEntry entry) {
        glossary.pipeInput(entry.storeKey(), entry, AT);
    }

    private String termsFor(String tenant, String channelId, String aadObjectId, String text) {
        NormalizedMessage message = new NormalizedMessage("m-" + text.hashCode(), tenant, channelId + ";messageid=1",
                ConversationType.CHANNEL, new Sender("29:1", "Anna Müller", aadObjectId), text, "team", channelId, "1",
                "https://smba.trafficmanager.net/emea/", AT);
        messages.pipeInput(message.conversationId(), message, AT);
        return terms.readValue();
    }

    @Test
    void stagePicksTheMostSpecificEntryFromTheGlobalStore() {
        put(entry(TENANT, Scope.TENANT, null, "deploy", "de", "ausrollen"));
        put(entry(TENANT, Scope.CHANNEL, CHANNEL, "deploy", "de", "bereitstellen"));
        put(entry(TENANT, Scope.USER, ANNA, "deploy", "de", "deployen"));
        put(entry(TENANT, Scope.TENANT, null, "invoice", "ja", "請求書"));

        assertThat(termsFor(TENANT, CHANNEL, ANNA, "Please deploy the invoice fix"))
                .isEqualTo("de:deploy=deployen(user) ja:invoice=請求書(tenant)");
        assertThat(termsFor(TENANT, CHANNEL, "aad-bob", "Please deploy"))
                .isEqualTo("de:deploy=bereitstellen(channel)");
        assertThat(termsFor(TENANT, "19:other@thread.tacv2", "aad-bob", "Please deploy"))
                .isEqualTo("de:deploy=ausrollen(tenant)");
        assertThat(termsFor(TENANT, CHANNEL, ANNA, "a rapid reply")).isEmpty();
    }

    @Test
    void anotherTenantsEntriesNeverApply() {
        put(entry("other-tenant", Scope.TENANT, null, "deploy", "de", "fremd"));
        put(entry(TENANT + "x", Scope.TENANT, null, "deploy", "de", "prefix-sibling"));
        assertThat(termsFor(TENANT, CHANNEL, ANNA, "deploy")).isEmpty();
        put(entry(TENANT, Scope.TENANT, null, "deploy", "de", "ausrollen"));
        assertThat(termsFor(TENANT, CHANNEL, ANNA, "deploy")).isEqualTo("de:deploy=ausrollen(tenant)");
    }

    @Test
    void aTombstoneDeletesTheEntryAndTheNextScopeDownApplies() {
        GlossaryEntry user = entry(TENANT, Scope.USER, ANNA, "deploy", "de", "deployen");
        put(entry(TENANT, Scope.TENANT, null, "deploy", "de", "ausrollen"));
        put(user);
        assertThat(termsFor(TENANT, CHANNEL, ANNA, "deploy")).isEqualTo("de:deploy=deployen(user)");

        glossary.pipeInput(user.storeKey(), null, AT);
        assertThat(termsFor(TENANT, CHANNEL, ANNA, "deploy")).isEqualTo("de:deploy=ausrollen(tenant)");
    }

    @Test
    void aLaterRecordUnderTheSameKeyReplacesTheEntry() {
        put(entry(TENANT, Scope.TENANT, null, "deploy", "de", "ausrollen"));
        put(entry(TENANT, Scope.TENANT, null, "DEPLOY", "DE", "bereitstellen"));
        assertThat(termsFor(TENANT, CHANNEL, ANNA, "deploy")).isEqualTo("de:DEPLOY=bereitstellen(tenant)");
    }

    @Test
    void invalidRecordsAreSkippedAndLeaveTheStoredEntryAsItWas() {
        GlossaryEntry good = entry(TENANT, Scope.TENANT, null, "deploy", "de", "ausrollen");
        put(good);
        rawGlossary.pipeInput(good.storeKey(), "{not json".getBytes(StandardCharsets.UTF_8), AT);
        rawGlossary.pipeInput(good.storeKey(), "{\"tenantId\":\"x\"}".getBytes(StandardCharsets.UTF_8), AT);
        // a valid entry under a key that is not its own would break the prefix layout
        glossary.pipeInput(good.storeKey(), entry(TENANT, Scope.TENANT, null, "release", "de", "Freigabe"), AT);
        glossary.pipeInput(null, good, AT);

        KeyValueStore<String, GlossaryEntry> store = driver.getKeyValueStore(GlossaryStore.STORE);
        assertThat(store.get(good.storeKey())).isEqualTo(good);
        assertThat(store.approximateNumEntries()).isEqualTo(1);
        assertThat(termsFor(TENANT, CHANNEL, ANNA, "deploy the release")).isEqualTo("de:deploy=ausrollen(tenant)");
    }

    @Test
    void lookupReadsOnlyTheEntriesThatCanReachTheMessage() {
        put(entry(TENANT, Scope.TENANT, null, "deploy", "de", "ausrollen"));
        put(entry(TENANT, Scope.CHANNEL, CHANNEL, "deploy", "de", "bereitstellen"));
        put(entry(TENANT, Scope.CHANNEL, "19:other@thread.tacv2", "deploy", "de", "other"));
        put(entry(TENANT, Scope.USER, ANNA, "deploy", "de", "deployen"));
        put(entry(TENANT, Scope.USER, "aad-bob", "deploy", "de", "bob"));
        put(entry("other-tenant", Scope.TENANT, null, "deploy", "de", "fremd"));

        KeyValueStore<String, GlossaryEntry> store = driver.getKeyValueStore(GlossaryStore.STORE);
        GlossaryLookup lookup = new GlossaryLookup(store);
        assertThat(lookup.entriesReaching(TENANT, CHANNEL, ANNA)).extracting(GlossaryEntry::targetTerm)
                .containsExactlyInAnyOrder("ausrollen", "bereitstellen", "deployen");
        assertThat(lookup.entriesReaching(TENANT, null, null)).extracting(GlossaryEntry::targetTerm)
                .containsExactly("ausrollen");
        assertThat(lookup.entriesReaching(TENANT, "19:x|user|" + ANNA, null)).extracting(GlossaryEntry::targetTerm)
                .as("an id with the key separator is never scanned").containsExactly("ausrollen");
        assertThat(lookup.tenantEntries(TENANT)).hasSize(5);
    }

    @Test
    void theGlobalSourceAndStoreAreNamed() {
        String description = topology().describe().toString();
        assertThat(description).contains("Source: " + GlossaryStore.SOURCE + "-source (topics: [tla.glossary.v1])")
                .contains("Processor: " + GlossaryStore.SOURCE + " (stores: [" + GlossaryStore.STORE + "])");
    }
}
