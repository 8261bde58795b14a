package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigException;

/**
 * Which languages replies are in, per tenant, in which tone (per tenant and channel), and how much conversation
 * context goes with each request.
 *
 * @param channelTones per tenant, channel id to tone ({@code tenant.ID.channel-tones})
 */
public record TranslationConfig(List<String> targetLanguages, Map<String, List<String>> tenantTargetLanguages,
                                int contextTurns, String tone, Map<String, String> tenantTones,
                                Map<String, Map<String, String>> channelTones, int contextMaxTokens,
                                java.time.Duration contextIdleExpiry) {

    public static final String TARGET_LANGUAGES = "translation.target-languages";
    public static final String TONE = "translation.tone";
    public static final String CONTEXT_TURNS = "context.turns";
    public static final String CONTEXT_MAX_TOKENS = "context.max-tokens";
    public static final String CONTEXT_IDLE_EXPIRY_HOURS = "context.idle-expiry-hours";
    public static final List<String> TONES = List.of("polite", "casual", "business", "technical");

    public static final ConfigDef DEF = new ConfigDef()
            .define(TARGET_LANGUAGES, LIST, List.of("en"), ConfigDef.ValidList.anyNonDuplicateValues(false, false), HIGH,
                    "Default target languages (BCP-47 tags); tenant.ID.target-languages overrides per tenant.")
            .define(TONE, org.apache.kafka.common.config.ConfigDef.Type.STRING, "business",
                    org.apache.kafka.common.config.ConfigDef.ValidString.in("polite", "casual", "business", "technical"),
                    MEDIUM, "Default tone of translations; tenant.ID.tone overrides per tenant, "
                    + "tenant.ID.channel-tones per channel.")
            .define(CONTEXT_TURNS, INT, 8, Range.between(0, 64), MEDIUM,
                    "Recent turns of the same conversation kept and sent with each request.")
            .define(CONTEXT_MAX_TOKENS, INT, 1024, Range.between(0, 128_000), MEDIUM,
                    "Upper bound of the (estimated) tokens of the turns sent with one request; oldest turns go first. "
                    + "The budget guard reserves for all of it when context.turns is above 0.")
            .define(CONTEXT_IDLE_EXPIRY_HOURS, INT, 72, Range.between(1, 24 * 366), MEDIUM,
                    "A conversation idle this long loses its stored turns.");

    @SuppressWarnings("unchecked")
    public static TranslationConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        List<String> defaults = validLanguages(TARGET_LANGUAGES, (List<String>) v.get(TARGET_LANGUAGES));
        Map<String, List<String>> perTenant = new LinkedHashMap<>();
        Map<String, String> tones = new LinkedHashMap<>();
        Map<String, Map<String, String>> channelTones = new LinkedHashMap<>();
        for (String tenant : TenantConfig.tenantsWithOverrides(config)) {
            Map<String, Object> overrides = TenantConfig.overrides(config, tenant);
            List<String> languages = (List<String>) overrides.get(TenantConfig.TARGET_LANGUAGES);
            if (languages != null) {
                perTenant.put(tenant, validLanguages(TenantConfig.PREFIX + tenant + "." + TenantConfig.TARGET_LANGUAGES, languages));
            }
            if (overrides.get(TenantConfig.TONE) != null) {
                tones.put(tenant, (String) overrides.get(TenantConfig.TONE));
            }
            Map<String, String> channels = TenantConfig.channelTones(tenant, overrides);
            if (!channels.isEmpty()) {
                channelTones.put(tenant, channels);
            }
        }
        return new TranslationConfig(defaults, Map.copyOf(perTenant), (Integer) v.get(CONTEXT_TURNS),
                (String) v.get(TONE), Map.copyOf(tones), Map.copyOf(channelTones), (Integer) v.get(CONTEXT_MAX_TOKENS),
                java.time.Duration.ofHours((Integer) v.get(CONTEXT_IDLE_EXPIRY_HOURS)));
    }

    public String toneFor(String tenantId) {
        return tenantTones.getOrDefault(tenantId, tone);
    }

    /**
     * The tone of a message: its channel's ({@code tenant.ID.channel-tones}), else its tenant's
     * ({@code tenant.ID.tone}), else {@code translation.tone}. {@code channelId} is null for chats.
     */
    public String toneFor(String tenantId, String channelId) {
        String channelTone = channelId == null ? null
                : channelTones.getOrDefault(tenantId, Map.of()).get(channelId);
        return channelTone != null ? channelTone : toneFor(tenantId);
    }

    public List<String> targetLanguagesFor(String tenantId) {
        return tenantTargetLanguages.getOrDefault(tenantId, targetLanguages);
    }

    private static List<String> validLanguages(String key, List<String> languages) {
        for (String language : languages) {
            if (!language.matches("[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")) {
                throw new ConfigException(key, language, "not a BCP-47 language tag such as en or pt-BR");
            }
        }
        return List.copyOf(languages);
    }
}
