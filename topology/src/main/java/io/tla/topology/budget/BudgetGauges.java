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
import java.util.Set;
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
 * first object a gauge was registered with). The tenant id is a label, and in development mode it comes from the
 * message body, so at most {@code maxTenants} tenants (the first seen) get series of their own; every later tenant
 * is folded into {@code tenant="_other"}, which reads the highest ratio any of them reached in the current
 * period, and 1 for exhausted when any of them was. Prometheus cardinality stays bounded whatever senders send.
 */
final class BudgetGauges {

    static final String USED_RATIO = "tla.budget.used.ratio";
    static final String EXHAUSTED = "tla.budget.exhausted";

    /** The label of the series that aggregates the tenants beyond the bound. */
    static final String OTHER_TENANTS = "_other";

    private static final Map<MeterRegistry, BudgetGauges> BY_REGISTRY = Collections.synchronizedMap(new WeakHashMap<>());

    private final Clock clock;
    private final int maxTenants;
    /** Tenants with series of their own; at most {@code maxTenants}, never evicted (their series stay registered). */
    private final Set<String> tenants = ConcurrentHashMap.newKeySet();
    /** At most ({@code maxTenants} + 1) x limits entries: the tenants above and {@link #OTHER_TENANTS}. */
    private final Map<String, Reading> readings = new ConcurrentHashMap<>();

    /** What the guard last saw for a tenant and limit, in which period. */
    private record Reading(String period, double usedRatio, boolean exhausted) {
    }

    // holds no reference to its registry: the weak map's entry goes with the registry
    private BudgetGauges(Clock clock, int maxTenants) {
        this.clock = clock;
        this.maxTenants = maxTenants;
    }

    static BudgetGauges of(MeterRegistry meters, Clock clock, int maxTenants) {
        return BY_REGISTRY.computeIfAbsent(meters, registry -> new BudgetGauges(clock, maxTenants));
    }

    /** Tenants with series of their own, for tests and readiness details. */
    int tenantsWithOwnSeries() {
        return tenants.size();
    }

    /** The tenant's own label while there is room (or it already has one), else {@link #OTHER_TENANTS}. */
    private String labelOf(String tenant) {
        if (tenants.contains(tenant)) {
            return tenant;
        }
        synchronized (tenants) {
            if (tenants.size() < maxTenants) {
                tenants.add(tenant);
                return tenant;
            }
        }
        return OTHER_TENANTS;
    }

    void record(MeterRegistry meters, String tenant, BudgetLimit limit, String period, BigDecimal used,
                BigDecimal value, boolean exhausted) {
        double ratio = value.signum() == 0
                ? (used.signum() > 0 || exhausted ? 1.0 : 0.0)
                : used.divide(value, 6, RoundingMode.HALF_UP).doubleValue();
        String label = labelOf(tenant);
        String key = label + "|" + limit.wireName();
        Reading reading = new Reading(period, ratio, exhausted);
        boolean first = !readings.containsKey(key); // registering twice in a race is harmless: Micrometer dedupes
        if (label.equals(OTHER_TENANTS)) {
            readings.merge(key, reading, BudgetGauges::highest);
        } else {
            readings.put(key, reading);
        }
        if (first) {
            Gauge.builder(USED_RATIO, this, gauges -> gauges.current(key, limit.period(), false)).strongReference(true)
                    .description("Share of the tenant's budget limit used in the current period, reservations included")
                    .tag("tenant", label).tag("limit", limit.wireName()).register(meters);
            Gauge.builder(EXHAUSTED, this, gauges -> gauges.current(key, limit.period(), true)).strongReference(true)
                    .description("1 when the tenant reached 100 % of the limit in the current period (refusals included)")
                    .tag("tenant", label).tag("limit", limit.wireName()).register(meters);
        }
    }

    /** The aggregate over tenants beyond the bound: the highest reading of the current period. */
    private static Reading highest(Reading known, Reading next) {
        if (!known.period().equals(next.period())) {
            return next.period().compareTo(known.period()) > 0 ? next : known;
        }
        return new Reading(known.period(), Math.max(known.usedRatio(), next.usedRatio()),
                known.exhausted() || next.exhausted());
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
