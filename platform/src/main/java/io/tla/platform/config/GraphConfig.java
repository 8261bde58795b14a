package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.time.Duration;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.ValidString;

/**
 * Microsoft Graph, for {@code reply.sink=graph}: endpoint, app registration, message format, and how the reply
 * connector paces itself (retries after {@code Retry-After}, a global concurrency bound, a per-tenant rate).
 */
public record GraphConfig(String baseUrl, String authMode, String staticTokenSecret, String tenantId, String clientId,
                          String clientSecretSecret, String userAssertionSecretPrefix, String authorityHost,
                          String replyFormat, int maxMessageBytes, int maxAttempts, Duration initialBackoff,
                          Duration maxRetryAfter, Duration requestTimeout, int maxConcurrency,
                          int tenantMaxConcurrency, int tenantRequestsPerSecond, int recoveryMaxPages,
                          Duration throttleBudget, int ledgerMaxIdsPerPartition) {

    public static final String BASE_URL = "graph.base-url";
    public static final String AUTH_MODE = "graph.auth.mode";
    public static final String STATIC_TOKEN_SECRET = "graph.auth.static-token-secret";
    public static final String TENANT_ID = "graph.tenant-id";
    public static final String CLIENT_ID = "graph.client-id";
    public static final String CLIENT_SECRET_SECRET = "graph.client-secret-secret";
    public static final String USER_ASSERTION_SECRET_PREFIX = "graph.auth.user-assertion-secret-prefix";
    public static final String AUTHORITY_HOST = "graph.auth.authority-host";
    public static final String REPLY_FORMAT = "graph.reply.format";
    public static final String MAX_MESSAGE_BYTES = "graph.reply.max-message-bytes";
    public static final String MAX_ATTEMPTS = "graph.retry.max-attempts";
    public static final String INITIAL_BACKOFF_MS = "graph.retry.initial-backoff-ms";
    public static final String MAX_RETRY_AFTER_MS = "graph.retry.max-retry-after-ms";
    public static final String THROTTLE_BUDGET_MS = "graph.retry.throttle-budget-ms";
    public static final String REQUEST_TIMEOUT_MS = "graph.request-timeout-ms";
    public static final String MAX_CONCURRENCY = "graph.max-concurrency";
    public static final String TENANT_MAX_CONCURRENCY = "graph.tenant.max-concurrency";
    public static final String TENANT_REQUESTS_PER_SECOND = "graph.tenant.requests-per-second";
    public static final String RECOVERY_MAX_PAGES = "graph.recovery.max-pages";
    public static final String LEDGER_MAX_IDS_PER_PARTITION = "graph.ledger.max-ids-per-partition";

    public static final String FORMAT_HTML = "html";
    public static final String FORMAT_ADAPTIVE_CARD = "adaptive-card";

    public static final ConfigDef DEF = new ConfigDef()
            .define(BASE_URL, STRING, "https://graph.microsoft.com/v1.0", new ConfigDef.NonEmptyString(), MEDIUM,
                    "Graph endpoint; may be plain http for a local emulator.")
            .define(AUTH_MODE, STRING, "client-secret", ValidString.in("client-secret", "obo", "static-token"), HIGH,
                    "client-secret (app-only), obo (on-behalf-of the sender), static-token (emulators only).")
            .define(STATIC_TOKEN_SECRET, STRING, "graph-token", MEDIUM,
                    "Secret name of the bearer token for graph.auth.mode=static-token.")
            .define(TENANT_ID, STRING, null, MEDIUM, "Directory (tenant) id of the app registration.")
            .define(CLIENT_ID, STRING, null, MEDIUM, "Application (client) id of the app registration.")
            .define(CLIENT_SECRET_SECRET, STRING, "graph-client-secret", MEDIUM,
                    "Secret name of the app registration's client secret.")
            .define(USER_ASSERTION_SECRET_PREFIX, STRING, "graph-user-assertion-", MEDIUM,
                    "obo: the sender's user assertion is the secret named this prefix plus the sender's AAD object id;"
                            + " a reply whose sender has none is dead-lettered (reason graph-no-user-assertion).")
            .define(AUTHORITY_HOST, STRING, "https://login.microsoftonline.com", MEDIUM,
                    "Microsoft Entra authority for client-secret and obo (a sovereign cloud's, or a local test one).")
            .define(REPLY_FORMAT, STRING, FORMAT_HTML, ValidString.in(FORMAT_HTML, FORMAT_ADAPTIVE_CARD), MEDIUM,
                    "html: one HTML message with a paragraph per language; adaptive-card: an Adaptive Card.")
            .define(MAX_MESSAGE_BYTES, INT, 28_000, Range.between(2_000, 100_000), LOW,
                    "Largest message body posted, in UTF-8 bytes (Teams refuses about 28 KB); longer replies are"
                            + " posted as ordered parts. A 413 halves it for that reply.")
            .define(MAX_ATTEMPTS, INT, 4, Range.between(1, 20), MEDIUM,
                    "Quick attempts of one Graph request after 503, 504 or a network error without Retry-After, the"
                            + " first included; after them the reply keeps its place and is tried again after a"
                            + " growing wait, within graph.retry.throttle-budget-ms.")
            .define(INITIAL_BACKOFF_MS, INT, 1_000, Range.between(0, 60_000), LOW,
                    "Wait before a retry when Graph sends no Retry-After; doubles per attempt (at most 60 s).")
            .define(MAX_RETRY_AFTER_MS, INT, 60_000, Range.between(0, 3_600_000), LOW,
                    "Longest single Retry-After honoured; a longer one ends the attempts (the reply is"
                            + " dead-lettered).")
            .define(THROTTLE_BUDGET_MS, INT, 600_000, Range.between(0, 86_400_000), MEDIUM,
                    "How long a reply is retried while Graph throttles it (429, or 503/504 and network errors)"
                            + " before it is dead-lettered, from its first failure. A throttled reply keeps its place"
                            + " in its conversation, and while a tenant is under Retry-After its other replies wait"
                            + " too, without holding other tenants. 400, 403 and 404 are dead-lettered at once.")
            .define(REQUEST_TIMEOUT_MS, INT, 30_000, Range.between(100, 300_000), LOW,
                    "Timeout of one Graph request.")
            .define(MAX_CONCURRENCY, INT, 16, Range.between(1, 1024), MEDIUM,
                    "Graph requests in flight per instance.")
            .define(TENANT_MAX_CONCURRENCY, INT, 4, Range.between(1, 1024), MEDIUM,
                    "Graph requests in flight per tenant per instance, so one tenant cannot take every slot.")
            .define(TENANT_REQUESTS_PER_SECOND, INT, 50, Range.between(1, 100_000), MEDIUM,
                    "Graph posts per second per tenant per instance.")
            .define(RECOVERY_MAX_PAGES, INT, 5, Range.between(1, 100), LOW,
                    "Pages of a thread or chat (50 messages each) searched for a reply's marker before re-posting"
                            + " a reply whose earlier post was not confirmed.")
            .define(LEDGER_MAX_IDS_PER_PARTITION, INT, 250_000, Range.between(1_000, 50_000_000), LOW,
                    "Reply ids of tla.replies.ledger.v1 held in memory per owned replies partition (about 30 bytes"
                            + " each; the oldest are forgotten first). A reply read again after its id was forgotten"
                            + " is looked for in Teams before it is posted, as for a post that was never confirmed.");

    public static GraphConfig from(TlaConfig config) {
        var v = config.parse(DEF);
        return new GraphConfig((String) v.get(BASE_URL), (String) v.get(AUTH_MODE), (String) v.get(STATIC_TOKEN_SECRET),
                (String) v.get(TENANT_ID), (String) v.get(CLIENT_ID), (String) v.get(CLIENT_SECRET_SECRET),
                (String) v.get(USER_ASSERTION_SECRET_PREFIX), (String) v.get(AUTHORITY_HOST),
                (String) v.get(REPLY_FORMAT), (Integer) v.get(MAX_MESSAGE_BYTES), (Integer) v.get(MAX_ATTEMPTS),
                Duration.ofMillis((Integer) v.get(INITIAL_BACKOFF_MS)),
                Duration.ofMillis((Integer) v.get(MAX_RETRY_AFTER_MS)),
                Duration.ofMillis((Integer) v.get(REQUEST_TIMEOUT_MS)), (Integer) v.get(MAX_CONCURRENCY),
                (Integer) v.get(TENANT_MAX_CONCURRENCY), (Integer) v.get(TENANT_REQUESTS_PER_SECOND),
                (Integer) v.get(RECOVERY_MAX_PAGES), Duration.ofMillis((Integer) v.get(THROTTLE_BUDGET_MS)),
                (Integer) v.get(LEDGER_MAX_IDS_PER_PARTITION));
    }

    /** Whether the auth mode is fit for production (static-token is for emulators). */
    public boolean productionAuth() {
        return !"static-token".equals(authMode);
    }
}
