package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.DOUBLE;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.LONG;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

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
    public static final String BUDGET_MONTHLY_USD = "budget.monthly-usd";
    public static final String BUDGET_DAILY_TOKENS = "budget.daily-tokens";
    public static final String TARGET_LANGUAGES = "target-languages";
    public static final String TONE = "tone";

    public static final ConfigDef DEF = new ConfigDef()
            .define(BUDGET_DAILY_USD, DOUBLE, null, MEDIUM, "This tenant's budget per UTC day in USD.")
            .define(BUDGET_MONTHLY_USD, DOUBLE, null, MEDIUM, "This tenant's budget per calendar month in USD.")
            .define(BUDGET_DAILY_TOKENS, LONG, null, MEDIUM, "This tenant's tokens per UTC day.")
            .define(TARGET_LANGUAGES, LIST, null, MEDIUM, "This tenant's target languages.")
            .define(TONE, STRING, null, MEDIUM, "This tenant's tone: polite, casual, business or technical.");

    private TenantConfig() {
    }

    /** The parsed overrides of one tenant (values are null where the tenant sets nothing). */
    public static Map<String, Object> overrides(TlaConfig config, String tenantId) {
        Map<String, Object> v = config.parse(PREFIX + tenantId + ".", DEF);
        for (String key : new String[] {BUDGET_DAILY_USD, BUDGET_MONTHLY_USD}) {
            if (v.get(key) != null) {
                Range.atLeast(0.0).ensureValid(PREFIX + tenantId + "." + key, v.get(key));
            }
        }
        if (v.get(BUDGET_DAILY_TOKENS) != null) {
            Range.atLeast(0L).ensureValid(PREFIX + tenantId + "." + BUDGET_DAILY_TOKENS, v.get(BUDGET_DAILY_TOKENS));
        }
        if (v.get(TONE) != null && !TranslationConfig.TONES.contains(v.get(TONE))) {
            throw new org.apache.kafka.common.config.ConfigException(PREFIX + tenantId + "." + TONE, v.get(TONE),
                    "tone must be one of " + TranslationConfig.TONES);
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
