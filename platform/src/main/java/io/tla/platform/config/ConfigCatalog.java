package io.tla.platform.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Every configuration key the product knows: the static keys of each concern and the key families with an id
 * in them ({@code model.provider.NAME.*}, {@code tenant.ID.*}, {@code webhook.registration.NAME.*}). Used to
 * map {@code TLA_*} environment names back to keys without ambiguity, to warn about unknown keys, and to
 * generate the configuration reference.
 */
public final class ConfigCatalog {

    public static final String ENV_PREFIX = "TLA_";
    /** Keys starting with this are handed to the Kafka clients unchanged (minus the prefix). */
    public static final String KAFKA_PASSTHROUGH_PREFIX = "kafka.";

    /** A family of keys: {@code prefix + id + "." + name}, where name is a key of {@code def}. */
    public record KeyFamily(String prefix, String idDescription, Pattern idPattern, boolean idDashesAsUnderscores,
                            ConfigDef def) {
    }

    public static final Map<String, ConfigDef> CONCERNS = concerns();

    public static final List<KeyFamily> FAMILIES = List.of(
            new KeyFamily("model.provider.", "NAME", Pattern.compile("[a-z0-9]+"), false, ModelConfig.PROVIDER_DEF),
            new KeyFamily("tenant.", "ID", Pattern.compile("[a-z0-9][a-z0-9-]*"), true, TenantConfig.DEF),
            new KeyFamily("webhook.registration.", "NAME", Pattern.compile("[a-z0-9]+"), false,
                    WebhookConfig.REGISTRATION_DEF));

    private static final List<String> RESERVED_ENV_PREFIXES = List.of("TLA_SECRET_", "TLA_CONFIG", "TLA_HOME",
            "TLA_JAVA_OPTS", "TLA_BUILD", "TLA_LOG_LEVEL");

    private ConfigCatalog() {
    }

    private static Map<String, ConfigDef> concerns() {
        Map<String, ConfigDef> map = new LinkedHashMap<>();
        map.put("HTTP", HttpConfig.DEF);
        map.put("Management", ManagementConfig.DEF);
        map.put("Data", DataConfig.DEF);
        map.put("Kafka", KafkaSettings.DEF);
        map.put("Kafka authentication", KafkaAuthConfig.DEF);
        map.put("Streams", StreamsSettings.DEF);
        map.put("Secrets", SecretsConfig.DEF);
        map.put("Webhook", WebhookConfig.DEF);
        map.put("Webhook sync replies", SyncReplyConfig.DEF);
        map.put("Model", ModelConfig.DEF);
        map.put("Model verification and routing", QualityConfig.DEF);
        map.put("Translation", TranslationConfig.DEF);
        map.put("Tone templates", ToneConfig.DEF);
        map.put("Languages per channel and person", LanguagesConfig.DEF);
        map.put("Compliance", ComplianceConfig.DEF);
        map.put("Budget", BudgetConfig.DEF);
        map.put("Rate limit", RateLimitConfig.DEF);
        map.put("Replies", ReplyConfig.DEF);
        map.put("Graph", GraphConfig.DEF);
        map.put("Teams", TeamsBotConfig.DEF);
        map.put("Dashboard", DashboardConfig.DEF);
        return map;
    }

    public static boolean isReservedEnv(String name) {
        return RESERVED_ENV_PREFIXES.stream().anyMatch(name::startsWith);
    }

    /** True when a key is a static key, a member of a key family, or a Kafka pass-through key. */
    public static boolean isKnown(String key) {
        if (key.startsWith(KAFKA_PASSTHROUGH_PREFIX)) {
            return true;
        }
        for (ConfigDef def : CONCERNS.values()) {
            if (def.names().contains(key)) {
                return true;
            }
        }
        for (KeyFamily family : FAMILIES) {
            if (key.startsWith(family.prefix())) {
                String rest = key.substring(family.prefix().length());
                for (String name : family.def().names()) {
                    if (rest.endsWith("." + name)) {
                        String id = rest.substring(0, rest.length() - name.length() - 1);
                        if (family.idPattern().matcher(id).matches()) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    /** {@code http.port} becomes {@code TLA_HTTP_PORT}. */
    public static String envName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The key an environment variable sets, or null when it matches no known key. */
    public static String keyForEnv(String envName) {
        if (!envName.startsWith(ENV_PREFIX)) {
            return null;
        }
        for (ConfigDef def : CONCERNS.values()) {
            for (String key : def.names()) {
                if (envName(key).equals(envName)) {
                    return key;
                }
            }
        }
        for (KeyFamily family : FAMILIES) {
            String familyEnv = envName(family.prefix());
            if (!envName.startsWith(familyEnv)) {
                continue;
            }
            String rest = envName.substring(familyEnv.length());
            // Longest suffix first, so BUDGET_DAILY_USD wins over a shorter name that also ends the string.
            List<String> names = new ArrayList<>(family.def().names());
            names.sort(Comparator.comparingInt(String::length).reversed());
            for (String name : names) {
                String suffix = "_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
                if (rest.endsWith(suffix) && rest.length() > suffix.length()) {
                    String id = rest.substring(0, rest.length() - suffix.length()).toLowerCase(Locale.ROOT);
                    if (family.idDashesAsUnderscores()) {
                        id = id.replace('_', '-');
                    }
                    if (family.idPattern().matcher(id).matches()) {
                        return family.prefix() + id + "." + name;
                    }
                }
            }
        }
        if (envName.startsWith(ENV_PREFIX + "KAFKA_")) {
            return KAFKA_PASSTHROUGH_PREFIX
                    + envName.substring((ENV_PREFIX + "KAFKA_").length()).toLowerCase(Locale.ROOT).replace('_', '.');
        }
        return null;
    }

    /** The configuration reference in Markdown, generated from the definitions (docs/configuration.md). */
    public static String markdownReference() {
        StringBuilder out = new StringBuilder();
        out.append("# Configuration reference\n\n")
                .append("Generated from the definitions in `platform/src/main/java/io/tla/platform/config/` by ")
                .append("`./tla config --docs`; do not edit by hand.\n\n")
                .append("Precedence: defaults < properties file (`--config FILE` or `TLA_CONFIG`) < environment. ")
                .append("Every key has an environment form: upper case, `.` and `-` become `_`, prefixed `TLA_`. ")
                .append("Keys beginning `kafka.` pass through to the Kafka clients. Secrets are never configuration ")
                .append("values: keys ending `-secret` name a secret in the secret store.\n");
        CONCERNS.forEach((title, def) -> {
            out.append("\n## ").append(title).append("\n\n");
            table(out, "", def);
        });
        for (KeyFamily family : FAMILIES) {
            out.append("\n## `").append(family.prefix()).append(family.idDescription()).append(".*`\n\n");
            if (family.idDashesAsUnderscores()) {
                out.append("In the environment form, `_` inside the id stands for `-`.\n\n");
            }
            table(out, family.prefix() + family.idDescription() + ".", family.def());
        }
        return out.toString();
    }

    private static void table(StringBuilder out, String prefix, ConfigDef def) {
        out.append("| key | environment | type | default | meaning |\n| --- | --- | --- | --- | --- |\n");
        for (ConfigDef.ConfigKey key : def.configKeys().values()) {
            Object defaultValue = key.hasDefault() ? key.defaultValue : null;
            String text = defaultValue == null ? null : ConfigDef.convertToString(defaultValue, key.type);
            String shown = text == null ? "" : text.isEmpty() ? "(empty)" : "`" + text + "`";
            out.append("| `").append(prefix).append(key.name).append("` | `")
                    .append(envName(prefix + key.name)).append("` | ")
                    .append(key.type.name().toLowerCase(Locale.ROOT)).append(" | ")
                    .append(shown).append(" | ")
                    .append(key.documentation.replace("|", "\\|").replace("\n", " "));
            // Some validators (ValidList.anyNonDuplicateValues) describe themselves as "": nothing to show.
            if (key.validator != null && !(key.validator instanceof ConfigDef.NonNullValidator)
                    && !key.validator.toString().isBlank()) {
                out.append(" Valid: ").append(key.validator.toString().replace("|", "\\|")).append('.');
            }
            out.append(" |\n");
        }
    }
}
