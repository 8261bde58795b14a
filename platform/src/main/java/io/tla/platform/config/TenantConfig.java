package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.DOUBLE;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;

import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;

/**
 * Per-tenant overrides ({@code tenant.ID.*}); a key not set for a tenant falls back to the global one.
 * Tenant ids are lower-cased GUIDs.
 */
public final class TenantConfig {

    public static final String PREFIX = "tenant.";
    public static final String BUDGET_DAILY_USD = "budget.daily-usd";
    public static final String TARGET_LANGUAGES = "target-languages";

    public static final ConfigDef DEF = new ConfigDef()
            .define(BUDGET_DAILY_USD, DOUBLE, null, MEDIUM, "This tenant's budget per UTC day in USD.")
            .define(TARGET_LANGUAGES, LIST, null, MEDIUM, "This tenant's target languages.");

    private TenantConfig() {
    }

    /** The parsed overrides of one tenant (values are null where the tenant sets nothing). */
    public static Map<String, Object> overrides(TlaConfig config, String tenantId) {
        Map<String, Object> v = config.parse(PREFIX + tenantId + ".", DEF);
        Object budget = v.get(BUDGET_DAILY_USD);
        if (budget != null) {
            Range.atLeast(0.0).ensureValid(PREFIX + tenantId + "." + BUDGET_DAILY_USD, budget);
        }
        return v;
    }

    /** Tenant ids that have at least one override. */
    public static java.util.Set<String> tenantsWithOverrides(TlaConfig config) {
        java.util.Set<String> ids = new java.util.TreeSet<>();
        for (String key : config.withPrefix(PREFIX).keySet()) {
            for (String name : DEF.names()) {
                if (key.endsWith("." + name)) {
                    ids.add(key.substring(0, key.length() - name.length() - 1));
                }
            }
        }
        return ids;
    }
}
