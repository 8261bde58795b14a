package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.DOUBLE;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.LONG;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;

/**
 * Spending limits per tenant: USD per UTC day and per calendar month (UTC), tokens per UTC day and, when set, per
 * calendar month (UTC). A request whose reservation would take spend past any limit is refused; one that lands
 * exactly on a limit is allowed. {@code tenant.ID.budget.*} overrides each limit for one tenant.
 *
 * @param monthlyTokens       {@code budget.monthly-tokens}, null when not set (no monthly token limit)
 * @param tenantMonthlyTokens per tenant, its own {@code tenant.ID.budget.monthly-tokens}
 */
public record BudgetConfig(BigDecimal dailyUsd, BigDecimal monthlyUsd, long dailyTokens,
                           Map<String, BigDecimal> tenantDailyUsd, Map<String, BigDecimal> tenantMonthlyUsd,
                           Map<String, Long> tenantDailyTokens, int metricsMaxTenants, Long monthlyTokens,
                           Map<String, Long> tenantMonthlyTokens) {

    public static final String DAILY_USD = "budget.daily-usd";
    public static final String MONTHLY_USD = "budget.monthly-usd";
    public static final String DAILY_TOKENS = "budget.daily-tokens";
    public static final String METRICS_MAX_TENANTS = "budget.metrics.max-tenants";
    public static final String MONTHLY_TOKENS = "budget.monthly-tokens";

    /** What {@link #monthlyTokensFor} answers for a tenant without a monthly token limit. */
    public static final long UNLIMITED_TOKENS = Long.MAX_VALUE;

    public static final ConfigDef DEF = new ConfigDef()
            .define(DAILY_USD, DOUBLE, 5.00, Range.atLeast(0.0), HIGH,
                    "Budget per tenant per UTC day in USD; tenant.ID.budget.daily-usd overrides.")
            .define(MONTHLY_USD, DOUBLE, 100.00, Range.atLeast(0.0), HIGH,
                    "Budget per tenant per calendar month (UTC) in USD; tenant.ID.budget.monthly-usd overrides.")
            .define(DAILY_TOKENS, LONG, 2_000_000L, Range.atLeast(0L), MEDIUM,
                    "Tokens (input plus output) per tenant per UTC day; tenant.ID.budget.daily-tokens overrides.")
            .define(METRICS_MAX_TENANTS, INT, 1_000, Range.between(1, 100_000), LOW,
                    "Tenants (the first seen by an instance) that get tla_budget_* gauge series of their own; later"
                            + " tenants share the series tenant=\"_other\" (the highest ratio among them), so the"
                            + " number of Prometheus series stays bounded.")
            .define(MONTHLY_TOKENS, LONG, null, MEDIUM,
                    "Tokens (input plus output) per tenant per calendar month (UTC); tenant.ID.budget.monthly-tokens"
                            + " overrides. Not set (the default): no monthly token limit, so an upgrade refuses"
                            + " nothing it allowed before; a value such as 20 x budget.daily-tokens (the ratio of the"
                            + " default USD limits) caps a tenant that uses its daily tokens every day. Counted on"
                            + " the same reservations and settlements as the daily tokens; reaching 80 % and 100 %"
                            + " emits budget.threshold events (limit monthly-tokens).");

    public static BudgetConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        Map<String, BigDecimal> daily = new LinkedHashMap<>();
        Map<String, BigDecimal> monthly = new LinkedHashMap<>();
        Map<String, Long> tokens = new LinkedHashMap<>();
        Map<String, Long> monthlyTokens = new LinkedHashMap<>();
        for (String tenant : TenantConfig.tenantsWithOverrides(config)) {
            Map<String, Object> overrides = TenantConfig.overrides(config, tenant);
            if (overrides.get(TenantConfig.BUDGET_DAILY_USD) != null) {
                daily.put(tenant, BigDecimal.valueOf((Double) overrides.get(TenantConfig.BUDGET_DAILY_USD)));
            }
            if (overrides.get(TenantConfig.BUDGET_MONTHLY_USD) != null) {
                monthly.put(tenant, BigDecimal.valueOf((Double) overrides.get(TenantConfig.BUDGET_MONTHLY_USD)));
            }
            if (overrides.get(TenantConfig.BUDGET_DAILY_TOKENS) != null) {
                tokens.put(tenant, (Long) overrides.get(TenantConfig.BUDGET_DAILY_TOKENS));
            }
            if (overrides.get(TenantConfig.BUDGET_MONTHLY_TOKENS) != null) {
                monthlyTokens.put(tenant, (Long) overrides.get(TenantConfig.BUDGET_MONTHLY_TOKENS));
            }
        }
        return new BudgetConfig(BigDecimal.valueOf((Double) v.get(DAILY_USD)),
                BigDecimal.valueOf((Double) v.get(MONTHLY_USD)), (Long) v.get(DAILY_TOKENS),
                Map.copyOf(daily), Map.copyOf(monthly), Map.copyOf(tokens), (Integer) v.get(METRICS_MAX_TENANTS),
                (Long) v.get(MONTHLY_TOKENS), Map.copyOf(monthlyTokens));
    }

    /** Validates budget.monthly-tokens, which has no default for ConfigDef to range-check. */
    public BudgetConfig {
        if (monthlyTokens != null) {
            Range.atLeast(0L).ensureValid(MONTHLY_TOKENS, monthlyTokens);
        }
        tenantMonthlyTokens = tenantMonthlyTokens == null ? Map.of() : Map.copyOf(tenantMonthlyTokens);
    }

    public BigDecimal dailyUsdFor(String tenantId) {
        return tenantDailyUsd.getOrDefault(tenantId, dailyUsd);
    }

    public BigDecimal monthlyUsdFor(String tenantId) {
        return tenantMonthlyUsd.getOrDefault(tenantId, monthlyUsd);
    }

    public long dailyTokensFor(String tenantId) {
        return tenantDailyTokens.getOrDefault(tenantId, dailyTokens);
    }

    /** The tenant's tokens per calendar month: its own, else budget.monthly-tokens, else {@link #UNLIMITED_TOKENS}. */
    public long monthlyTokensFor(String tenantId) {
        Long tenant = tenantMonthlyTokens.get(tenantId);
        if (tenant != null) {
            return tenant;
        }
        return monthlyTokens == null ? UNLIMITED_TOKENS : monthlyTokens;
    }
}
