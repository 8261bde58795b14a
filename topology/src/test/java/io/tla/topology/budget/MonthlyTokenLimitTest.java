package io.tla.topology.budget;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.testing.MutableClock;
import io.tla.schemas.ContractSchema;
import io.tla.schemas.ConversationType;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Sender;
import io.tla.schemas.TelemetryEvent;
import io.tla.topology.StageOutput;
import io.tla.topology.TopologySettings;
import io.tla.topology.serde.CompactSerdes;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * The monthly token limit in the guard alone, over a store that already holds the month's record, as a tenant has
 * it after earlier days of the month. Every request here reserves 502 tokens: "Hallo" (2) plus the prompt around its
 * one chunk (400), no context, 100 output tokens.
 */
class MonthlyTokenLimitTest {

    private static final Instant NOW = Instant.parse("2026-11-25T10:15:30Z");
    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final long RESERVED = 502;

    private final MutableClock clock = new MutableClock(NOW);
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final MockProcessorContext<String, StageOutput> context = new MockProcessorContext<>();
    private final KeyValueStore<String, TenantSpend> store = Stores.keyValueStoreBuilder(
                    Stores.inMemoryKeyValueStore(BudgetGuard.TENANT_BUDGET_STORE), Serdes.String(),
                    CompactSerdes.TENANT_SPEND)
            .withLoggingDisabled().build();
    private BudgetGuard guard;
    private int sent;

    MonthlyTokenLimitTest() {
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
    }

    private void start(Map<String, String> limits) {
        Map<String, String> config = new HashMap<>(Map.of(
                "context.turns", "0",
                "model.max-output-tokens", "100"));
        config.putAll(limits);
        guard = new BudgetGuard(TopologySettings.from(TlaConfig.of(config)), clock, meters, text -> "de");
        guard.init(context);
    }

    private StageOutput send() {
        sent++;
        NormalizedMessage message = new NormalizedMessage("m-" + sent, TENANT, "conv-1", ConversationType.PERSONAL,
                new Sender("29:1abc", "Anna Müller", "aad-anna"), "Hallo", null, null, null,
                "https://smba.trafficmanager.net/emea/", clock.instant());
        context.resetForwards();
        guard.process(new Record<>(TENANT, message, clock.millis()));
        assertThat(context.forwarded()).hasSize(1);
        return context.forwarded().get(0).record().value();
    }

    private static List<TelemetryEvent> thresholds(StageOutput output) {
        return output.telemetry().stream().filter(e -> e.type().equals(BudgetGuard.THRESHOLD_EVENT)).toList();
    }

    private double gauge(String name) {
        return meters.get(name).tag("tenant", TENANT).tag("limit", "monthly-tokens").gauge().value();
    }

    @Test
    void refusesWhenTheMonthsTokensWouldPassTheLimitThoughTheDayHasRoom() {
        // earlier days of November used 9 600 tokens; today nothing yet
        store.put(TENANT + "|2026-11", new TenantSpend(new BigDecimal("0.20"), 9_600, 40, 0, List.of()));
        start(Map.of("budget.monthly-tokens", "10000"));

        StageOutput output = send();

        ReplyEvent reply = output.replies().get(0);
        assertThat(reply.kind()).isEqualTo(ReplyKind.BUDGET_EXCEEDED);
        assertThat(reply.translations()).singleElement().satisfies(t -> {
            assertThat(t.language()).isEqualTo("de");
            assertThat(t.text()).isEqualTo(BudgetRefusals.refusal("de", BudgetLimit.MONTHLY_TOKENS).text())
                    .contains("monatliche Höchstmenge");
        });
        TelemetryEvent processed = output.telemetry().stream()
                .filter(e -> e.type().equals(TelemetryEvent.Types.MESSAGE_PROCESSED)).findFirst().orElseThrow();
        assertThat(processed.facts("budget.decision").orElseThrow()).containsEntry("decision", "refused")
                .containsEntry("limit", "monthly-tokens").containsEntry("tokensMonth", 9_600L)
                .containsEntry("monthlyTokenLimit", 10_000L);
        assertThat(meters.get("tla.budget.rejections").tag("limit", "monthly-tokens").counter().count()).isEqualTo(1);
        // nothing reserved, the refusal counted on both records
        assertThat(store.get(TENANT + "|2026-11").tokens()).isEqualTo(9_600);
        assertThat(store.get(TENANT + "|2026-11").refused()).isEqualTo(1);
        assertThat(store.get(TENANT + "|2026-11-25").tokens()).isZero();
    }

    @Test
    void reportsTheMonthlyTokenThresholdsOnceAt80And100PercentAndTheGaugesTellThemApart() {
        // 80 % of 1 000 is 800: 300 + 502 reaches it, 802 + 502 would pass 1 000
        store.put(TENANT + "|2026-11", new TenantSpend(BigDecimal.ZERO, 300, 3, 0, List.of()));
        start(Map.of("budget.monthly-tokens", "1000"));

        StageOutput first = send();
        assertThat(first.next()).isPresent();
        assertThat(thresholds(first)).singleElement().satisfies(e -> {
            assertThat(e.eventId()).isEqualTo("budget.threshold:" + TENANT + ":monthly-tokens:2026-11:0.8");
            assertThat(e.attributes()).containsEntry("limit", "monthly-tokens").containsEntry("threshold", 0.8)
                    .containsEntry("period", "2026-11").containsEntry("spent", 802L)
                    .containsEntry("limitValue", 1000L);
            assertThat(ContractSchema.TELEMETRY_EVENT.violationsOf(e)).isEmpty();
        });
        assertThat(gauge(BudgetGauges.USED_RATIO)).isEqualTo(0.802);
        assertThat(gauge(BudgetGauges.EXHAUSTED)).isZero();

        StageOutput second = send();
        assertThat(second.replies()).singleElement()
                .satisfies(r -> assertThat(r.kind()).isEqualTo(ReplyKind.BUDGET_EXCEEDED));
        assertThat(thresholds(second)).singleElement().satisfies(e -> {
            assertThat(e.eventId()).isEqualTo("budget.threshold:" + TENANT + ":monthly-tokens:2026-11:1.0");
            assertThat(e.attributes()).containsEntry("threshold", 1.0);
        });
        assertThat(gauge(BudgetGauges.EXHAUSTED)).isEqualTo(1.0);
        assertThat(meters.scrape())
                .contains("tla_budget_used_ratio{limit=\"monthly-tokens\",tenant=\"" + TENANT + "\"} 0.802")
                .contains("tla_budget_exhausted{limit=\"monthly-tokens\",tenant=\"" + TENANT + "\"} 1");

        // reported once per month, in the month's record
        assertThat(thresholds(send())).isEmpty();
        assertThat(store.get(TENANT + "|2026-11").thresholdsReported())
                .containsExactly("monthly-tokens@0.8", "monthly-tokens@1.0");
    }

    @Test
    void countsTheTokensOfAMonthRecordWrittenAsJsonByAnEarlierRelease() {
        // an earlier release's JSON month record, before thresholds were tracked
        byte[] json = "{\"spentUsd\":0.5,\"tokens\":9800,\"allowed\":12,\"refused\":0}"
                .getBytes(StandardCharsets.UTF_8);
        store.put(TENANT + "|2026-11", CompactSerdes.TENANT_SPEND.deserializer().deserialize("t", json));
        start(Map.of("budget.monthly-tokens", "10000"));

        assertThat(send().replies()).singleElement()
                .satisfies(r -> assertThat(r.kind()).isEqualTo(ReplyKind.BUDGET_EXCEEDED));
        assertThat(store.get(TENANT + "|2026-11").tokens()).isEqualTo(9_800);
    }

    @Test
    void aTenantsOwnMonthlyTokenLimitWinsOverTheDefault() {
        store.put(TENANT + "|2026-11", new TenantSpend(BigDecimal.ZERO, 1_000, 3, 0, List.of()));
        start(Map.of("budget.monthly-tokens", "1000000", "tenant." + TENANT + ".budget.monthly-tokens", "1200"));

        assertThat(send().replies()).singleElement()
                .satisfies(r -> assertThat(r.kind()).isEqualTo(ReplyKind.BUDGET_EXCEEDED));
    }

    @Test
    void withoutAMonthlyTokenLimitNothingIsRefusedReportedOrExportedForIt() {
        store.put(TENANT + "|2026-11", new TenantSpend(BigDecimal.ZERO, 1_000_000_000L, 3, 0, List.of()));
        start(Map.of("budget.daily-tokens", String.valueOf(RESERVED)));

        StageOutput output = send();

        assertThat(output.next()).isPresent();
        assertThat(thresholds(output)).extracting(e -> e.attributes().get("limit"))
                .doesNotContain("monthly-tokens");
        assertThat(output.next().orElseThrow().facts().get("budget.decision"))
                .containsEntry("tokensMonth", 1_000_000_000L).doesNotContainKey("monthlyTokenLimit");
        assertThat(meters.find(BudgetGauges.USED_RATIO).tag("limit", "monthly-tokens").gauge()).isNull();
        assertThat(store.get(TENANT + "|2026-11").tokens()).isEqualTo(1_000_000_000L + RESERVED);
    }
}
