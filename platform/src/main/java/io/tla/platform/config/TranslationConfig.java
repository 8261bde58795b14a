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

/** Which languages replies are in, per tenant, and how much conversation context goes with each request. */
public record TranslationConfig(List<String> targetLanguages, Map<String, List<String>> tenantTargetLanguages,
                                int contextTurns) {

    public static final String TARGET_LANGUAGES = "translation.target-languages";
    public static final String CONTEXT_TURNS = "context.turns";

    public static final ConfigDef DEF = new ConfigDef()
            .define(TARGET_LANGUAGES, LIST, List.of("en"), ConfigDef.ValidList.anyNonDuplicateValues(false, false), HIGH,
                    "Default target languages (BCP-47 tags); tenant.ID.target-languages overrides per tenant.")
            .define(CONTEXT_TURNS, INT, 8, Range.between(0, 64), MEDIUM,
                    "Recent turns of the same conversation kept and sent with each request.");

    @SuppressWarnings("unchecked")
    public static TranslationConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        List<String> defaults = validLanguages(TARGET_LANGUAGES, (List<String>) v.get(TARGET_LANGUAGES));
        Map<String, List<String>> perTenant = new LinkedHashMap<>();
        for (String tenant : TenantConfig.tenantsWithOverrides(config)) {
            List<String> languages = (List<String>) TenantConfig.overrides(config, tenant).get(TenantConfig.TARGET_LANGUAGES);
            if (languages != null) {
                perTenant.put(tenant, validLanguages(TenantConfig.PREFIX + tenant + "." + TenantConfig.TARGET_LANGUAGES, languages));
            }
        }
        return new TranslationConfig(defaults, Map.copyOf(perTenant), (Integer) v.get(CONTEXT_TURNS));
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
