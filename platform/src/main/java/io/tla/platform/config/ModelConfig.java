package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.DOUBLE;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigException;

/** The model providers, in fallback order, and each one's endpoint, key secret, limits and prices. */
public record ModelConfig(List<String> providerOrder, Map<String, Provider> providers, int maxOutputTokens,
                          int maxInputTokens, java.time.Duration cacheTtl, int cacheMaxEntries) {

    public static final String PROVIDERS = "model.providers";
    public static final String PROVIDER_PREFIX = "model.provider.";
    public static final String MAX_OUTPUT_TOKENS = "model.max-output-tokens";
    public static final String MAX_INPUT_TOKENS = "model.max-input-tokens";
    public static final String CACHE_TTL_MINUTES = "model.cache.ttl-minutes";
    public static final String CACHE_MAX_ENTRIES = "model.cache.max-entries";

    public static final ConfigDef DEF = new ConfigDef()
            .define(PROVIDERS, LIST, List.of("offline"), ConfigDef.ValidList.anyNonDuplicateValues(false, false), HIGH,
                    "Ordered provider names (lower-case letters and digits): the first is primary, the rest are "
                            + "fallbacks. The name 'offline' needs no further keys.")
            .define(MAX_OUTPUT_TOKENS, INT, 1024, Range.between(16, 128_000), MEDIUM,
                    "Upper bound of output tokens per call; the budget guard reserves for it.")
            .define(MAX_INPUT_TOKENS, INT, 2000, Range.between(50, 1_000_000), MEDIUM,
                    "Longest message text (estimated tokens) sent in one call; longer text is split on sentence "
                            + "boundaries into several calls and the translations are joined in order.")
            .define(CACHE_TTL_MINUTES, INT, 24 * 60, Range.between(0, 366 * 24 * 60), MEDIUM,
                    "How long a translation is served from the cache (0 turns the cache off).")
            .define(CACHE_MAX_ENTRIES, INT, 10_000, Range.between(0, 10_000_000), MEDIUM,
                    "Most cached translations kept per stream task; the oldest go first.");

    private static final List<String> PROVIDER_TYPES = List.of("openai", "azure-openai", "offline");

    public static final ConfigDef PROVIDER_DEF = new ConfigDef()
            // ValidString rejects the null default when the ConfigDef is built (ExceptionInInitializerError), so
            // the type check lets an unset type through; from() decides what an unset type means.
            .define("type", STRING, null, ConfigDef.LambdaValidator.with((name, value) -> {
                if (value != null && !PROVIDER_TYPES.contains(value)) {
                    throw new ConfigException(name, value, "String must be one of: " + String.join(", ", PROVIDER_TYPES));
                }
            }, PROVIDER_TYPES::toString), HIGH,
                    "openai (any OpenAI-compatible server), azure-openai, or offline.")
            .define("base-url", STRING, null, HIGH, "Endpoint base URL (for azure-openai, the deployment URL).")
            .define("model", STRING, null, HIGH, "Model or deployment name.")
            .define("api-key-secret", STRING, null, HIGH, "Secret name of the API key.")
            .define("timeout-ms", INT, 30_000, Range.between(100, 600_000), MEDIUM, "Timeout of one call.")
            .define("max-in-flight", INT, 256, Range.between(1, 100_000), MEDIUM, "Concurrent calls at most.")
            .define("offline-latency-ms", INT, 0, Range.between(0, 60_000), LOW,
                    "For type offline: answer after this delay instead of at once (load tests, demos of the "
                            + "asynchronous model stage). Ignored by other types.")
            .define("input-usd-per-1k-tokens", DOUBLE, 0.0, Range.atLeast(0.0), LOW,
                    "Price of 1000 input tokens in USD (0: cost reported as 0).")
            .define("output-usd-per-1k-tokens", DOUBLE, 0.0, Range.atLeast(0.0), LOW,
                    "Price of 1000 output tokens in USD (0: cost reported as 0).");

    /** One configured provider. */
    public record Provider(String name, String type, String baseUrl, String model, String apiKeySecret,
                           int timeoutMs, int maxInFlight, BigDecimal inputUsdPer1kTokens,
                           BigDecimal outputUsdPer1kTokens, int offlineLatencyMs) {
    }

    @SuppressWarnings("unchecked")
    public static ModelConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        Map<String, Provider> providers = new LinkedHashMap<>();
        List<String> order = (List<String>) v.get(PROVIDERS);
        for (String name : order) {
            if (!name.matches("[a-z0-9]+")) {
                throw new ConfigException(PROVIDERS, name, "provider names are lower-case letters and digits");
            }
            String prefix = PROVIDER_PREFIX + name + ".";
            Map<String, Object> p = config.parse(prefix, PROVIDER_DEF);
            String type = (String) p.get("type");
            if (type == null) {
                if (!name.equals("offline")) {
                    throw new ConfigException(prefix + "type", null, "a provider needs a type (openai, azure-openai, offline)");
                }
                type = "offline";
            }
            providers.put(name, new Provider(name, type, (String) p.get("base-url"), (String) p.get("model"),
                    (String) p.get("api-key-secret"), (Integer) p.get("timeout-ms"), (Integer) p.get("max-in-flight"),
                    BigDecimal.valueOf((Double) p.get("input-usd-per-1k-tokens")),
                    BigDecimal.valueOf((Double) p.get("output-usd-per-1k-tokens")), (Integer) p.get("offline-latency-ms")));
        }
        return new ModelConfig(List.copyOf(order), Map.copyOf(providers), (Integer) v.get(MAX_OUTPUT_TOKENS),
                (Integer) v.get(MAX_INPUT_TOKENS), java.time.Duration.ofMinutes((Integer) v.get(CACHE_TTL_MINUTES)),
                (Integer) v.get(CACHE_MAX_ENTRIES));
    }

    public Provider primary() {
        return providers.get(providerOrder.get(0));
    }
}
