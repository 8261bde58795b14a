package io.tla.topology.budget;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.ComplianceConfig;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.platform.testing.MutableClock;
import io.tla.schemas.ContractSchema;
import io.tla.schemas.ConversationType;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Sender;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.tla.topology.Tokens;
import io.tla.topology.TopologyHarness;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationTopology;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ModelProviders;
import io.tla.topology.model.ModelRequest;
import io.tla.topology.model.ModelResponse;
import io.tla.topology.serde.CompactSerdes;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The budget guard and its settlement, through the whole topology under {@link TopologyTestDriver}, on a clock the
 * test moves. Every reservation here is 0.10 USD and 502 tokens: "Hallo" is 2 input tokens plus 400 for the prompt
 * around its one chunk (priced at 0), no context turns, 100
 * output tokens reserved at 1 USD per 1k output tokens.
 */
class BudgetTopologyTest {

    private static final Instant NOV_25 = Instant.parse("2026-11-25T10:15:30Z");
    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final String TEXT = "Hallo";
    private static final BigDecimal RESERVED_USD = new BigDecimal("0.10");
    /** What a provider reporting exactly the reservation would bill. */
    private static final Usage TEN_CENTS = new Usage(2, 100, new BigDecimal("0.10"));
    private static final String BUDGET_CHANGELOG = "tla-streams-test-" + BudgetGuard.TENANT_BUDGET_STORE + "-changelog";

    /**
     * Limits far away unless a test sets one, so each test meets only the limit it is about. The translation
     * cache is off: every message here has the same text, and each must cost what the provider reports.
     */
    private static final Map<String, String> PRICED = Map.of(
            "model.cache.ttl-minutes", "0",
            "context.turns", "0",
            "model.max-output-tokens", "100",
            "model.provider.offline.output-usd-per-1k-tokens", "1.0",
            "budget.daily-usd", "100",
            "budget.monthly-usd", "1000",
            "budget.daily-tokens", "1000000");

    @TempDir
    Path stateDir;

    private final MutableClock clock = new MutableClock(NOV_25);
    private SimpleMeterRegistry meters;
    private Map<String, String> config;
    private ModelProvider provider;
    private TopologyTestDriver driver;
    private TestInputTopic<String, NormalizedMessage> messages;
    private TestOutputTopic<String, ReplyEvent> replies;
    private TestOutputTopic<String, TelemetryEvent> telemetry;
    private int sent;
    private ReplyEvent lastReply;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    /** Starts with the offline provider, priced as {@link #PRICED} says. */
    private void start(Map<String, String> limits) {
        start(limits, null);
    }

    /** Starts with {@code provider} answering every call (null: the configured offline provider). */
    private void start(Map<String, String> limits, ModelProvider provider) {
        Map<String, String> all = new HashMap<>(PRICED);
        all.putAll(limits);
        this.config = all;
        // as the application builds it: the configured chain under the compliance policy
        this.provider = provider != null ? provider : ModelProviders.chain(ModelConfig.from(TlaConfig.of(all)),
                new EnvSecretStore(Map.of()), new SimpleMeterRegistry(), Clock.systemUTC(),
                ComplianceConfig.from(TlaConfig.of(all)));
        this.meters = new SimpleMeterRegistry();
        startDriver();
    }

    private void startDriver() {
        Properties props = TopologyHarness.driverProperties(stateDir);
        driver = new TopologyTestDriver(TranslationTopology.buildTopology(TopologySettings.from(TlaConfig.of(config)),
                provider, clock, meters, Runnable::run), props, clock.instant());
        messages = driver.createInputTopic(Topics.MESSAGES.name(), Serdes.String().serializer(),
                Topics.MESSAGES.valueSerde().serializer());
        replies = driver.createOutputTopic(Topics.REPLIES.name(), Serdes.String().deserializer(),
                Topics.REPLIES.valueSerde().deserializer());
        telemetry = driver.createOutputTopic(Topics.TELEMETRY.name(), Serdes.String().deserializer(),
                Topics.TELEMETRY.valueSerde().deserializer());
    }

    /** Sends one message of {@code tenant} now and returns the kind of the reply it got. */
    private ReplyKind send(String tenant) {
        return send(tenant, TEXT);
    }

    /** Sends {@code text} as one message of {@code tenant} now and returns the kind of the reply it got. */
    private ReplyKind send(String tenant, String text) {
        sent++;
        NormalizedMessage message = new NormalizedMessage("m-" + sent, tenant, "conv-" + sent, ConversationType.CHANNEL,
                new Sender("29:1abc", "Anna Müller", "aad-anna"), text, "team-aad-1", "19:chan@thread.tacv2",
                "1700000000000", "https://smba.trafficmanager.net/emea/", clock.instant().minusMillis(40));
        messages.pipeInput(message.conversationId(), message, clock.instant());
        List<ReplyEvent> out = replies.readValuesToList();
        assertThat(out).hasSize(1);
        assertThat(ContractSchema.REPLY_EVENT.violationsOf(out.get(0))).isEmpty();
        lastReply = out.get(0);
        return lastReply.kind();
    }

    private ReplyKind send() {
        return send(TENANT);
    }

    private TenantSpend stored(String tenant, String period) {
        KeyValueStore<String, TenantSpend> store = driver.getKeyValueStore(BudgetGuard.TENANT_BUDGET_STORE);
        return store.get(tenant + "|" + period);
    }

    /** The events of a type, also those a message's one event carries. */
    private List<TelemetryEvent> telemetryOfType(String type) {
        return ofType(telemetry.readValuesToList(), type);
    }

    private static List<TelemetryEvent> ofType(List<TelemetryEvent> events, String type) {
        return events.stream().flatMap(e -> e.perType().stream()).filter(e -> e.type().equals(type)).toList();
    }

    private double rejections(String limit) {
        return meters.get("tla.budget.rejections").tag("limit", limit).counter().count();
    }

    private static BigDecimal decimal(Object number) {
        return new BigDecimal(number.toString());
    }

    /** A provider that answers every call with the same usage, as a paid provider would report it. */
    private static ModelProvider billing(Usage usage) {
        return provider(request -> CompletableFuture.completedFuture(answer(request, usage)));
    }

    private static ModelResponse answer(ModelRequest request, Usage usage) {
        return new ModelResponse("primary", "test-model", "de", request.targetLanguages().stream()
                .map(language -> new Translation(language, "translated")).toList(), usage);
    }

    private static ModelProvider provider(Function<ModelRequest, CompletionStage<ModelResponse>> calls) {
        return new ModelProvider() {
            @Override
            public String name() {
                return "primary";
            }

            @Override
            public CompletionStage<ModelResponse> translate(ModelRequest request) {
                return calls.apply(request);
            }
        };
    }

    // --- the three limits: exactly at the limit is allowed, one unit past it is refused ---------------------

    @ParameterizedTest(name = "{0}: spent 0.04 USD / 400 tokens, limit {1}")
    @CsvSource({
            "daily-usd,    budget.daily-usd,    0.14",
            "monthly-usd,  budget.monthly-usd,  0.14",
            "daily-tokens, budget.daily-tokens, 902"})
    void shouldAllowTheReservationThatLandsExactlyOnALimit(String limit, String key, String exactly) {
        start(Map.of(key, exactly), billing(new Usage(300, 100, new BigDecimal("0.04"))));
        assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);
        telemetry.readValuesToList();

        // spent 0.04 USD and 400 tokens; this reservation of 0.10 USD and 502 tokens lands exactly on the limit
        assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);

        List<TelemetryEvent> events = telemetry.readValuesToList();
        assertThat(ofType(events, "budget.decision")).singleElement()
                .satisfies(e -> assertThat(e.attributes()).containsEntry("decision", "allowed")
                        .doesNotContainKey("limit"));
        // landing on the limit reaches 80 % and 100 % of it at once
        assertThat(ofType(events, BudgetGuard.THRESHOLD_EVENT)).extracting(e -> e.attributes().get("limit") + "@"
                + e.attributes().get("threshold")).containsExactly(limit + "@0.8", limit + "@1.0");
        assertThat(rejections(limit)).isZero();
    }

    @ParameterizedTest(name = "{0}: spent 0.04 USD / 400 tokens, limit {1}")
    @CsvSource({
            "daily-usd,    budget.daily-usd,    0.13, daily translation budget",
            "monthly-usd,  budget.monthly-usd,  0.13, monthly translation budget",
            "daily-tokens, budget.daily-tokens, 901,  daily limit on the amount of text"})
    void shouldRefuseTheReservationThatWouldPassALimitByOneUnit(String limit, String key, String oneBelow,
                                                                String wording) {
        start(Map.of(key, oneBelow), billing(new Usage(300, 100, new BigDecimal("0.04"))));
        assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);
        telemetry.readValuesToList();

        assertThat(send()).isEqualTo(ReplyKind.BUDGET_EXCEEDED);

        assertThat(lastReply.replyToId()).isEqualTo("m-2");
        assertThat(lastReply.provider()).isEqualTo(BudgetGuard.NAME);
        assertThat(lastReply.translations()).singleElement().satisfies(t -> {
            assertThat(t.language()).isEqualTo("en");
            assertThat(t.text()).contains(wording);
        });
        // the refusal ends the message's path: its one event carries the decision and the reply; the threshold
        // it reached is an event of its own
        List<TelemetryEvent> events = telemetry.readValuesToList();
        assertThat(events).extracting(TelemetryEvent::type)
                .containsExactly(BudgetGuard.THRESHOLD_EVENT, TelemetryEvent.Types.MESSAGE_PROCESSED);
        assertThat(events.get(1).attributes()).containsOnlyKeys("budget.decision", "reply.emitted");
        assertThat(events.get(1).facts("budget.decision").orElseThrow()).containsEntry("decision", "refused")
                .containsEntry("limit", limit);
        assertThat(events.get(1).facts("reply.emitted").orElseThrow()).containsEntry("kind", "budget-exceeded");
        // the refusal counts as reaching 100 % of the limit that refused
        assertThat(events.get(0).attributes()).containsEntry("limit", limit).containsEntry("threshold", 1.0);
        assertThat(events).allSatisfy(e -> assertThat(ContractSchema.TELEMETRY_EVENT.violationsOf(e)).isEmpty());
        assertThat(rejections(limit)).isEqualTo(1);
        // nothing was reserved for the refused request
        assertThat(stored(TENANT, "2026-11-25").spentUsd()).isEqualByComparingTo("0.04");
        assertThat(stored(TENANT, "2026-11-25").tokens()).isEqualTo(400);
        assertThat(stored(TENANT, "2026-11-25").refused()).isEqualTo(1);
    }

    @Test
    void shouldNameTheMonthlyLimitWhenARequestWouldPassSeveral() {
        start(Map.of("budget.daily-usd", "0.05", "budget.monthly-usd", "0.05", "budget.daily-tokens", "10"));

        assertThat(send()).isEqualTo(ReplyKind.BUDGET_EXCEEDED);

        assertThat(lastReply.translations().get(0).text()).contains("monthly");
        List<TelemetryEvent> events = telemetry.readValuesToList();
        assertThat(ofType(events, "budget.decision").get(0).attributes()).containsEntry("limit", "monthly-usd");
        // every limit the request would have passed is at 100 %
        assertThat(ofType(events, BudgetGuard.THRESHOLD_EVENT)).extracting(e -> e.attributes().get("limit"))
                .containsExactlyInAnyOrder("daily-usd", "monthly-usd", "daily-tokens");
        assertThat(rejections("monthly-usd")).isEqualTo(1);
        assertThat(rejections("daily-usd")).isZero();
    }

    // --- periods ---------------------------------------------------------------------------------------------

    @Test
    void shouldCountTheMonthlyLimitAcrossDaysAndStartAgainInTheNextMonth() {
        start(Map.of("budget.daily-usd", "0.10", "budget.monthly-usd", "0.25"), billing(TEN_CENTS));

        assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);
        clock.set(Instant.parse("2026-11-26T08:00:00Z"));
        assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);
        clock.set(Instant.parse("2026-11-27T08:00:00Z"));
        // the day is untouched (0 of 0.10), the month would be 0.30 of 0.25
        assertThat(send()).isEqualTo(ReplyKind.BUDGET_EXCEEDED);
        assertThat(lastReply.translations().get(0).text()).contains("monthly translation budget");

        List<TelemetryEvent> thresholds = telemetryOfType(BudgetGuard.THRESHOLD_EVENT).stream()
                .filter(e -> e.attributes().get("limit").equals("monthly-usd")).toList();
        assertThat(thresholds).extracting(TelemetryEvent::eventId).containsExactly(
                "budget.threshold:" + TENANT + ":monthly-usd:2026-11:0.8",
                "budget.threshold:" + TENANT + ":monthly-usd:2026-11:1.0");
        assertThat(thresholds.get(0).attributes()).containsEntry("period", "2026-11").containsEntry("threshold", 0.8);
        assertThat(decimal(thresholds.get(0).attributes().get("spent"))).isEqualByComparingTo("0.20");
        assertThat(decimal(thresholds.get(0).attributes().get("limitValue"))).isEqualByComparingTo("0.25");
        assertThat(stored(TENANT, "2026-11").spentUsd()).isEqualByComparingTo("0.20");
        assertThat(stored(TENANT, "2026-11").refused()).isEqualTo(1);

        clock.set(Instant.parse("2026-12-01T00:00:00Z"));
        assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);
        assertThat(stored(TENANT, "2026-12").spentUsd()).isEqualByComparingTo("0.10");
        assertThat(stored(TENANT, "2026-11").spentUsd()).isEqualByComparingTo("0.20");
    }

    @Test
    void shouldSettleAReservationThatCompletesAfterMidnightOnTheDayAndMonthItWasBookedOn() {
        // the model answers at 00:00:05 on the first of the next month, for a request booked on the last evening
        clock.set(Instant.parse("2026-11-30T23:59:58Z"));
        start(Map.of(), provider(request -> {
            clock.set(Instant.parse("2026-12-01T00:00:05Z"));
            return CompletableFuture.completedFuture(answer(request, new Usage(20, 10, new BigDecimal("0.03"))));
        }));

        assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);

        assertThat(stored(TENANT, "2026-11-30").spentUsd()).isEqualByComparingTo("0.03");
        assertThat(stored(TENANT, "2026-11-30").tokens()).isEqualTo(30);
        assertThat(stored(TENANT, "2026-11").spentUsd()).isEqualByComparingTo("0.03");
        assertThat(stored(TENANT, "2026-11").tokens()).isEqualTo(30);
        assertThat(stored(TENANT, "2026-12-01")).isNull();
        assertThat(stored(TENANT, "2026-12")).isNull();
    }

    @Test
    void shouldReleaseTheWholeReservationWhenTheModelCallFails() {
        start(Map.of(), provider(request -> CompletableFuture.failedFuture(new IOException("provider unreachable"))));

        assertThat(send()).isEqualTo(ReplyKind.FAILED);

        for (String period : List.of("2026-11-25", "2026-11")) {
            TenantSpend spend = stored(TENANT, period);
            assertThat(spend.spentUsd()).isEqualByComparingTo("0");
            assertThat(spend.tokens()).isZero();
            assertThat(spend.allowed()).isEqualTo(1);
        }
    }

    @Test
    void shouldReplaceTheReservationWithTheRealUsageOnceTheModelAnswered() {
        start(Map.of());
        assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);

        Usage usage = lastReply.usage();
        assertThat(usage.costUsd()).isPositive().isLessThan(RESERVED_USD);
        for (String period : List.of("2026-11-25", "2026-11")) {
            TenantSpend spend = stored(TENANT, period);
            assertThat(spend.spentUsd()).isEqualByComparingTo(usage.costUsd());
            assertThat(spend.tokens()).isEqualTo(usage.totalTokens());
            assertThat(spend.allowed()).isEqualTo(1);
        }
    }

    // --- thresholds ------------------------------------------------------------------------------------------

    @Test
    void shouldReportEachThresholdOncePerDayAndAgainTheNextDay() {
        start(Map.of("budget.daily-usd", "0.50"), billing(TEN_CENTS));
        for (int i = 0; i < 3; i++) {
            assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);
        }
        assertThat(telemetryOfType(BudgetGuard.THRESHOLD_EVENT)).isEmpty();

        assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);  // 0.40 of 0.50
        assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);  // 0.50 of 0.50
        assertThat(send()).isEqualTo(ReplyKind.BUDGET_EXCEEDED);
        assertThat(send()).isEqualTo(ReplyKind.BUDGET_EXCEEDED);

        List<TelemetryEvent> day1 = telemetryOfType(BudgetGuard.THRESHOLD_EVENT);
        assertThat(day1).extracting(TelemetryEvent::eventId).containsExactly(
                "budget.threshold:" + TENANT + ":daily-usd:2026-11-25:0.8",
                "budget.threshold:" + TENANT + ":daily-usd:2026-11-25:1.0");
        assertThat(day1).extracting(TelemetryEvent::messageId).containsExactly("m-4", "m-5");
        assertThat(day1.get(0).attributes()).containsEntry("limit", "daily-usd").containsEntry("threshold", 0.8)
                .containsEntry("period", "2026-11-25");
        assertThat(decimal(day1.get(0).attributes().get("spent"))).isEqualByComparingTo("0.40");
        assertThat(decimal(day1.get(1).attributes().get("spent"))).isEqualByComparingTo("0.50");
        assertThat(decimal(day1.get(1).attributes().get("limitValue"))).isEqualByComparingTo("0.50");
        assertThat(day1).allSatisfy(e -> {
            assertThat(e.tenantId()).isEqualTo(TENANT);
            assertThat(ContractSchema.TELEMETRY_EVENT.violationsOf(e)).isEmpty();
        });
        assertThat(stored(TENANT, "2026-11-25").thresholdsReported()).containsExactly("daily-usd@0.8", "daily-usd@1.0");

        clock.set(Instant.parse("2026-11-26T09:00:00Z"));
        for (int i = 0; i < 4; i++) {
            assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);
        }
        assertThat(telemetryOfType(BudgetGuard.THRESHOLD_EVENT)).extracting(TelemetryEvent::eventId)
                .containsExactly("budget.threshold:" + TENANT + ":daily-usd:2026-11-26:0.8");
    }

    @Test
    void shouldReportTokenThresholdsWithWholeNumbers() {
        start(Map.of("budget.daily-tokens", "600"));

        assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);  // 502 of 600 reserved: 84 %

        TelemetryEvent event = telemetryOfType(BudgetGuard.THRESHOLD_EVENT).get(0);
        assertThat(event.eventId()).isEqualTo("budget.threshold:" + TENANT + ":daily-tokens:2026-11-25:0.8");
        assertThat(event.attributes()).containsEntry("spent", 502).containsEntry("limitValue", 600);
    }

    @Test
    void shouldNeverReportAThresholdForNothingSpent() {
        // unpriced provider: nothing is ever spent, even against a zero USD limit
        start(Map.of("model.provider.offline.output-usd-per-1k-tokens", "0", "budget.daily-usd", "0",
                "budget.monthly-usd", "0"));

        assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);

        assertThat(telemetryOfType(BudgetGuard.THRESHOLD_EVENT)).isEmpty();
    }

    // --- tenants ---------------------------------------------------------------------------------------------

    @Test
    void shouldApplyEachTenantsOwnOverrideOfEachLimit() {
        start(Map.of(
                "tenant.tenant-d.budget.daily-usd", "0.05",
                "tenant.tenant-m.budget.monthly-usd", "0.05",
                "tenant.tenant-t.budget.daily-tokens", "100",
                "tenant.tenant-x.budget.daily-usd", "0.10"));

        assertThat(send("tenant-d")).isEqualTo(ReplyKind.BUDGET_EXCEEDED);
        assertThat(send("tenant-m")).isEqualTo(ReplyKind.BUDGET_EXCEEDED);
        assertThat(send("tenant-t")).isEqualTo(ReplyKind.BUDGET_EXCEEDED);
        assertThat(send("tenant-x")).isEqualTo(ReplyKind.TRANSLATION);
        assertThat(send(TENANT)).isEqualTo(ReplyKind.TRANSLATION);

        assertThat(telemetryOfType("budget.decision")).extracting(e -> e.tenantId() + ":" + e.attributes().get("limit"))
                .containsExactly("tenant-d:daily-usd", "tenant-m:monthly-usd", "tenant-t:daily-tokens",
                        "tenant-x:null", TENANT + ":null");
    }

    @Test
    void shouldNeverShareSpendBetweenTenants() {
        start(Map.of("budget.daily-usd", "0.10"), billing(TEN_CENTS));

        assertThat(send(TENANT)).isEqualTo(ReplyKind.TRANSLATION);
        assertThat(send("tenant-b")).isEqualTo(ReplyKind.TRANSLATION);
        assertThat(send(TENANT)).isEqualTo(ReplyKind.BUDGET_EXCEEDED);
        assertThat(send("tenant-b")).isEqualTo(ReplyKind.BUDGET_EXCEEDED);

        assertThat(stored(TENANT, "2026-11-25").spentUsd()).isEqualByComparingTo("0.10");
        assertThat(stored("tenant-b", "2026-11-25").spentUsd()).isEqualByComparingTo("0.10");
        assertThat(stored(TENANT, "2026-11").allowed()).isEqualTo(1);
        assertThat(stored("tenant-b", "2026-11").allowed()).isEqualTo(1);
        // each tenant reaches its own thresholds, under its own event ids
        assertThat(telemetryOfType(BudgetGuard.THRESHOLD_EVENT)).extracting(TelemetryEvent::eventId)
                .filteredOn(id -> id.endsWith(":1.0"))
                .containsExactly("budget.threshold:" + TENANT + ":daily-usd:2026-11-25:1.0",
                        "budget.threshold:tenant-b:daily-usd:2026-11-25:1.0");
    }

    // --- state -----------------------------------------------------------------------------------------------

    @Test
    void shouldKeepSpendAndReportedThresholdsAcrossARestart() {
        start(Map.of("budget.daily-usd", "0.50"), billing(TEN_CENTS));
        for (int i = 0; i < 4; i++) {
            assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);
        }
        assertThat(telemetryOfType(BudgetGuard.THRESHOLD_EVENT)).hasSize(1);

        restartRestoringTheBudgetStoreFromItsChangelog();

        assertThat(stored(TENANT, "2026-11-25").spentUsd()).isEqualByComparingTo("0.40");
        assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);
        assertThat(send()).isEqualTo(ReplyKind.BUDGET_EXCEEDED);
        // 80 % was reported before the restart and is not reported again
        assertThat(telemetryOfType(BudgetGuard.THRESHOLD_EVENT)).extracting(e -> e.attributes().get("threshold"))
                .containsExactly(1.0);
    }

    /**
     * Stops the driver and starts a new one on the same state directory, restoring the budget store from the
     * changelog the first driver wrote, as Kafka Streams restores a store on restart (under exactly-once after an
     * unclean stop it always does, from an empty directory). The driver cannot be restarted on its files alone:
     * {@link TopologyTestDriver#close()} deletes the task directories, and commits do not write RocksDB's memtable.
     */
    private void restartRestoringTheBudgetStoreFromItsChangelog() {
        List<TestRecord<String, TenantSpend>> changelog = driver.createOutputTopic(BUDGET_CHANGELOG,
                Serdes.String().deserializer(), CompactSerdes.TENANT_SPEND.deserializer()).readRecordsToList();
        assertThat(changelog).isNotEmpty();
        driver.close();
        startDriver();
        KeyValueStore<String, TenantSpend> store = driver.getKeyValueStore(BudgetGuard.TENANT_BUDGET_STORE);
        for (TestRecord<String, TenantSpend> record : changelog) {
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
    }

    @Test
    void shouldDeleteDayRecordsAfterAWeekAndMonthRecordsOnceTheyAreTwoMonthsOld() {
        start(Map.of());
        assertThat(send()).isEqualTo(ReplyKind.TRANSLATION);

        clock.set(Instant.parse("2026-12-02T10:00:00Z"));
        driver.advanceWallClockTime(Duration.ofHours(1));
        assertThat(stored(TENANT, "2026-11-25")).as("a week old").isNotNull();

        clock.set(Instant.parse("2026-12-03T10:00:00Z"));
        driver.advanceWallClockTime(Duration.ofHours(1));
        assertThat(stored(TENANT, "2026-11-25")).as("eight days old").isNull();
        assertThat(stored(TENANT, "2026-11")).as("the previous month").isNotNull();

        clock.set(Instant.parse("2027-01-01T00:30:00Z"));
        driver.advanceWallClockTime(Duration.ofHours(1));
        assertThat(stored(TENANT, "2026-11")).isNull();
    }

    // --- the monthly token limit -----------------------------------------------------------------------------

    @Test
    void shouldCountTheMonthlyTokenLimitAcrossDaysReportItsThresholdsAndStartAgainInTheNextMonth() {
        // 400 characters: 100 input tokens; the offline provider answers with 104 output tokens (its marker and
        // the text), so each message reserves 100 + 400 + 100 = 600 tokens and settles to 204
        String text = "Guten Morgen zusammen. ".repeat(17) + "Bis bald!";
        assertThat(Tokens.estimate(text)).isEqualTo(100);
        start(Map.of("budget.monthly-tokens", "1000", "budget.daily-tokens", "700"));

        assertThat(send(TENANT, text)).isEqualTo(ReplyKind.TRANSLATION);  // 600 of 1000 reserved
        assertThat(stored(TENANT, "2026-11").tokens()).isEqualTo(204);
        clock.set(Instant.parse("2026-11-26T08:00:00Z"));
        assertThat(send(TENANT, text)).isEqualTo(ReplyKind.TRANSLATION);  // 204 + 600: 80 %
        clock.set(Instant.parse("2026-11-27T08:00:00Z"));
        // the day is untouched (600 of 700 would fit), the month would be 408 + 600 of 1000
        assertThat(send(TENANT, text)).isEqualTo(ReplyKind.BUDGET_EXCEEDED);
        // worded in the sender's language (the text is German)
        assertThat(lastReply.translations().get(0).text())
                .isEqualTo(BudgetRefusals.refusal("de", BudgetLimit.MONTHLY_TOKENS).text());

        List<TelemetryEvent> events = telemetry.readValuesToList();
        // (each day's 600 of 700 also reaches 80 % of the daily tokens: events of their own)
        List<TelemetryEvent> thresholds = ofType(events, BudgetGuard.THRESHOLD_EVENT).stream()
                .filter(e -> e.attributes().get("limit").equals("monthly-tokens")).toList();
        assertThat(thresholds).extracting(TelemetryEvent::eventId).containsExactly(
                "budget.threshold:" + TENANT + ":monthly-tokens:2026-11:0.8",
                "budget.threshold:" + TENANT + ":monthly-tokens:2026-11:1.0");
        assertThat(thresholds).extracting(TelemetryEvent::messageId).containsExactly("m-2", "m-3");
        assertThat(thresholds.get(0).attributes()).containsEntry("spent", 804).containsEntry("limitValue", 1000);
        assertThat(ofType(events, "budget.decision").get(2).attributes()).containsEntry("limit", "monthly-tokens");
        assertThat(rejections("monthly-tokens")).isEqualTo(1);
        assertThat(meters.get(BudgetGauges.EXHAUSTED).tag("tenant", TENANT).tag("limit", "monthly-tokens").gauge()
                .value()).isEqualTo(1.0);

        clock.set(Instant.parse("2026-12-01T00:00:00Z"));
        assertThat(send(TENANT, text)).isEqualTo(ReplyKind.TRANSLATION);
        assertThat(stored(TENANT, "2026-12").tokens()).isEqualTo(204);
    }

    // --- long texts and the provider chain -------------------------------------------------------------------

    @Test
    void shouldSettleAThreeChunkReservationAtTheDearestPriceDownToTheRealUsage() {
        // three offline providers: the tenant may use cheap (the primary, which answers every chunk) and dear
        // (eu-west); overseas (us-east), the dearest of all, is not allowed for it
        Map<String, String> chain = new HashMap<>(Map.of(
                "model.providers", "cheap,dear,overseas",
                "model.max-input-tokens", "50",
                "tenant." + TENANT + ".allowed-regions", "eu-west"));
        for (String[] p : new String[][] {{"cheap", "1.0", "4.0", "eu-west"}, {"dear", "3.0", "2.0", "eu-west"},
                {"overseas", "10.0", "20.0", "us-east"}}) {
            chain.put("model.provider." + p[0] + ".type", "offline");
            chain.put("model.provider." + p[0] + ".input-usd-per-1k-tokens", p[1]);
            chain.put("model.provider." + p[0] + ".output-usd-per-1k-tokens", p[2]);
            chain.put("model.provider." + p[0] + ".regions", p[3]);
        }
        start(chain);
        String text = BudgetGuardTest.THREE_CHUNKS;

        assertThat(send(TENANT, text)).isEqualTo(ReplyKind.TRANSLATION);

        Map<String, Object> decision = ofType(telemetry.readValuesToList(), "budget.decision").get(0).attributes();
        long input = Tokens.estimate(text) + 3 * BudgetGuard.promptTokensPerChunk(1);
        BigDecimal reserved = BigDecimal.valueOf(input * 3 + 3 * 100 * 4).divide(BigDecimal.valueOf(1000));
        assertThat(decision).containsEntry("estimatedTokens", (int) (input + 3 * 100));
        assertThat(decimal(decision.get("estimatedCostUsd"))).isEqualByComparingTo(reserved);
        // the three calls' usage, at the primary's prices, replaces the reservation in the day and the month
        Usage usage = lastReply.usage();
        assertThat(lastReply.provider()).isEqualTo("cheap");
        assertThat(usage.costUsd()).isPositive().isLessThan(reserved);
        assertThat(usage.inputTokens()).isGreaterThanOrEqualTo(Tokens.estimate(text) - 3);
        for (String period : List.of("2026-11-25", "2026-11")) {
            TenantSpend spend = stored(TENANT, period);
            assertThat(spend.spentUsd()).isEqualByComparingTo(usage.costUsd());
            assertThat(spend.tokens()).isEqualTo(usage.totalTokens());
        }
    }
}
