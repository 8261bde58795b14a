package io.tla.topology.budget;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.topology.budget.BudgetLimit.Period;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per tenant and limit, as of the tenant's last message in this instance:
 * {@code tla_budget_used_ratio{tenant,limit}} (spend including in-flight reservations over the limit) and
 * {@code tla_budget_exhausted{tenant,limit}} (1 once the period's 100 % threshold was reached, a refusal
 * included: the same moment the {@code budget.threshold} 100 % event is emitted). Both read 0 once the period they
 * were measured in has ended, so a tenant refused yesterday does not look exhausted today.
 *
 * <p>One set per registry: every stream task's {@link BudgetGuard} updates the same gauges (Micrometer keeps the
 * first object a gauge was registered with). One series pair per tenant and limit: tenants are customers, not
 * users, so the number stays small.
 */
final class BudgetGauges {

    static final String USED_RATIO = "tla.budget.used.ratio";
    static final String EXHAUSTED = "tla.budget.exhausted";

    private static final Map<MeterRegistry, BudgetGauges> BY_REGISTRY = Collections.synchronizedMap(new WeakHashMap<>());

    private final Clock clock;
    private final Map<String, Reading> readings = new ConcurrentHashMap<>();

    /** What the guard last saw for a tenant and limit, in which period. */
    private record Reading(String period, double usedRatio, boolean exhausted) {
    }

    // holds no reference to its registry: the weak map's entry goes with the registry
    private BudgetGauges(Clock clock) {
        this.clock = clock;
    }

    static BudgetGauges of(MeterRegistry meters, Clock clock) {
        return BY_REGISTRY.computeIfAbsent(meters, registry -> new BudgetGauges(clock));
    }

    void record(MeterRegistry meters, String tenant, BudgetLimit limit, String period, BigDecimal used,
                BigDecimal value, boolean exhausted) {
        double ratio = value.signum() == 0
                ? (used.signum() > 0 || exhausted ? 1.0 : 0.0)
                : used.divide(value, 6, RoundingMode.HALF_UP).doubleValue();
        String key = tenant + "|" + limit.wireName();
        if (readings.put(key, new Reading(period, ratio, exhausted)) == null) {
            Gauge.builder(USED_RATIO, this, gauges -> gauges.current(key, limit.period(), false)).strongReference(true)
                    .description("Share of the tenant's budget limit used in the current period, reservations included")
                    .tag("tenant", tenant).tag("limit", limit.wireName()).register(meters);
            Gauge.builder(EXHAUSTED, this, gauges -> gauges.current(key, limit.period(), true)).strongReference(true)
                    .description("1 when the tenant reached 100 % of the limit in the current period (refusals included)")
                    .tag("tenant", tenant).tag("limit", limit.wireName()).register(meters);
        }
    }

    private double current(String key, Period period, boolean exhausted) {
        Reading reading = readings.get(key);
        if (reading == null || !reading.period().equals(currentPeriod(period))) {
            return 0;
        }
        return exhausted ? (reading.exhausted() ? 1 : 0) : reading.usedRatio();
    }

    private String currentPeriod(Period period) {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        return period == Period.DAY ? today.toString() : YearMonth.from(today).toString();
    }
}
