package io.tla.topology.budget;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.testing.MutableClock;
import io.tla.schemas.ConversationType;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Sender;
import io.tla.topology.StageOutput;
import io.tla.topology.TopologySettings;
import io.tla.topology.serde.CompactSerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** The per-tenant budget gauges the tenants dashboard and the budget alert read. */
class BudgetGaugesTest {

    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

    /** Each request reserves 100 output tokens at 1 USD per 1k = 0.10 USD against a daily limit of 0.25 USD. */
    private static final TopologySettings SETTINGS = TopologySettings.from(TlaConfig.of(Map.of(
            "context.turns", "0",
            "model.max-output-tokens", "100",
            "model.provider.offline.output-usd-per-1k-tokens", "1.0",
            "budget.daily-usd", "0.25")));

    private final MutableClock clock = new MutableClock(NOW);
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final MockProcessorContext<String, StageOutput> context = new MockProcessorContext<>();
    private final BudgetGuard guard;

    BudgetGaugesTest() {
        KeyValueStore<String, TenantSpend> store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(BudgetGuard.TENANT_BUDGET_STORE), Serdes.String(),
                        CompactSerdes.TENANT_SPEND)
                .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        guard = new BudgetGuard(SETTINGS, clock, meters, text -> "de");
        guard.init(context);
    }

    private ReplyKind send(String tenant, String id) {
        NormalizedMessage message = new NormalizedMessage(id, tenant, "conv-1", ConversationType.PERSONAL,
                new Sender("29:1abc", "Anna Müller", "aad-anna"), "Guten Morgen", null, null, null,
                "https://smba.trafficmanager.net/emea/", clock.instant());
        context.resetForwards();
        guard.process(new Record<>(tenant, message, clock.millis()));
        StageOutput output = context.forwarded().get(0).record().value();
        return output.replies().isEmpty() ? null : output.replies().get(0).kind();
    }

    private double gauge(String name, String tenant, String limit) {
        return meters.get(name).tag("tenant", tenant).tag("limit", limit).gauge().value();
    }

    @Test
    void usedRatioFollowsTheTenantsSpendAndExhaustedTurnsOnAtTheFirstRefusal() {
        assertThat(send("tenant-a", "m-1")).isNull();
        assertThat(gauge(BudgetGauges.USED_RATIO, "tenant-a", "daily-usd")).isEqualTo(0.4);
        assertThat(gauge(BudgetGauges.EXHAUSTED, "tenant-a", "daily-usd")).isZero();

        assertThat(send("tenant-a", "m-2")).isNull();
        assertThat(gauge(BudgetGauges.USED_RATIO, "tenant-a", "daily-usd")).isEqualTo(0.8);
        assertThat(gauge(BudgetGauges.EXHAUSTED, "tenant-a", "daily-usd")).isZero();

        // 0.20 + 0.10 > 0.25: refused although less than 100 % is spent, and that counts as exhausted
        assertThat(send("tenant-a", "m-3")).isEqualTo(ReplyKind.BUDGET_EXCEEDED);
        assertThat(gauge(BudgetGauges.USED_RATIO, "tenant-a", "daily-usd")).isEqualTo(0.8);
        assertThat(gauge(BudgetGauges.EXHAUSTED, "tenant-a", "daily-usd")).isEqualTo(1.0);
        assertThat(meters.scrape())
                .contains("tla_budget_exhausted{limit=\"daily-usd\",tenant=\"tenant-a\"} 1")
                .contains("tla_budget_used_ratio{limit=\"daily-usd\",tenant=\"tenant-a\"} 0.8");
    }

    @Test
    void eachTenantHasItsOwnSeries() {
        send("tenant-a", "m-1");
        send("tenant-a", "m-2");
        send("tenant-a", "m-3");
        send("tenant-b", "m-4");

        assertThat(gauge(BudgetGauges.EXHAUSTED, "tenant-a", "daily-usd")).isEqualTo(1.0);
        assertThat(gauge(BudgetGauges.EXHAUSTED, "tenant-b", "daily-usd")).isZero();
        assertThat(gauge(BudgetGauges.USED_RATIO, "tenant-b", "daily-usd")).isEqualTo(0.4);
    }

    @Test
    void aDailyReadingFallsToZeroWhenItsDayEndsWithoutAnotherMessage() {
        send("tenant-a", "m-1");
        send("tenant-a", "m-2");
        send("tenant-a", "m-3");
        assertThat(gauge(BudgetGauges.EXHAUSTED, "tenant-a", "daily-usd")).isEqualTo(1.0);
        double monthly = gauge(BudgetGauges.USED_RATIO, "tenant-a", "monthly-usd");
        assertThat(monthly).isPositive();

        clock.advance(Duration.ofDays(1));

        assertThat(gauge(BudgetGauges.EXHAUSTED, "tenant-a", "daily-usd")).isZero();
        assertThat(gauge(BudgetGauges.USED_RATIO, "tenant-a", "daily-usd")).isZero();
        // the month has not ended: its reading stands
        assertThat(gauge(BudgetGauges.USED_RATIO, "tenant-a", "monthly-usd")).isEqualTo(monthly);
    }

    @Test
    void tenantsBeyondTheBoundShareOneAggregateSeriesInsteadOfAddingSeries() {
        PrometheusMeterRegistry bounded = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MockProcessorContext<String, StageOutput> boundedContext = new MockProcessorContext<>();
        KeyValueStore<String, TenantSpend> store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(BudgetGuard.TENANT_BUDGET_STORE), Serdes.String(),
                        CompactSerdes.TENANT_SPEND)
                .withLoggingDisabled().build();
        store.init(boundedContext.getStateStoreContext(), store);
        boundedContext.addStateStore(store);
        TopologySettings twoTenants = TopologySettings.from(TlaConfig.of(Map.of(
                "context.turns", "0",
                "model.max-output-tokens", "100",
                "model.provider.offline.output-usd-per-1k-tokens", "1.0",
                "budget.daily-usd", "0.25",
                "budget.metrics.max-tenants", "2")));
        BudgetGuard boundedGuard = new BudgetGuard(twoTenants, clock, bounded, text -> "de");
        boundedGuard.init(boundedContext);

        for (int i = 0; i < 500; i++) {
            NormalizedMessage message = new NormalizedMessage("m-" + i, "tenant-" + i, "conv-1",
                    ConversationType.PERSONAL, new Sender("29:1abc", "Anna Müller", "aad-anna"), "Guten Morgen",
                    null, null, null, "https://smba.trafficmanager.net/emea/", clock.instant());
            boundedGuard.process(new Record<>("tenant-" + i, message, clock.millis()));
        }
        // one more message of an overflow tenant: 0.2 of 0.25 is the highest ratio among them
        boundedGuard.process(new Record<>("tenant-7", new NormalizedMessage("m-again", "tenant-7", "conv-1",
                ConversationType.PERSONAL, new Sender("29:1abc", "Anna Müller", "aad-anna"), "Guten Morgen", null,
                null, null, "https://smba.trafficmanager.net/emea/", clock.instant()), clock.millis()));

        assertThat(bounded.find(BudgetGauges.USED_RATIO).gauges()).extracting(g -> g.getId().getTag("tenant"))
                .containsOnly("tenant-0", "tenant-1", BudgetGauges.OTHER_TENANTS);
        assertThat(bounded.find(BudgetGauges.USED_RATIO).tag("limit", "daily-usd").gauges()).hasSize(3);
        assertThat(bounded.get(BudgetGauges.USED_RATIO).tag("tenant", BudgetGauges.OTHER_TENANTS)
                .tag("limit", "daily-usd").gauge().value()).isEqualTo(0.8);
        assertThat(bounded.get(BudgetGauges.USED_RATIO).tag("tenant", "tenant-1").tag("limit", "daily-usd")
                .gauge().value()).isEqualTo(0.4);
    }
}
