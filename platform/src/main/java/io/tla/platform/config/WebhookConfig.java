package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.BOOLEAN;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigException;

/**
 * Teams outgoing-webhook signing: the default key ({@code teams-webhook-hmac}) and named registrations, one per
 * team's webhook, each verified with its own keys only. There is no unsigned mode. Each key set may also hold the
 * key it replaced, accepted until an instant, so a rotation does not turn Teams' requests signed with the old key
 * into 401s while the new one is rolled out.
 *
 * <p>Every key set speaks for one tenant: a registration for its {@code tenant-id} (required) and optionally one
 * team, the default key for {@code webhook.tenant-id}. A body naming another tenant or team is refused; the stored
 * message carries the binding's tenant, never the body's. The default key without {@code webhook.tenant-id} is the
 * one-tenant development mode ({@link #developmentMode()}): it works, but is never production-ready.
 *
 * <p>Replays: the signed body's {@code timestamp} must be within {@code maxClockSkew} of the server clock, and within
 * that window a delivery is remembered (at most {@code replayMemoryEntries}), so the same delivery gets the same
 * answer and another body under a seen activity id is refused. {@code maxInFlight} bounds the messages being stored
 * at once; past it the ingress sheds load with 429.
 *
 * <p>{@code answerWithin} is the ingress's answer budget: every {@code POST /api/messages} is answered within it,
 * 202 (or the sync reply) once stored, else 503 with {@code Retry-After}. It stays below Teams' 5-second window, which
 * also has to hold the network and the sender's own overhead.
 */
public record WebhookConfig(String defaultKeySecret, Map<String, Registration> registrations,
                            PreviousKey defaultPreviousKey, String tenantId, Duration maxClockSkew,
                            int replayMemoryEntries, int maxInFlight, Duration answerWithin) {

    public static final String DEFAULT_KEY_SECRET = "webhook.default-key-secret";
    public static final String DEFAULT_KEY_PREVIOUS_SECRET = "webhook.default-key-previous-secret";
    public static final String DEFAULT_KEY_PREVIOUS_SECRET_UNTIL = "webhook.default-key-previous-secret-until";
    public static final String REGISTRATIONS = "webhook.registrations";
    public static final String TENANT_ID = "webhook.tenant-id";
    public static final String MAX_CLOCK_SKEW_SECONDS = "webhook.max-clock-skew-seconds";
    public static final String REPLAY_MEMORY_ENTRIES = "webhook.replay-memory-entries";
    public static final String MAX_IN_FLIGHT = "webhook.max-in-flight";
    public static final String ANSWER_WITHIN_MS = "webhook.answer-within-ms";
    public static final Duration DEFAULT_MAX_CLOCK_SKEW = Duration.ofSeconds(300);
    public static final int DEFAULT_REPLAY_MEMORY_ENTRIES = 200_000;
    public static final int DEFAULT_MAX_IN_FLIGHT = 2_000;
    /** Teams abandons an outgoing-webhook call after 5 s: the answer must be written before then. */
    public static final int TEAMS_WINDOW_MS = 5_000;
    public static final Duration DEFAULT_ANSWER_WITHIN = Duration.ofMillis(4_000);
    /** Below this the broker's normal acknowledgement time (acks=all, a few replicas) would turn into 503s. */
    public static final int MIN_ANSWER_WITHIN_MS = 500;
    public static final String REGISTRATION_PREFIX = "webhook.registration.";

    /** Registration names: they appear in {@code ?id=NAME}, key names and metric tags. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9]+");

    public static final ConfigDef DEF = new ConfigDef()
            .define(DEFAULT_KEY_SECRET, STRING, "teams-webhook-hmac", new ConfigDef.NonEmptyString(), HIGH,
                    "Secret name of the default webhook signing key (base64, as Teams shows it).")
            .define(DEFAULT_KEY_PREVIOUS_SECRET, STRING, null, MEDIUM,
                    "Secret name of the default key's previous key, accepted until "
                            + DEFAULT_KEY_PREVIOUS_SECRET_UNTIL + " (key rotation).")
            .define(DEFAULT_KEY_PREVIOUS_SECRET_UNTIL, STRING, null, new InstantValidator(), MEDIUM,
                    "ISO-8601 instant (2026-11-27T09:00:00Z) after which the default key's previous key is refused;"
                            + " required with " + DEFAULT_KEY_PREVIOUS_SECRET + ".")
            .define(REGISTRATIONS, LIST, List.of(), MEDIUM,
                    "Names of outgoing-webhook registrations (lower-case letters and digits).")
            .define(TENANT_ID, STRING, null, HIGH,
                    "The tenant the default key speaks for: a body naming another tenant gets 403 tenant-mismatch."
                            + " Unset: one-tenant development mode (the body's tenant is taken), never production-ready.")
            .define(MAX_CLOCK_SKEW_SECONDS, INT, (int) DEFAULT_MAX_CLOCK_SKEW.toSeconds(), Range.between(5, 3600), MEDIUM,
                    "How far the signed activity timestamp may be from the server clock; outside it the request is"
                            + " refused with 401 stale (a captured request cannot be replayed later).")
            .define(REPLAY_MEMORY_ENTRIES, INT, DEFAULT_REPLAY_MEMORY_ENTRIES, Range.between(1_000, 10_000_000), LOW,
                    "Deliveries remembered within the clock-skew window, so a repeated delivery gets the first"
                            + " answer and another body under a seen activity id gets 409 (least recently used go first).")
            .define(MAX_IN_FLIGHT, INT, DEFAULT_MAX_IN_FLIGHT, Range.between(1, 1_000_000), MEDIUM,
                    "Messages being stored at once; past it (or with the producer's buffer full) the ingress answers"
                            + " 429 with Retry-After instead of queueing without bound.")
            .define(ANSWER_WITHIN_MS, INT, (int) DEFAULT_ANSWER_WITHIN.toMillis(),
                    Range.between(MIN_ANSWER_WITHIN_MS, TEAMS_WINDOW_MS - 1), HIGH,
                    "Every POST /api/messages is answered within this many milliseconds of arriving (less than Teams'"
                            + " 5-second window, with room for the network and a busy server's queue): 202 once the message is on the topic, else 503 with Retry-After and"
                            + " {\"error\":\"broker-unavailable\"}. Bounds the wait for the broker's acknowledgement"
                            + " and for a sync reply (whose deadline is capped to it); a message stored after its 503"
                            + " is answered 202 when Teams retries it, and never produces a second reply.");

    public static final ConfigDef REGISTRATION_DEF = new ConfigDef()
            .define("secret", STRING, null, HIGH, "Secret name of this registration's signing key.")
            .define("previous-secret", STRING, null, MEDIUM,
                    "Secret name of the key this registration's key replaced, accepted until previous-secret-until.")
            .define("previous-secret-until", STRING, null, new InstantValidator(), MEDIUM,
                    "ISO-8601 instant after which the previous key is refused; required with previous-secret.")
            .define("tenant-id", STRING, null, HIGH, "Required: the one tenant this key speaks for; a body naming"
                    + " another gets 403 tenant-mismatch, and every accepted message carries this tenant.")
            .define("team-id", STRING, null, MEDIUM, "The one team this key speaks for (thread id 19:...@thread.*, or"
                    + " AAD group id); a body naming another team, or a chat, gets 403 team-mismatch.")
            .define("team-aad-group-id", STRING, null, MEDIUM, "The team's AAD group id, for Graph replies.")
            .define("sync-reply", BOOLEAN, false, MEDIUM,
                    "Answer the webhook call with the reply when it is ready within Teams' 5-second window.");

    /** Without a previous default key, in development mode, with the default limits. */
    public WebhookConfig(String defaultKeySecret, Map<String, Registration> registrations) {
        this(defaultKeySecret, registrations, null);
    }

    /** In development mode (no tenant for the default key), with the default limits. */
    public WebhookConfig(String defaultKeySecret, Map<String, Registration> registrations,
                         PreviousKey defaultPreviousKey) {
        this(defaultKeySecret, registrations, defaultPreviousKey, null, DEFAULT_MAX_CLOCK_SKEW,
                DEFAULT_REPLAY_MEMORY_ENTRIES, DEFAULT_MAX_IN_FLIGHT, DEFAULT_ANSWER_WITHIN);
    }

    public WebhookConfig {
        Objects.requireNonNull(defaultKeySecret, "defaultKeySecret");
        Objects.requireNonNull(maxClockSkew, "maxClockSkew");
        Objects.requireNonNull(answerWithin, "answerWithin");
        if (answerWithin.toMillis() < 1 || answerWithin.toMillis() >= TEAMS_WINDOW_MS) {
            throw new IllegalArgumentException(ANSWER_WITHIN_MS + " must be below Teams' " + TEAMS_WINDOW_MS
                    + " ms window, was " + answerWithin.toMillis());
        }
        tenantId = blankToNull(tenantId);
        // in configuration order, for listings
        registrations = Collections.unmodifiableMap(new LinkedHashMap<>(registrations));
    }

    /** This configuration with the default key bound to {@code tenantId} (null: development mode). */
    public WebhookConfig withTenant(String tenantId) {
        return new WebhookConfig(defaultKeySecret, registrations, defaultPreviousKey, tenantId, maxClockSkew,
                replayMemoryEntries, maxInFlight, answerWithin);
    }

    /** This configuration with another answer budget ({@value #ANSWER_WITHIN_MS}). */
    public WebhookConfig withAnswerWithin(Duration answerWithin) {
        return new WebhookConfig(defaultKeySecret, registrations, defaultPreviousKey, tenantId, maxClockSkew,
                replayMemoryEntries, maxInFlight, answerWithin);
    }

    /** This configuration with other replay and load-shedding limits. */
    public WebhookConfig withLimits(Duration maxClockSkew, int replayMemoryEntries, int maxInFlight) {
        return new WebhookConfig(defaultKeySecret, registrations, defaultPreviousKey, tenantId, maxClockSkew,
                replayMemoryEntries, maxInFlight, answerWithin);
    }

    /**
     * The default key speaks for whatever tenant the body names: fine on a developer's machine ({@code ./tla run}),
     * never in production.
     */
    public boolean developmentMode() {
        return tenantId == null;
    }

    /**
     * Every secret the webhook keys are read from: the default key, each registration's key and the previous keys.
     * The ingress looks for these in the configured store, then in {@code data.dir/secrets}.
     */
    public Set<String> secretNames() {
        Set<String> names = new LinkedHashSet<>();
        names.add(defaultKeySecret);
        if (defaultPreviousKey != null) {
            names.add(defaultPreviousKey.secret());
        }
        for (Registration r : registrations.values()) {
            names.add(r.secret());
            if (r.previousKey() != null) {
                names.add(r.previousKey().secret());
            }
        }
        return Collections.unmodifiableSet(names);
    }

    /** A replaced key still accepted until {@code until} (exclusive). */
    public record PreviousKey(String secret, Instant until) {
        public PreviousKey {
            Objects.requireNonNull(secret, "secret");
            Objects.requireNonNull(until, "until");
        }

        /** True while requests signed with this key are still accepted. */
        public boolean acceptedAt(Instant now) {
            return now.isBefore(until);
        }
    }

    /**
     * One team's outgoing webhook, speaking for {@code tenantId} and, when {@code teamId} is set, for that team only;
     * {@code previousKey} is null when no rotation is in progress.
     */
    public record Registration(String name, String secret, String tenantId, String teamId, String teamAadGroupId,
                               boolean syncReply, PreviousKey previousKey) {

        public Registration {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(secret, "secret");
            tenantId = blankToNull(tenantId);
            if (tenantId == null) {
                throw new IllegalArgumentException("registration " + name + " needs the tenant its key speaks for");
            }
            teamId = blankToNull(teamId);
            teamAadGroupId = blankToNull(teamAadGroupId);
        }

        /** Not bound to a team, without a previous key. */
        public Registration(String name, String secret, String tenantId, String teamAadGroupId, boolean syncReply) {
            this(name, secret, tenantId, null, teamAadGroupId, syncReply, null);
        }

        /** Not bound to a team. */
        public Registration(String name, String secret, String tenantId, String teamAadGroupId, boolean syncReply,
                            PreviousKey previousKey) {
            this(name, secret, tenantId, null, teamAadGroupId, syncReply, previousKey);
        }
    }

    @SuppressWarnings("unchecked")
    public static WebhookConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        String defaultSecret = (String) v.get(DEFAULT_KEY_SECRET);
        PreviousKey defaultPrevious = previousKey(DEFAULT_KEY_PREVIOUS_SECRET, (String) v.get(DEFAULT_KEY_PREVIOUS_SECRET),
                DEFAULT_KEY_PREVIOUS_SECRET_UNTIL, (String) v.get(DEFAULT_KEY_PREVIOUS_SECRET_UNTIL), defaultSecret);
        Map<String, Registration> registrations = new LinkedHashMap<>();
        for (String name : (List<String>) v.get(REGISTRATIONS)) {
            if (!NAME.matcher(name).matches()) {
                throw new ConfigException(REGISTRATIONS, name, "registration names are lower-case letters and digits");
            }
            if (registrations.containsKey(name)) {
                throw new ConfigException(REGISTRATIONS, name, "registration names must be unique");
            }
            String prefix = REGISTRATION_PREFIX + name + ".";
            Map<String, Object> r = config.parse(prefix, REGISTRATION_DEF);
            String secret = blankToNull((String) r.get("secret"));
            if (secret == null) {
                throw new ConfigException(prefix + "secret", null, "every registration needs the secret name of its key");
            }
            PreviousKey previous = previousKey(prefix + "previous-secret", (String) r.get("previous-secret"),
                    prefix + "previous-secret-until", (String) r.get("previous-secret-until"), secret);
            String tenant = blankToNull((String) r.get("tenant-id"));
            if (tenant == null) {
                throw new ConfigException(prefix + "tenant-id", null,
                        "every registration needs the tenant its key speaks for (tla webhook add NAME --tenant-id T)");
            }
            registrations.put(name, new Registration(name, secret, tenant, (String) r.get("team-id"),
                    (String) r.get("team-aad-group-id"), (Boolean) r.get("sync-reply"), previous));
        }
        return new WebhookConfig(defaultSecret, registrations, defaultPrevious, (String) v.get(TENANT_ID),
                Duration.ofSeconds((Integer) v.get(MAX_CLOCK_SKEW_SECONDS)), (Integer) v.get(REPLAY_MEMORY_ENTRIES),
                (Integer) v.get(MAX_IN_FLIGHT), Duration.ofMillis((Integer) v.get(ANSWER_WITHIN_MS)));
    }

    /** The previous key of a key set, or null; both keys or neither, and never the current key's secret again. */
    private static PreviousKey previousKey(String secretKey, String secret, String untilKey, String until,
                                           String currentSecret) {
        secret = blankToNull(secret);
        until = blankToNull(until);
        if (secret == null && until == null) {
            return null;
        }
        if (secret == null) {
            throw new ConfigException(secretKey, null, untilKey + " is set: name the previous key's secret as well");
        }
        if (until == null) {
            // an open-ended previous key would keep the replaced key valid for ever
            throw new ConfigException(untilKey, null, secretKey + " needs an expiry (ISO-8601 instant)");
        }
        if (secret.equals(currentSecret)) {
            throw new ConfigException(secretKey, secret, "the previous key must be a different secret from the current one");
        }
        return new PreviousKey(secret, Instant.parse(until));
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    /** An ISO-8601 instant such as {@code 2026-11-27T09:00:00Z} (or unset). */
    static final class InstantValidator implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null || ((String) value).isBlank()) {
                return;
            }
            try {
                Instant.parse(((String) value).strip());
            } catch (DateTimeParseException e) {
                throw new ConfigException(name, value, "not an ISO-8601 instant (e.g. 2026-11-27T09:00:00Z)");
            }
        }

        @Override
        public String toString() {
            return "ISO-8601 instant, e.g. 2026-11-27T09:00:00Z";
        }
    }
}
