package io.tla.platform.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * The raw configuration of one process: typed defaults (in each concern's {@link ConfigDef}) &lt; a properties
 * file ({@code --config FILE} or {@code TLA_CONFIG}) &lt; {@code TLA_*} environment variables. Concern classes
 * ({@link HttpConfig}, {@link KafkaSettings}, ...) parse their keys from it; a value that fails validation
 * throws a {@link ConfigException} naming the key. Keys that match nothing in {@link ConfigCatalog} are kept but
 * reported by {@link #warnings()}.
 */
public final class TlaConfig {

    /** Environment variable naming the properties file. */
    public static final String CONFIG_FILE_ENV = "TLA_CONFIG";

    private final Map<String, String> values;
    private final Map<String, String> origins;
    private final List<String> warnings;

    private TlaConfig(Map<String, String> values, Map<String, String> origins, List<String> warnings) {
        this.values = Collections.unmodifiableMap(new TreeMap<>(values));
        this.origins = Collections.unmodifiableMap(new TreeMap<>(origins));
        this.warnings = List.copyOf(warnings);
    }

    /** Configuration from explicit key/value pairs only (tests, embedded use). Unknown keys are warned about. */
    public static TlaConfig of(Map<String, String> values) {
        return load(null, Map.of(), values);
    }

    /**
     * Loads the configuration of a process.
     *
     * @param file      properties file, or null for {@code TLA_CONFIG} from {@code env} (or none)
     * @param env       the process environment
     * @param overrides highest-precedence values (command-line options), may be empty
     */
    public static TlaConfig load(Path file, Map<String, String> env, Map<String, String> overrides) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> origins = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        Path configFile = file != null ? file : (env.containsKey(CONFIG_FILE_ENV) ? Path.of(env.get(CONFIG_FILE_ENV)) : null);
        if (configFile != null) {
            Properties props = new Properties();
            try (Reader reader = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
                props.load(reader);
            } catch (IOException e) {
                throw new ConfigException("cannot read configuration file " + configFile + ": " + e.getMessage());
            }
            for (String key : new TreeSet<>(props.stringPropertyNames())) {
                values.put(key, props.getProperty(key).trim());
                origins.put(key, configFile.toString());
                if (!ConfigCatalog.isKnown(key)) {
                    warnings.add("unknown configuration key '" + key + "' in " + configFile + " (ignored)");
                }
            }
        }
        for (Map.Entry<String, String> entry : new TreeMap<>(env).entrySet()) {
            String name = entry.getKey();
            if (!name.startsWith(ConfigCatalog.ENV_PREFIX) || ConfigCatalog.isReservedEnv(name)) {
                continue;
            }
            String key = ConfigCatalog.keyForEnv(name);
            if (key == null) {
                warnings.add("unknown configuration variable " + name + " (ignored)");
                continue;
            }
            values.put(key, entry.getValue().trim());
            origins.put(key, "environment " + name);
        }
        for (Map.Entry<String, String> entry : overrides.entrySet()) {
            values.put(entry.getKey(), entry.getValue());
            origins.put(entry.getKey(), "command line");
            if (!ConfigCatalog.isKnown(entry.getKey())) {
                warnings.add("unknown configuration key '" + entry.getKey() + "' (ignored)");
            }
        }
        String jaas = values.get(ConfigCatalog.KAFKA_PASSTHROUGH_PREFIX + "sasl.jaas.config");
        if (jaas != null && jaas.toLowerCase(java.util.Locale.ROOT).contains("password")) {
            warnings.add("kafka.sasl.jaas.config carries a password in the configuration: use " + KafkaAuthConfig.MODE
                    + ", " + KafkaAuthConfig.USERNAME + " and the secret named by " + KafkaAuthConfig.PASSWORD_SECRET
                    + " instead");
        }
        return new TlaConfig(values, origins, warnings);
    }

    /** Parses and validates the keys of one concern; defaults apply where a key is not set. */
    public Map<String, Object> parse(ConfigDef def) {
        Map<String, String> own = new TreeMap<>();
        for (String name : def.names()) {
            if (values.containsKey(name)) {
                own.put(name, values.get(name));
            }
        }
        return def.parse(own);
    }

    /**
     * Parses the keys below {@code prefix} (for example {@code model.provider.primary.}) with a definition whose
     * names are relative to it. A validation error names the full key.
     */
    public Map<String, Object> parse(String prefix, ConfigDef def) {
        Map<String, String> own = new TreeMap<>();
        for (String name : def.names()) {
            String full = prefix + name;
            if (values.containsKey(full)) {
                own.put(name, values.get(full));
            }
        }
        try {
            return def.parse(own);
        } catch (ConfigException e) {
            // One pass over the message: replacing name by name would rewrite an already prefixed key again when
            // one name is the start of the prefix (model.provider.x.type became model.provider.x.model.provider...).
            String names = def.names().stream()
                    .sorted(Comparator.comparingInt(String::length).reversed())
                    .map(Pattern::quote)
                    .collect(Collectors.joining("|"));
            Matcher m = Pattern.compile("(configuration \"?)(" + names + ")(?![A-Za-z0-9._-])").matcher(e.getMessage());
            String message = m.replaceAll(r -> Matcher.quoteReplacement(r.group(1) + prefix + r.group(2)));
            throw new ConfigException(message);
        }
    }

    /** The raw value of a key, or null. */
    public String raw(String key) {
        return values.get(key);
    }

    /** Every raw key/value that starts with {@code prefix}, with the prefix removed. */
    public Map<String, String> withPrefix(String prefix) {
        Map<String, String> result = new TreeMap<>();
        values.forEach((key, value) -> {
            if (key.startsWith(prefix)) {
                result.put(key.substring(prefix.length()), value);
            }
        });
        return result;
    }

    /** Where a key's value came from (file path, environment variable, command line), or "default". */
    public String origin(String key) {
        return origins.getOrDefault(key, "default");
    }

    public Map<String, String> values() {
        return values;
    }

    /** Problems worth a warning at start-up (unknown keys); never contains values. */
    public List<String> warnings() {
        return warnings;
    }

    /** A copy with some values replaced (tests, per-role adjustments). */
    public TlaConfig with(Map<String, String> replacements) {
        Map<String, String> merged = new LinkedHashMap<>(values);
        merged.putAll(replacements);
        Map<String, String> mergedOrigins = new LinkedHashMap<>(origins);
        replacements.keySet().forEach(key -> mergedOrigins.put(key, "override"));
        return new TlaConfig(merged, mergedOrigins, warnings);
    }
}
