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

    /** Azure OpenAI's GA api-version with structured output (json_schema). */
    public static final String DEFAULT_AZURE_API_VERSION = "2024-10-21";
    public static final int MAX_RETRY_AFTER_SECONDS = 10;
    public static final int MAX_BACKOFF_SECONDS = 5;

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
            .define("timeout-ms", INT, 30_000, Range.between(100, 600_000), MEDIUM,
                    "Timeout of one attempt (one HTTP call). The model stage waits for the whole chain: every "
                            + "provider's attempts and the waits between them.")
            .define("max-in-flight", INT, 256, Range.between(1, 100_000), MEDIUM, "Concurrent calls at most.")
            .define("api-version", STRING, DEFAULT_AZURE_API_VERSION, HIGH,
                    "For type azure-openai: the api-version query parameter (one that supports structured "
                            + "output). Ignored by other types.")
            .define("max-attempts", INT, 3, Range.between(1, 10), MEDIUM,
                    "Attempts of one call, the first included, before the next provider is tried. Retried: "
                            + "timeouts, unreachable server, HTTP 429 and 5xx, with exponential backoff and jitter, "
                            + "or after the server's Retry-After (up to " + MAX_RETRY_AFTER_SECONDS + " s; longer "
                            + "means no retry). Never retried: 400, 401, 403, 404. Ignored by type offline.")
            .define("retry-backoff-ms", INT, 250, Range.between(1, 60_000), LOW,
                    "Wait before the first retry; each further retry waits about twice as long (randomised by "
                            + "half, at most " + MAX_BACKOFF_SECONDS + " s).")
            .define("breaker-min-calls", INT, 20, Range.between(1, 10_000), LOW,
                    "Circuit breaker: calls in its sliding window; once that many are recorded and at least half "
                            + "failed, the breaker opens and the provider is skipped (reason breaker-open).")
            .define("breaker-open-ms", INT, 30_000, Range.between(10, 3_600_000), LOW,
                    "Circuit breaker: how long it stays open before a few trial calls are let through "
                            + "(half-open).")
            .define("offline-latency-ms", INT, 0, Range.between(0, 60_000), LOW,
                    "For type offline: answer after this delay instead of at once (load tests, demos of the "
                            + "asynchronous model stage). Ignored by other types.")
            .define("regions", LIST, List.of(), ComplianceConfig.TOKENS, MEDIUM,
                    "Regions where this provider processes data (lower-case tokens such as eu-west,eu-central); "
                            + "a tenant restricted to regions (compliance.allowed-regions, tenant.ID.allowed-regions) "
                            + "skips a provider in none of them. Empty: no region declared, so a tenant restricted "
                            + "to regions never uses it; a provider of type offline is then in region 'local'.")
            .define("certifications", LIST, List.of(), ComplianceConfig.TOKENS, MEDIUM,
                    "Certifications this provider holds (lower-case tokens such as iso27001,soc2); a tenant that "
                            + "requires certifications (compliance.required-certifications, "
                            + "tenant.ID.required-certifications) skips a provider lacking any of them.")
            .define("input-usd-per-1k-tokens", DOUBLE, 0.0, Range.atLeast(0.0), LOW,
                    "Price of 1000 input tokens in USD (0: cost reported as 0).")
            .define("output-usd-per-1k-tokens", DOUBLE, 0.0, Range.atLeast(0.0), LOW,
                    "Price of 1000 output tokens in USD (0: cost reported as 0).");

    /** One configured provider. */
    public record Provider(String name, String type, String baseUrl, String model, String apiKeySecret,
                           int timeoutMs, int maxInFlight, BigDecimal inputUsdPer1kTokens,
                           BigDecimal outputUsdPer1kTokens, int offlineLatencyMs, String apiVersion,
                           int maxAttempts, int retryBackoffMs, int breakerMinCalls, int breakerOpenMs,
                           List<String> regions, List<String> certifications) {

        /** The region of an offline provider that declares none: it runs in the process, nothing leaves. */
        public static final String LOCAL_REGION = "local";

        public Provider {
            regions = regions == null || regions.isEmpty()
                    ? ("offline".equals(type) ? List.of(LOCAL_REGION) : List.of()) : List.copyOf(regions);
            certifications = certifications == null ? List.of() : List.copyOf(certifications);
        }

        /** A provider that declares no regions or certifications. */
        public Provider(String name, String type, String baseUrl, String model, String apiKeySecret, int timeoutMs,
                        int maxInFlight, BigDecimal inputUsdPer1kTokens, BigDecimal outputUsdPer1kTokens,
                        int offlineLatencyMs, String apiVersion, int maxAttempts, int retryBackoffMs,
                        int breakerMinCalls, int breakerOpenMs) {
            this(name, type, baseUrl, model, apiKeySecret, timeoutMs, maxInFlight, inputUsdPer1kTokens,
                    outputUsdPer1kTokens, offlineLatencyMs, apiVersion, maxAttempts, retryBackoffMs, breakerMinCalls,
                    breakerOpenMs, List.of(), List.of());
        }

        /** A provider with the default api-version, retry and breaker settings. */
        public Provider(String name, String type, String baseUrl, String model, String apiKeySecret, int timeoutMs,
                        int maxInFlight, BigDecimal inputUsdPer1kTokens, BigDecimal outputUsdPer1kTokens,
                        int offlineLatencyMs) {
            this(name, type, baseUrl, model, apiKeySecret, timeoutMs, maxInFlight, inputUsdPer1kTokens,
                    outputUsdPer1kTokens, offlineLatencyMs, DEFAULT_AZURE_API_VERSION, 3, 250, 20, 30_000);
        }

        /**
         * The longest this provider can take to answer or give up: every attempt timing out, with the longest
         * wait between attempts. An offline provider makes one attempt.
         */
        public long worstCaseMs() {
            if ("offline".equals(type)) {
                return timeoutMs;
            }
            long wait = Math.max(MAX_RETRY_AFTER_SECONDS, MAX_BACKOFF_SECONDS) * 1000L;
            return (long) timeoutMs * maxAttempts + (maxAttempts - 1) * wait;
        }
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
                    BigDecimal.valueOf((Double) p.get("output-usd-per-1k-tokens")), (Integer) p.get("offline-latency-ms"),
                    (String) p.get("api-version"), (Integer) p.get("max-attempts"), (Integer) p.get("retry-backoff-ms"),
                    (Integer) p.get("breaker-min-calls"), (Integer) p.get("breaker-open-ms"),
                    (List<String>) p.get("regions"), (List<String>) p.get("certifications")));
        }
        return new ModelConfig(List.copyOf(order), Map.copyOf(providers), (Integer) v.get(MAX_OUTPUT_TOKENS),
                (Integer) v.get(MAX_INPUT_TOKENS), java.time.Duration.ofMinutes((Integer) v.get(CACHE_TTL_MINUTES)),
                (Integer) v.get(CACHE_MAX_ENTRIES));
    }

    public Provider primary() {
        return providers.get(providerOrder.get(0));
    }

    /** The providers in fallback order. */
    public List<Provider> ordered() {
        return providerOrder.stream().map(providers::get).toList();
    }

    /**
     * How long the model stage waits for one answer: the whole fallback chain, each provider at its worst. With the
     * default single offline provider this is its {@code timeout-ms}, as before fallback existed.
     */
    public java.time.Duration chainTimeout() {
        return chainTimeout(false);
    }

    /**
     * {@link #chainTimeout()} when {@code checked}: an answer that fails its checks is asked for once more of the
     * same provider, so each provider but an offline one may take its worst case twice.
     */
    public java.time.Duration chainTimeout(boolean checked) {
        return java.time.Duration.ofMillis(ordered().stream()
                .mapToLong(p -> checked && !"offline".equals(p.type()) ? 2 * p.worstCaseMs() : p.worstCaseMs())
                .sum());
    }
}
