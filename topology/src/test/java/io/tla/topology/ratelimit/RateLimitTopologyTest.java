package io.tla.topology.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.TlaConfig;
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
import io.tla.topology.TopologyHarness;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationTopology;
import io.tla.topology.budget.BudgetGuard;
import io.tla.topology.budget.TenantSpend;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ModelRequest;
import io.tla.topology.model.ModelResponse;
import io.tla.topology.serde.CompactSerdes;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rate limit in the whole topology under {@link TopologyTestDriver}. The limiter runs on the driver's wall
 * clock, which the tests move with {@link TopologyTestDriver#advanceWallClockTime}; the release punctuator runs
 * once per advance. Every reservation here is 502 tokens and 0.10 USD for "Hallo" (2 input tokens, 400 for the
 * prompt's instructions to one target language, no context, 100 output tokens at 1 USD per 1k), more for longer
 * texts (a token per four characters).
 */
class RateLimitTopologyTest {

    private static final Instant NOW = TopologyHarness.NOW;
    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final String OTHER = "tenant-b";
    private static final String HALLO = "Hallo";

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

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private Map<String, String> config;
    private TopologyTestDriver driver;
    private TestInputTopic<String, NormalizedMessage> messages;
    private TestOutputTopic<String, ReplyEvent> replies;
    private TestOutputTopic<String, TelemetryEvent> telemetry;
    private final List<TelemetryEvent> events = new ArrayList<>();
    private int sent;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private void start(Map<String, String> limits) {
        config = new HashMap<>(PRICED);
        config.putAll(limits);
        startDriver(NOW);
    }

    private void startDriver(Instant wallClock) {
        driver = new TopologyTestDriver(TranslationTopology.buildTopology(TopologySettings.from(TlaConfig.of(config)),
                billing(new Usage(2, 100, new BigDecimal("0.10"))), clock, meters, Runnable::run),
                TopologyHarness.driverProperties(stateDir), wallClock);
        messages = driver.createInputTopic(Topics.MESSAGES.name(), Serdes.String().serializer(),
                Topics.MESSAGES.valueSerde().serializer());
        replies = driver.createOutputTopic(Topics.REPLIES.name(), Serdes.String().deserializer(),
                Topics.REPLIES.valueSerde().deserializer());
        telemetry = driver.createOutputTopic(Topics.TELEMETRY.name(), Serdes.String().deserializer(),
                Topics.TELEMETRY.valueSerde().deserializer());
    }

    /** Sends one message of {@code tenant}, in a conversation of its own (the model stage orders only within one). */
    private String send(String tenant, String text) {
        sent++;
        String id = "m-" + sent;
        NormalizedMessage message = new NormalizedMessage(id, tenant, "conv-" + sent, ConversationType.GROUP_CHAT,
                new Sender("29:1abc", "Anna Müller", "aad-anna"), text, null, null, null,
                "https://smba.trafficmanager.net/emea/", NOW.minusMillis(40));
        messages.pipeInput(message.conversationId(), message, NOW);
        return id;
    }

    private String send(String tenant) {
        return send(tenant, HALLO);
    }

    /** The message ids of the replies out since the last call, in order, after checking each against the contract. */
    private List<String> answered() {
        List<ReplyEvent> out = replies.readValuesToList();
        out.forEach(reply -> assertThat(ContractSchema.REPLY_EVENT.violationsOf(reply)).isEmpty());
        lastReplies = out;
        return out.stream().map(ReplyEvent::replyToId).toList();
    }

    private List<ReplyEvent> lastReplies = List.of();

    private void advance(Duration duration) {
        driver.advanceWallClockTime(duration);
    }

    /** The {@code rate.limit} fact of a message's one event, among all telemetry read so far. */
    private Map<String, Object> rateLimitFact(String messageId) {
        return rateLimitFacts(messageId).orElseThrow();
    }

    private java.util.Optional<Map<String, Object>> rateLimitFacts(String messageId) {
        events.addAll(telemetry.readValuesToList());
        return events.stream().filter(e -> messageId.equals(e.messageId()))
                .filter(e -> e.type().equals(TelemetryEvent.Types.MESSAGE_PROCESSED)).findFirst().orElseThrow()
                .facts(TelemetryEvent.Types.RATE_LIMIT);
    }

    private double counter(String name, String tag, String value) {
        return meters.get(name).tag(tag, value).counter().count();
    }

    private double waitingGauge() {
        return meters.get(RateLimitMeters.WAITING).gauge().value();
    }

    private TenantSpend today(String tenant) {
        KeyValueStore<String, TenantSpend> store = driver.getKeyValueStore(BudgetGuard.TENANT_BUDGET_STORE);
        return store.get(tenant + "|2026-11-25");
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void underTheLimitEveryMessageGoesOnAtOnce() {
        start(Map.of("rate-limit.requests-per-minute", "6"));

        List<String> ids = List.of(send(TENANT), send(TENANT), send(TENANT));

        assertThat(answered()).containsExactlyElementsOf(ids);
        assertThat(lastReplies).extracting(ReplyEvent::kind).containsOnly(ReplyKind.TRANSLATION);
        assertThat(rateLimitFact(ids.get(2))).containsEntry("decision", "allowed").containsEntry("waitedMs", 0);
        assertThat(waitingGauge()).isZero();
    }

    @Test
    void withoutALimitTheStageAddsNothing() {
        start(Map.of());

        String id = send(TENANT);

        assertThat(answered()).containsExactly(id);
        events.addAll(telemetry.readValuesToList());
        assertThat(events).filteredOn(e -> e.type().equals(TelemetryEvent.Types.MESSAGE_PROCESSED)).singleElement()
                .satisfies(e -> assertThat(e.facts(TelemetryEvent.Types.RATE_LIMIT)).isEmpty());
    }

    @Test
    void overTheRequestLimitMessagesWaitAndAreReleasedInOrderAsTheMinuteFrees() {
        // 2 per minute: two at once, then one every 30 s
        start(Map.of("rate-limit.requests-per-minute", "2"));

        List<String> ids = List.of(send(TENANT), send(TENANT), send(TENANT), send(TENANT));

        assertThat(answered()).containsExactly(ids.get(0), ids.get(1));
        assertThat(waitingGauge()).isEqualTo(2);

        advance(Duration.ofMillis(29_900));
        assertThat(answered()).as("the third may go 30 s after the burst, not before").isEmpty();

        advance(Duration.ofMillis(100));
        assertThat(answered()).containsExactly(ids.get(2));
        assertThat(rateLimitFact(ids.get(2))).containsEntry("decision", "released").containsEntry("waitedMs", 30_000);

        advance(Duration.ofSeconds(29));
        assertThat(answered()).isEmpty();
        advance(Duration.ofSeconds(1));
        assertThat(answered()).containsExactly(ids.get(3));
        assertThat(lastReplies).extracting(ReplyEvent::kind).containsOnly(ReplyKind.TRANSLATION);
        assertThat(rateLimitFact(ids.get(3))).containsEntry("decision", "released").containsEntry("waitedMs", 60_000);

        assertThat(waitingGauge()).isZero();
        assertThat(meters.get(RateLimitMeters.WAIT).tag("outcome", "released").timer().count()).isEqualTo(2);
        assertThat(meters.get(RateLimitMeters.WAIT).tag("outcome", "released").timer()
                .totalTime(java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(90.0);
    }

    @Test
    void theTokensPerMinuteLimitWeighsEachMessageByItsReservedTokens() {
        // 502 tokens each: two fit in 1250, the third must wait until 502 × 60 s / 1250 = 24.096 s per message
        // have freed enough: at 2 × 24.096 + 24.096 − 60 = 12.288 s, the 12.3 s tick
        start(Map.of("rate-limit.tokens-per-minute", "1250"));

        List<String> ids = List.of(send(TENANT), send(TENANT), send(TENANT));

        assertThat(answered()).containsExactly(ids.get(0), ids.get(1));
        events.addAll(telemetry.readValuesToList());
        assertThat(events).flatMap(TelemetryEvent::perType)
                .filteredOn(e -> e.type().equals(TelemetryEvent.Types.BUDGET_DECISION))
                .extracting(e -> ((Number) e.attributes().get("estimatedTokens")).longValue()).containsOnly(502L);

        advance(Duration.ofMillis(12_200));
        assertThat(answered()).isEmpty();
        advance(Duration.ofMillis(100));
        assertThat(answered()).containsExactly(ids.get(2));
        assertThat(rateLimitFact(ids.get(2))).containsEntry("decision", "released").containsEntry("waitedMs", 12_300);
    }

    @Test
    void aTenantsMessagesLeaveInArrivalOrderWhileAnotherTenantFlows() {
        // only TENANT is limited: 1050 tokens a minute
        start(Map.of("tenant." + TENANT + ".rate-limit.tokens-per-minute", "1050"));
        String longText = "Guten Morgen zusammen, ".repeat(18).substring(0, 400); // 100 + 400 + 100 = 600 tokens

        String a1 = send(TENANT);            // 502 tokens: passes
        String a2 = send(TENANT, longText);  // 502 + 600 > 1050: waits
        String b1 = send(OTHER);
        String a3 = send(TENANT);            // 502 + 502 would fit, but a2 waits: a3 queues behind it
        String b2 = send(OTHER);

        assertThat(answered()).containsExactly(a1, b1, b2);

        // a1 holds 502 × 60 / 1050 = 28.686 s; a2 (34.286 s) may pass at 28.686 + 34.286 − 60 = 2.971 s, the 3.0 s
        // tick, and then holds the bucket to 62.971 s; a3 may pass at 62.971 + 28.686 − 60 = 31.657 s, the 31.7 s tick
        advance(Duration.ofMillis(2_900));
        assertThat(answered()).isEmpty();
        advance(Duration.ofMillis(100));
        assertThat(answered()).containsExactly(a2);
        String b3 = send(OTHER);
        assertThat(answered()).containsExactly(b3);

        advance(Duration.ofMillis(28_600));
        assertThat(answered()).isEmpty();
        advance(Duration.ofMillis(100));
        assertThat(answered()).containsExactly(a3);
        assertThat(rateLimitFacts(b3)).as("no limit, no fact").isEmpty();
    }

    @Test
    void aMessageThatWaitedTooLongIsRefusedInTheSendersLanguageAndItsReservationReleased() {
        start(Map.of("rate-limit.requests-per-minute", "1", "rate-limit.max-wait-seconds", "10"));
        String first = send(TENANT);
        assertThat(answered()).containsExactly(first);
        BigDecimal spentBefore = today(TENANT).spentUsd();
        long tokensBefore = today(TENANT).tokens();

        String german = send(TENANT, "Guten Morgen, könnt ihr mir bitte die Unterlagen für das Treffen morgen schicken?");
        assertThat(today(TENANT).spentUsd()).as("reserved while it waits").isGreaterThan(spentBefore);

        advance(Duration.ofMillis(9_900));
        assertThat(answered()).isEmpty();
        advance(Duration.ofMillis(100));

        assertThat(answered()).containsExactly(german);
        ReplyEvent refusal = lastReplies.get(0);
        assertThat(refusal.kind()).isEqualTo(ReplyKind.RATE_LIMITED);
        assertThat(refusal.provider()).isEqualTo(RateLimit.NAME);
        assertThat(refusal.translations()).singleElement().satisfies(text -> {
            assertThat(text.language()).isEqualTo("de");
            assertThat(text.text()).isEqualTo(RateLimitRefusals.refusal("de").text()).contains("nicht übersetzt");
        });
        // the reservation is released: the tenant's spend is what it was before the message
        assertThat(today(TENANT).spentUsd()).isEqualByComparingTo(spentBefore);
        assertThat(today(TENANT).tokens()).isEqualTo(tokensBefore);
        assertThat(rateLimitFact(german)).containsEntry("decision", "refused").containsEntry("reason", "max-wait")
                .containsEntry("waitedMs", 10_000);
        assertThat(events).filteredOn(e -> german.equals(e.messageId())).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(TelemetryEvent.Types.MESSAGE_PROCESSED);
            assertThat(e.facts(TelemetryEvent.Types.REPLY_EMITTED).orElseThrow()).containsEntry("kind", "rate-limited");
            assertThat(e.facts(TelemetryEvent.Types.BUDGET_DECISION)).isPresent();
        });
        assertThat(counter(RateLimitMeters.REFUSALS, "reason", "max-wait")).isEqualTo(1);
        assertThat(meters.get(RateLimitMeters.WAIT).tag("outcome", "refused").timer().count()).isEqualTo(1);
        assertThat(waitingGauge()).isZero();
    }

    @Test
    void aMessageArrivingWhenItsTenantHasTheMostWaitingIsRefusedAtOnce() {
        start(Map.of("rate-limit.requests-per-minute", "1", "rate-limit.max-waiting-per-tenant", "2"));
        String first = send(TENANT);
        send(TENANT);
        send(TENANT);
        BigDecimal spentWithTwoWaiting = today(TENANT).spentUsd();

        String refused = send(TENANT);

        assertThat(answered()).containsExactly(first, refused);
        assertThat(lastReplies.get(1).kind()).isEqualTo(ReplyKind.RATE_LIMITED);
        assertThat(lastReplies.get(1).translations().get(0).language()).isEqualTo("en");
        assertThat(rateLimitFact(refused)).containsEntry("decision", "refused").containsEntry("reason", "queue-full")
                .containsEntry("waitedMs", 0);
        assertThat(today(TENANT).spentUsd()).isEqualByComparingTo(spentWithTwoWaiting);
        assertThat(counter(RateLimitMeters.REFUSALS, "reason", "queue-full")).isEqualTo(1);
        assertThat(waitingGauge()).isEqualTo(2);
        // another tenant is not limited by TENANT's queue
        String other = send(OTHER);
        assertThat(answered()).containsExactly(other);
    }

    @Test
    void theBucketSurvivesARestartSoNoFreshBurstFollowsIt() {
        start(Map.of("rate-limit.requests-per-minute", "2"));
        String m1 = send(TENANT);
        String m2 = send(TENANT);
        assertThat(answered()).containsExactly(m1, m2);

        restartRestoringTheRateLimitStoresFromTheirChangelogs(NOW.plusSeconds(10));

        // nothing waits: only the restored bucket can hold m3 back (a fresh one would let it through at once)
        String m3 = send(TENANT);
        assertThat(answered()).isEmpty();
        advance(Duration.ofSeconds(20));
        assertThat(answered()).containsExactly(m3);
        assertThat(rateLimitFact(m3)).containsEntry("decision", "released").containsEntry("waitedMs", 20_000);
    }

    @Test
    void waitingMessagesSurviveARestartAndLeaveInOrderAtTheBucketsPace() {
        start(Map.of("rate-limit.requests-per-minute", "2"));
        String m1 = send(TENANT);
        String m2 = send(TENANT);
        String m3 = send(TENANT);
        assertThat(answered()).containsExactly(m1, m2);
        advance(Duration.ofSeconds(10));
        assertThat(answered()).isEmpty();

        restartRestoringTheRateLimitStoresFromTheirChangelogs(NOW.plusSeconds(10));

        // m4 queues behind the restored m3; both leave at the restored bucket's pace (30 s apart)
        String m4 = send(TENANT);
        assertThat(answered()).isEmpty();
        advance(Duration.ofSeconds(20));
        assertThat(answered()).containsExactly(m3);
        assertThat(rateLimitFact(m3)).containsEntry("waitedMs", 30_000);
        advance(Duration.ofSeconds(30));
        assertThat(answered()).containsExactly(m4);
        assertThat(rateLimitFact(m4)).containsEntry("waitedMs", 50_000);
    }

    /**
     * Stops the driver and starts a new one on the same state directory with the rate limit's stores restored from
     * the changelogs the first one wrote, as Kafka Streams restores them on a restart or on another instance after a
     * rebalance. (The driver deletes its task directories on close, so the files alone do not carry over.)
     */
    private void restartRestoringTheRateLimitStoresFromTheirChangelogs(Instant wallClock) {
        List<TestRecord<String, Long>> rates = changelog(RateLimit.RATE_STORE, Serdes.Long().deserializer());
        List<TestRecord<String, WaitingRequest>> waiting = changelog(RateLimit.WAITING_STORE,
                WaitingRequest.SERDE.deserializer());
        assertThat(rates).isNotEmpty();
        driver.close();
        assertThat(waitingGauge()).as("a closed task's messages no longer wait in this instance").isZero();
        startDriver(wallClock);
        restore(driver.getKeyValueStore(RateLimit.RATE_STORE), rates);
        restore(driver.getKeyValueStore(RateLimit.WAITING_STORE), waiting);
    }

    private <V> List<TestRecord<String, V>> changelog(String store, Deserializer<V> values) {
        return driver.createOutputTopic("tla-streams-test-" + store + "-changelog", Serdes.String().deserializer(),
                values).readRecordsToList();
    }

    private static <V> void restore(KeyValueStore<String, V> store, List<TestRecord<String, V>> changelog) {
        for (TestRecord<String, V> record : changelog) {
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
    }

    /** A provider that answers every call with the same usage, as a paid provider would report it. */
    static ModelProvider billing(Usage usage) {
        return new ModelProvider() {
            @Override
            public String name() {
                return "primary";
            }

            @Override
            public CompletionStage<ModelResponse> translate(ModelRequest request) {
                return CompletableFuture.completedFuture(new ModelResponse("primary", "test-model", "de",
                        request.targetLanguages().stream().map(language -> new Translation(language, "translated"))
                                .toList(), usage));
            }
        };
    }
}
