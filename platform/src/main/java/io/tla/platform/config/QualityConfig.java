package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.BOOLEAN;
import static org.apache.kafka.common.config.ConfigDef.Type.DOUBLE;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigException;

/**
 * How model answers are checked and how providers are chosen per tenant.
 *
 * <p><b>Verification</b> ({@code model.verification.*}): every translation a provider returns is checked before it
 * becomes a reply (target language, not the source unchanged, required glossary terms, well-formed). A failed
 * check is asked once more of the same provider with a corrective instruction, then of the next provider.
 *
 * <p><b>Routing</b> ({@code model.routing*}, {@code tenant.ID.model.*}): {@code ordered} asks the providers in the
 * tenant's order ({@code tenant.ID.model.providers}, else {@code model.providers}); {@code cost} first asks the
 * cheapest provider the tenant's compliance policy allows whose recent pass rate is at least
 * {@code model.routing.min-quality}, then the rest in the tenant's order.
 */
public record QualityConfig(boolean verification, int minLetters, String routing, double minQuality,
                            int qualityWindow, Duration qualityWindowAge, int minAnswers,
                            Map<String, List<String>> tenantProviders, Map<String, String> tenantRouting) {

    public static final String VERIFICATION = "model.verification.enabled";
    public static final String MIN_LETTERS = "model.verification.min-letters";
    public static final String ROUTING = "model.routing";
    public static final String MIN_QUALITY = "model.routing.min-quality";
    public static final String QUALITY_WINDOW = "model.routing.quality-window";
    public static final String QUALITY_WINDOW_MINUTES = "model.routing.quality-window-minutes";
    public static final String MIN_ANSWERS = "model.routing.min-answers";

    public static final String ORDERED = "ordered";
    public static final String COST = "cost";
    public static final List<String> ROUTINGS = List.of(ORDERED, COST);

    public static final ConfigDef DEF = new ConfigDef()
            .define(VERIFICATION, BOOLEAN, true, HIGH,
                    "Check every translation before it becomes a reply: it is in its target language, it is not "
                            + "the message returned unchanged, required glossary terms are present, and it is "
                            + "well-formed. A failed check is asked once more of the same provider with a corrective "
                            + "instruction, then of the next provider; when none passes, the reply says it could not "
                            + "be verified. The offline provider is never checked (it does not translate).")
            .define(MIN_LETTERS, INT, 16, Range.between(1, 1000), LOW,
                    "Letters a translation must keep, once URLs, @mentions, e-mail addresses, code, numbers, emoji "
                            + "and words also in the message (names, product terms) are set aside, for its language "
                            + "to be judged (a CJK character counts as 3). Shorter text passes the language check "
                            + "unjudged, and is not judged unchanged either.")
            .define(ROUTING, STRING, ORDERED, ConfigDef.ValidString.in(ORDERED, COST), HIGH,
                    "How providers are chosen: ordered (the tenant's order, else model.providers) or cost (the "
                            + "cheapest provider the tenant's policy allows whose pass rate is at least "
                            + "model.routing.min-quality first, then the rest in order). tenant.ID.model.routing "
                            + "overrides.")
            .define(MIN_QUALITY, DOUBLE, 0.9, Range.between(0.0, 1.0), MEDIUM,
                    "Cost routing: the share of a provider's recent checked answers that must have passed for it to "
                            + "be picked first.")
            .define(QUALITY_WINDOW, INT, 200, Range.between(1, 100_000), LOW,
                    "Cost routing: how many of a provider's most recent checked answers its pass rate counts.")
            .define(QUALITY_WINDOW_MINUTES, INT, 60, Range.between(1, 7 * 24 * 60), LOW,
                    "Cost routing: answers older than this drop out of a provider's pass rate, so a provider "
                            + "demoted for poor answers is tried first again once its bad answers have aged out.")
            .define(MIN_ANSWERS, INT, 20, Range.between(0, 100_000), LOW,
                    "Cost routing: below this many recent checked answers a provider's pass rate is not known yet "
                            + "and it may be picked first.");

    /** The keys a tenant may set ({@code tenant.ID.} + these). */
    public static final String TENANT_PROVIDERS = "model.providers";
    public static final String TENANT_ROUTING = "model.routing";

    @SuppressWarnings("unchecked")
    public static QualityConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        List<String> known = ModelConfig.from(config).providerOrder();
        Map<String, List<String>> providers = new LinkedHashMap<>();
        Map<String, String> routing = new LinkedHashMap<>();
        for (String tenant : TenantConfig.tenantsWithOverrides(config)) {
            Map<String, Object> overrides = TenantConfig.overrides(config, tenant);
            List<String> order = (List<String>) overrides.get(TenantConfig.MODEL_PROVIDERS);
            if (order != null) {
                String key = TenantConfig.PREFIX + tenant + "." + TenantConfig.MODEL_PROVIDERS;
                if (order.isEmpty()) {
                    throw new ConfigException(key, order, "name at least one provider of " + ModelConfig.PROVIDERS);
                }
                for (String name : order) {
                    if (!known.contains(name)) {
                        throw new ConfigException(key, order, "provider " + name + " is not in " + ModelConfig.PROVIDERS
                                + " " + known);
                    }
                }
                if (order.stream().distinct().count() != order.size()) {
                    throw new ConfigException(key, order, "a provider is named more than once");
                }
                providers.put(tenant, List.copyOf(order));
            }
            String mode = (String) overrides.get(TenantConfig.MODEL_ROUTING);
            if (mode != null) {
                if (!ROUTINGS.contains(mode)) {
                    throw new ConfigException(TenantConfig.PREFIX + tenant + "." + TenantConfig.MODEL_ROUTING, mode,
                            "routing must be one of " + ROUTINGS);
                }
                routing.put(tenant, mode);
            }
        }
        return new QualityConfig((Boolean) v.get(VERIFICATION), (Integer) v.get(MIN_LETTERS), (String) v.get(ROUTING),
                (Double) v.get(MIN_QUALITY), (Integer) v.get(QUALITY_WINDOW),
                Duration.ofMinutes((Integer) v.get(QUALITY_WINDOW_MINUTES)), (Integer) v.get(MIN_ANSWERS),
                Map.copyOf(providers), Map.copyOf(routing));
    }

    /** The providers a tenant's messages go to, in order; null when the tenant keeps {@code model.providers}. */
    public List<String> providersFor(String tenantId) {
        return tenantProviders.get(tenantId);
    }

    /** {@link #ORDERED} or {@link #COST} for a tenant. */
    public String routingFor(String tenantId) {
        return tenantRouting.getOrDefault(tenantId, routing);
    }
}
