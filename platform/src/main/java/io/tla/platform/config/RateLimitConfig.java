package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.LONG;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;

/**
 * Per-tenant rate limits before the model: requests per minute and tokens per minute (the tokens the budget guard
 * reserved for each request). A message over a limit waits, in arrival order, at most {@code max-wait-seconds};
 * then, or when its tenant already has {@code max-waiting-per-tenant} messages waiting, it is refused with a
 * {@code rate-limited} reply. 0 means unlimited. {@code tenant.ID.rate-limit.*} overrides each limit for one tenant.
 */
public record RateLimitConfig(long requestsPerMinute, long tokensPerMinute, Duration maxWait, int maxWaitingPerTenant,
                              Map<String, Long> tenantRequestsPerMinute, Map<String, Long> tenantTokensPerMinute) {

    public static final String REQUESTS_PER_MINUTE = "rate-limit.requests-per-minute";
    public static final String TOKENS_PER_MINUTE = "rate-limit.tokens-per-minute";
    public static final String MAX_WAIT_SECONDS = "rate-limit.max-wait-seconds";
    public static final String MAX_WAITING_PER_TENANT = "rate-limit.max-waiting-per-tenant";

    /** No limit for anyone: what the stage does when nothing is configured. */
    public static final RateLimitConfig UNLIMITED = new RateLimitConfig(0, 0, Duration.ofSeconds(60), 1000, Map.of(),
            Map.of());

    public static final ConfigDef DEF = new ConfigDef()
            .define(REQUESTS_PER_MINUTE, LONG, 0L, Range.atLeast(0L), HIGH,
                    "Messages per tenant per minute that go on to the model at once (0: unlimited); "
                            + "tenant.ID.rate-limit.requests-per-minute overrides. A tenant may send a whole minute's "
                            + "worth in one burst; after that one message passes every 60/N seconds. Messages over "
                            + "the limit wait in arrival order (see rate-limit.max-wait-seconds); none is dropped. "
                            + "The limit holds across restarts and rebalances: its state is in a changelogged store.")
            .define(TOKENS_PER_MINUTE, LONG, 0L, Range.atLeast(0L), HIGH,
                    "Tokens per tenant per minute (0: unlimited), counted as the budget guard reserves them: the "
                            + "message's estimated input tokens, the context bound and model.max-output-tokens. "
                            + "tenant.ID.rate-limit.tokens-per-minute overrides. Works like "
                            + "rate-limit.requests-per-minute, weighted by each message's tokens; a message larger "
                            + "than the whole minute's tokens passes once the tenant's bucket is full, and the "
                            + "tenant's next messages wait until it has refilled.")
            .define(MAX_WAIT_SECONDS, INT, 60, Range.between(1, 3600), MEDIUM,
                    "How long a message may wait for its tenant's rate limit before it is refused with a polite "
                            + "rate-limited reply in the sender's language (and its budget reservation released).")
            .define(MAX_WAITING_PER_TENANT, INT, 1000, Range.between(1, 1_000_000), LOW,
                    "Messages of one tenant that may wait at once; a message arriving when this many wait is "
                            + "refused at once with a rate-limited reply. Bounds the waiting store and memory.");

    public static RateLimitConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        Map<String, Long> requests = new LinkedHashMap<>();
        Map<String, Long> tokens = new LinkedHashMap<>();
        for (String tenant : TenantConfig.tenantsWithOverrides(config)) {
            Map<String, Object> overrides = TenantConfig.overrides(config, tenant);
            if (overrides.get(TenantConfig.RATE_LIMIT_REQUESTS_PER_MINUTE) != null) {
                requests.put(tenant, (Long) overrides.get(TenantConfig.RATE_LIMIT_REQUESTS_PER_MINUTE));
            }
            if (overrides.get(TenantConfig.RATE_LIMIT_TOKENS_PER_MINUTE) != null) {
                tokens.put(tenant, (Long) overrides.get(TenantConfig.RATE_LIMIT_TOKENS_PER_MINUTE));
            }
        }
        return new RateLimitConfig((Long) v.get(REQUESTS_PER_MINUTE), (Long) v.get(TOKENS_PER_MINUTE),
                Duration.ofSeconds((Integer) v.get(MAX_WAIT_SECONDS)), (Integer) v.get(MAX_WAITING_PER_TENANT),
                Map.copyOf(requests), Map.copyOf(tokens));
    }

    /** The tenant's requests per minute; 0 is unlimited. */
    public long requestsPerMinuteFor(String tenantId) {
        return tenantRequestsPerMinute.getOrDefault(tenantId, requestsPerMinute);
    }

    /** The tenant's tokens per minute; 0 is unlimited. */
    public long tokensPerMinuteFor(String tenantId) {
        return tenantTokensPerMinute.getOrDefault(tenantId, tokensPerMinute);
    }
}
