package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Type.DOUBLE;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;

/** Spending limits per tenant. A request whose estimated cost would take spend past the limit is refused. */
public record BudgetConfig(BigDecimal dailyUsd, Map<String, BigDecimal> tenantDailyUsd) {

    public static final String DAILY_USD = "budget.daily-usd";

    public static final ConfigDef DEF = new ConfigDef()
            .define(DAILY_USD, DOUBLE, 5.00, Range.atLeast(0.0), HIGH,
                    "Budget per tenant per UTC day in USD; tenant.ID.budget.daily-usd overrides.");

    public static BudgetConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        Map<String, BigDecimal> perTenant = new LinkedHashMap<>();
        for (String tenant : TenantConfig.tenantsWithOverrides(config)) {
            Object daily = TenantConfig.overrides(config, tenant).get(TenantConfig.BUDGET_DAILY_USD);
            if (daily != null) {
                perTenant.put(tenant, BigDecimal.valueOf((Double) daily));
            }
        }
        return new BudgetConfig(BigDecimal.valueOf((Double) v.get(DAILY_USD)), Map.copyOf(perTenant));
    }

    public BigDecimal dailyUsdFor(String tenantId) {
        return tenantDailyUsd.getOrDefault(tenantId, dailyUsd);
    }
}
