package io.tla.topology.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.testing.MutableClock;
import io.tla.schemas.ContractSchema;
import io.tla.schemas.ConversationType;
import io.tla.schemas.JsonSerde;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.Sender;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.tla.topology.StageOutput;
import io.tla.topology.TopologyHarness;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationRequest;
import io.tla.topology.TranslationTopology;
import io.tla.topology.budget.BudgetGuard;
import io.tla.topology.budget.BudgetReservation;
import io.tla.topology.budget.TenantSpend;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ModelRequest;
import io.tla.topology.model.ModelResponse;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContextRetrievalTest {

    private static final Instant NOW = Instant.parse("2026-11-25T10:15:30Z");
    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final String GERMAN = "Guten Morgen zusammen, können wir das Meeting auf Donnerstag verschieben?";
    private static final String ENGLISH = "Could you send me the latest version of the quarterly report before noon?";

    @TempDir
    Path stateDir;

    private final MutableClock clock = new MutableClock(NOW);
    private final RecordingProvider model = new RecordingProvider();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private TopologyTestDriver driver;
    private TestInputTopic<String, NormalizedMessage> messages;
    private TestOutputTopic<String, ReplyEvent> replies;
    private TestOutputTopic<String, TelemetryEvent> telemetry;

    private void start(Map<String, String> config) {
        Properties props = TopologyHarness.driverProperties(stateDir);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "tla-context-test");
        // The translation cache is off: these tests repeat texts and need every request to reach the model.
        Map<String, String> withoutCache = new HashMap<>(config);
        withoutCache.put("model.cache.ttl-minutes", "0");
        driver = new TopologyTestDriver(TranslationTopology.buildTopology(
                TopologySettings.from(TlaConfig.of(withoutCache)), model, clock, meters, Runnable::run), props, NOW);
        messages = driver.createInputTopic(Topics.MESSAGES.name(), Serdes.String().serializer(),
                Topics.MESSAGES.valueSerde().serializer());
        replies = driver.createOutputTopic(Topics.REPLIES.name(), Serdes.String().deserializer(),
                Topics.REPLIES.valueSerde().deserializer());
        telemetry = driver.createOutputTopic(Topics.TELEMETRY.name(), Serdes.String().deserializer(),
                Topics.TELEMETRY.valueSerde().deserializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private static NormalizedMessage message(String tenant, String conversation, String id, String text) {
        return new NormalizedMessage(id, tenant, conversation, ConversationType.GROUP_CHAT,
                new Sender("29:1abc", "Anna Müller", "aad-anna"), text, null, null, null,
                "https://smba.trafficmanager.net/emea/", NOW.minusMillis(40));
    }

    private void send(String tenant, String conversation, String id, String text) {
        messages.pipeInput(conversation, message(tenant, conversation, id, text), clock.instant());
    }

    private void send(String id, String text) {
        send(TENANT, "conv-1", id, text);
    }

    /** The events of a type, also those a message's one event carries. */
    private List<TelemetryEvent> telemetryOf(String type) {
        return telemetry.readValuesToList().stream().flatMap(e -> e.perType().stream())
                .filter(e -> e.type().equals(type)).toList();
    }

    private ConversationStore turnsStore() {
        return ConversationStore.over(driver.getKeyValueStore(ConversationStore.NAME));
    }

    // --- source language: detected by the model stage, pinned here through the whole topology ---------------

    @Test
    void shouldNotSendAMessageAlreadyInTheOnlyTargetLanguageToTheModelAndReleaseItsReservation() {
        start(Map.of("translation.target-languages", "de", "model.max-output-tokens", "100",
                "model.provider.offline.output-usd-per-1k-tokens", "1.0"));
        send("m-1", GERMAN);

        assertThat(replies.isEmpty()).isTrue();
        assertThat(model.requests).isEmpty();
        // the skip ends the message's path: one event, with what each stage observed
        List<TelemetryEvent> events = telemetry.readValuesToList();
        assertThat(events).singleElement().satisfies(event -> {
            assertThat(event.type()).isEqualTo(TelemetryEvent.Types.MESSAGE_PROCESSED);
            assertThat(event.messageId()).isEqualTo("m-1");
            assertThat(ContractSchema.TELEMETRY_EVENT.violationsOf(event)).isEmpty();
        });
        assertThat(events.get(0).perType()).extracting(TelemetryEvent::type)
                .containsExactlyInAnyOrder("budget.decision", "context.retrieved", "translation.skipped");
        TelemetryEvent skipped = events.get(0).perType().stream()
                .filter(e -> e.type().equals("translation.skipped")).findFirst().orElseThrow();
        assertThat(skipped.attributes()).containsOnly(entry("reason", "already-in-target-language"),
                entry("language", "de"));
        assertThat(skipped.eventId()).isEqualTo("translation.skipped:" + TENANT + ":m-1");
        TenantSpend spend = driver.<String, TenantSpend>getKeyValueStore(BudgetGuard.TENANT_BUDGET_STORE)
                .get(TENANT + "|2026-11-25");
        assertThat(spend.spentUsd()).isEqualByComparingTo(BigDecimal.ZERO);
        assertThat(spend.tokens()).isZero();
        assertThat(meters.counter("tla.translation.skipped", "reason", "already-in-target-language").count())
                .isEqualTo(1.0);
    }

    @Test
    void shouldKeepASkippedMessageAsContextForTheNextOne() {
        start(Map.of("translation.target-languages", "de"));
        send("m-1", GERMAN);
        send("m-2", ENGLISH);

        assertThat(replies.readValuesToList()).extracting(ReplyEvent::replyToId).containsExactly("m-2");
        assertThat(model.requests).hasSize(1);
        assertThat(model.requests.get(0).context()).singleElement().satisfies(turn -> {
            assertThat(turn.messageId()).isEqualTo("m-1");
            assertThat(turn.translations()).isEmpty();
        });
    }

    @Test
    void shouldDropTheSourceLanguageFromSeveralTargets() {
        start(Map.of("translation.target-languages", "de,en,fr"));
        send("m-1", GERMAN);

        assertThat(model.requests).singleElement().satisfies(r -> assertThat(r.targetLanguages()).containsExactly("en", "fr"));
        ReplyEvent reply = replies.readValue();
        assertThat(reply.translations()).extracting(Translation::language).containsExactly("en", "fr");
        assertThat(reply.sourceLanguage()).isEqualTo("de");
        assertThat(telemetryOf("model.call")).singleElement()
                .satisfies(e -> assertThat(e.attributes()).containsEntry("sourceLanguage", "de"));
    }

    @Test
    void shouldSkipWhenEveryTargetIsAVariantOfTheSourceLanguage() {
        start(Map.of("translation.target-languages", "en-GB,en-US"));
        send("m-1", ENGLISH);

        assertThat(model.requests).isEmpty();
        assertThat(telemetryOf("translation.skipped")).singleElement()
                .satisfies(e -> assertThat(e.attributes()).containsEntry("language", "en"));
    }

    @Test
    void shouldTranslateAMessageOfUndeterminedLanguageAsUsual() {
        start(Map.of("translation.target-languages", "en"));
        send("m-1", "ok");

        assertThat(replies.readValuesToList()).hasSize(1);
        assertThat(model.requests).singleElement().satisfies(r -> {
            assertThat(r.targetLanguages()).containsExactly("en");
            assertThat(r.sourceLanguage()).isEqualTo("und");
        });
    }

    @Test
    void shouldApplyATenantsOwnTargetLanguagesWhenDecidingToSkip() {
        start(Map.of("translation.target-languages", "en", "tenant.tenant-b.target-languages", "de"));
        send(TENANT, "conv-1", "m-1", GERMAN);
        send("tenant-b", "conv-2", "m-2", GERMAN);

        assertThat(replies.readValuesToList()).extracting(ReplyEvent::tenantId).containsExactly(TENANT);
        assertThat(telemetryOf("translation.skipped")).extracting(TelemetryEvent::tenantId).containsExactly("tenant-b");
    }

    // --- bounds and expiry -----------------------------------------------------------------------------------

    /** 40 characters: 10 estimated tokens; with its echoed translation a turn is 20 tokens. */
    private static String fortyCharacters(int i) {
        String text = "Nachricht Nummer " + i + " aus der Besprechung";
        return (text + " ".repeat(40)).substring(0, 40);
    }

    @Test
    void shouldDropTheOldestTurnsFirstToStayWithinTheTokenBound() {
        start(Map.of("translation.target-languages", "en", "context.turns", "8", "context.max-tokens", "50"));
        for (int i = 1; i <= 4; i++) {
            send("m-" + i, fortyCharacters(i));
        }

        assertThat(model.requests).extracting(r -> r.context().stream().map(Turn::messageId).toList())
                .containsExactly(List.of(), List.of("m-1"), List.of("m-1", "m-2"), List.of("m-2", "m-3"));
        assertThat(telemetryOf("context.retrieved")).extracting(e -> e.attributes().get("contextTokens"))
                .containsExactly(0, 20, 40, 40);
    }

    @Test
    void shouldDeleteTheTurnsOfAConversationIdleLongerThanTheExpiryOnceThePunctuatorRuns() {
        start(Map.of("translation.target-languages", "en", "context.idle-expiry-hours", "1"));
        send(TENANT, "conv-idle", "m-1", GERMAN);
        advance(Duration.ofMinutes(40));
        send(TENANT, "conv-active", "m-2", GERMAN);
        assertThat(turnsStore().turns(TENANT, "conv-idle")).isNotEmpty();

        advance(Duration.ofMinutes(25));

        assertThat(turnsStore().turns(TENANT, "conv-idle")).isEmpty();
        assertThat(turnsStore().turns(TENANT, "conv-active")).isNotEmpty();
        send(TENANT, "conv-idle", "m-3", GERMAN);
        assertThat(model.requests.get(2).messageId()).isEqualTo("m-3");
        assertThat(model.requests.get(2).context()).isEmpty();
    }

    private void advance(Duration duration) {
        clock.advance(duration);
        driver.advanceWallClockTime(duration);
    }

    // --- isolation and feedback ------------------------------------------------------------------------------

    @Test
    void shouldNeverShowOneTenantsTurnsToAnotherEvenWithTheSameConversationId() {
        start(Map.of("translation.target-languages", "en"));
        send("tenant-a", "19:same@thread.v2", "m-1", GERMAN);
        send("tenant-b", "19:same@thread.v2", "m-2", GERMAN);
        send("tenant-a", "19:same@thread.v2", "m-3", GERMAN);
        // ids that spell the same "tenant|conversation" string must not meet either
        send("a|b", "c", "m-4", GERMAN);
        send("a", "b|c", "m-5", GERMAN);

        Map<String, List<String>> contextByMessage = new HashMap<>();
        model.requests.forEach(r -> contextByMessage.put(r.messageId(), r.context().stream().map(Turn::messageId).toList()));
        assertThat(contextByMessage).containsEntry("m-1", List.of()).containsEntry("m-2", List.of())
                .containsEntry("m-3", List.of("m-1")).containsEntry("m-4", List.of()).containsEntry("m-5", List.of());
    }

    @Test
    void shouldShowHowAnEarlierTurnWasTranslatedInTheNextRequest() {
        start(Map.of("translation.target-languages", "en,fr"));
        send("m-1", GERMAN);
        ReplyEvent first = replies.readValue();
        send("m-2", "Ja, Donnerstag passt mir gut. Ich schicke die Einladung.");

        Turn earlier = model.requests.get(1).context().get(0);
        assertThat(earlier.messageId()).isEqualTo("m-1");
        assertThat(earlier.text()).isEqualTo(GERMAN);
        assertThat(earlier.translations()).isEqualTo(first.translations()).hasSize(2);
    }

    @Test
    void shouldNotRecordAFailedAnswerAsATranslation() {
        start(Map.of("translation.target-languages", "en"));
        model.failNext = true;
        send("m-1", GERMAN);
        send("m-2", "Ja, Donnerstag passt mir gut. Ich schicke die Einladung.");

        assertThat(replies.readValuesToList()).extracting(r -> r.kind().wireName()).containsExactly("failed", "translation");
        assertThat(model.requests.get(1).context()).singleElement().satisfies(turn -> {
            assertThat(turn.messageId()).isEqualTo("m-1");
            assertThat(turn.translations()).isEmpty();
        });
    }

    @Test
    void shouldTimeEveryRetrieval() {
        start(Map.of("translation.target-languages", "de"));
        send("m-1", GERMAN);
        send("m-2", ENGLISH);

        assertThat(meters.timer("tla.context.retrieval.seconds").count()).isEqualTo(2);
        assertThat(meters.summary("tla.context.turns").count()).isEqualTo(2);
        assertThat(telemetryOf("context.retrieved")).hasSize(2)
                .allSatisfy(e -> assertThat(e.attributes()).containsKeys("latencyMs", "turns", "contextTokens"));
    }

    // --- the request itself, processor level -----------------------------------------------------------------

    private static final BudgetReservation RESERVATION = new BudgetReservation("2026-11-25", 20, 100, new BigDecimal("0.1"));

    private MockProcessorContext<String, StageOutput> processorContext(ContextRetrieval processor) {
        MockProcessorContext<String, StageOutput> context = new MockProcessorContext<>();
        KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(ConversationStore.NAME), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        KeyValueStore<String, io.tla.schemas.GlossaryEntry> glossary = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(io.tla.topology.glossary.GlossaryStore.STORE), Serdes.String(),
                        new JsonSerde<>(io.tla.schemas.GlossaryEntry.class))
                .withLoggingDisabled().build();
        glossary.init(context.getStateStoreContext(), glossary);
        context.addStateStore(glossary);
        KeyValueStore<String, io.tla.schemas.LanguagePreference> languages = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(io.tla.topology.preferences.LanguagePreferenceStore.STORE),
                        Serdes.String(), new JsonSerde<>(io.tla.schemas.LanguagePreference.class))
                .withLoggingDisabled().build();
        languages.init(context.getStateStoreContext(), languages);
        context.addStateStore(languages);
        processor.init(context);
        return context;
    }

    private static Record<String, TranslationRequest> request(String tenant, String text, List<String> targets) {
        return new Record<>("conv-1", new TranslationRequest(message(tenant, "conv-1", "m-1", text), targets,
                RESERVATION, List.of()), NOW.toEpochMilli());
    }

    @Test
    void shouldCarryAllTargetsAndTheTenantsToneAndLeaveTheSourceLanguageToTheModelStage() {
        TopologySettings settings = TopologySettings.from(TlaConfig.of(Map.of("translation.tone", "polite",
                "tenant.tenant-b.tone", "technical")));
        ContextRetrieval processor = new ContextRetrieval(settings, Clock.fixed(NOW, ZoneOffset.UTC), meters);
        MockProcessorContext<String, StageOutput> context = processorContext(processor);

        processor.process(request(TENANT, GERMAN, List.of("de", "en")));
        processor.process(request("tenant-b", ENGLISH, List.of("de", "en")));

        List<TranslationRequest> forwarded = new ArrayList<>();
        context.forwarded().forEach(f -> forwarded.add(f.record().value().next().orElseThrow()));
        assertThat(forwarded).extracting(TranslationRequest::sourceLanguage).containsOnlyNulls();
        assertThat(forwarded).extracting(TranslationRequest::targetLanguages)
                .containsExactly(List.of("de", "en"), List.of("de", "en"));
        assertThat(forwarded).extracting(TranslationRequest::tone).containsExactly("polite", "technical");
        assertThat(forwarded).allSatisfy(r -> assertThat(r.reservation()).isEqualTo(RESERVATION));
        assertThat(context.forwarded()).allSatisfy(f -> assertThat(f.record().value().settlements()).isEmpty());
    }

    @Test
    void shouldSweepALargeStoreInBatchesAndContinueWhereTheLastSweepStopped() {
        ContextRetrieval processor = new ContextRetrieval(TopologySettings.from(TlaConfig.of(Map.of(
                "context.idle-expiry-hours", "1"))), Clock.fixed(NOW, ZoneOffset.UTC), meters);
        MockProcessorContext<String, StageOutput> context = processorContext(processor);
        ConversationStore store = ConversationStore.over(context.getStateStore(ConversationStore.NAME));
        for (int i = 1; i <= 5; i++) {
            store.append(TENANT, "conv-" + i, new Turn("m-" + i, "Anna", "Hallo", NOW), 8, 100, NOW.toEpochMilli());
        }
        long later = NOW.plus(Duration.ofHours(2)).toEpochMilli();

        processor.expireIdleConversations(later, 2);
        assertThat(conversationsWithTurns(store, 5)).isEqualTo(3);
        processor.expireIdleConversations(later, 2);
        assertThat(conversationsWithTurns(store, 5)).isEqualTo(1);
        processor.expireIdleConversations(later, 2);
        assertThat(conversationsWithTurns(store, 5)).isZero();
        KeyValueStore<String, byte[]> raw = context.getStateStore(ConversationStore.NAME);
        assertThat(raw.approximateNumEntries()).as("no activity key is left behind").isZero();
        assertThat(meters.counter("tla.context.conversations.expired").count()).isEqualTo(5);
    }

    private static long conversationsWithTurns(ConversationStore store, int conversations) {
        return java.util.stream.IntStream.rangeClosed(1, conversations)
                .filter(i -> !store.turns(TENANT, "conv-" + i).isEmpty()).count();
    }

    @Test
    void shouldScheduleTheExpirySweepOnWallClockTime() {
        ContextRetrieval processor = new ContextRetrieval(TopologySettings.from(TlaConfig.of(Map.of())),
                Clock.fixed(NOW, ZoneOffset.UTC), meters);
        MockProcessorContext<String, StageOutput> context = processorContext(processor);

        assertThat(context.scheduledPunctuators()).singleElement().satisfies(p -> {
            assertThat(p.getInterval()).isEqualTo(ContextRetrieval.EXPIRY_INTERVAL);
            assertThat(p.getType()).isEqualTo(org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME);
        });
    }

    // --- test doubles ----------------------------------------------------------------------------------------

    /** Answers every target with the original text (so token sizes are easy to follow) and records each request. */
    static final class RecordingProvider implements ModelProvider {
        final List<ModelRequest> requests = new ArrayList<>();
        boolean failNext;

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public CompletionStage<ModelResponse> translate(ModelRequest request) {
            requests.add(request);
            if (failNext) {
                failNext = false;
                return CompletableFuture.failedFuture(new IllegalStateException("provider down"));
            }
            return CompletableFuture.completedFuture(new ModelResponse("recording", "echo", "und",
                    request.targetLanguages().stream().map(l -> new Translation(l, request.text())).toList(),
                    Usage.NONE));
        }
    }
}
