package io.tla.connectors.ingress;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.config.WebhookConfig.PreviousKey;
import io.tla.platform.config.WebhookConfig.Registration;
import io.tla.platform.secrets.Secret;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook's signing keys: the default key set and one per registration, each a current key and, during a
 * rotation, the key it replaced until that key's expiry. A request is verified with the key set it names
 * ({@code ?id=NAME}, else the default) and no other: the current key first, then the previous key while it is
 * accepted. Which key verified is counted ({@code tla.ingress.signature.verified{registration, key}}) and kept per
 * key set for {@code /api/diagnostics}; a request verified by the previous key is logged as a warning (at most once
 * a minute per key set), since it means Teams still signs with the old key. Keys never reach a log line.
 */
public final class WebhookKeys {

    /** The {@code registration} tag and status name of the default key set; not a valid registration name. */
    public static final String DEFAULT_SET = "_default";
    public static final String VERIFIED_METRIC = "tla.ingress.signature.verified";
    static final Duration PREVIOUS_KEY_WARNING_INTERVAL = Duration.ofMinutes(1);

    private static final Logger log = LoggerFactory.getLogger(WebhookKeys.class);
    /** Verifies requests for names that are not configured, with a random key no request can match. */
    private static final HmacSignature UNKNOWN_SET = HmacSignature.random();

    /** Which key of a key set verified a request. */
    public enum Key {
        CURRENT, PREVIOUS;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The outcome for one request. {@code reason} is safe to return to the caller; {@code registration} is the
     * registration name when it is configured (null for the default key set and for unknown names, which are
     * the caller's input and not worth logging).
     */
    public record Verification(boolean verified, Key key, String reason, String registration) {
    }

    /** Whether a key can be used, without its value. */
    public enum KeyState {
        PRESENT, MISSING, UNUSABLE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One key set's configuration and what it has verified since start. {@code previousSecret},
     * {@code previousUntil} and {@code previousKey} are null when no previous key is configured;
     * {@code lastVerifiedKey}/{@code lastVerifiedAt} are null until a request has been verified.
     */
    public record Status(String name, String secret, KeyState currentKey, String previousSecret, Instant previousUntil,
                         boolean previousAccepted, KeyState previousKey, long verifiedCurrent, long verifiedPrevious,
                         long refused, long refusedExpiredPrevious, Key lastVerifiedKey, Instant lastVerifiedAt) {
    }

    private record Last(Key key, Instant at) {
    }

    /** One key set with its counters. */
    private final class KeySet {
        final String name;
        final String registration;
        final String secret;
        final Secret fixedCurrent;
        final PreviousKey previous;
        final Counter verifiedCurrent;
        final Counter verifiedPrevious;
        final AtomicLong refused = new AtomicLong();
        final AtomicLong refusedExpiredPrevious = new AtomicLong();
        final AtomicLong previousSinceWarning = new AtomicLong();
        final AtomicReference<Last> last = new AtomicReference<>();
        final AtomicReference<Instant> lastWarning = new AtomicReference<>();
        final AtomicReference<Signer> currentSigner = new AtomicReference<>();
        final AtomicReference<Signer> previousSigner = new AtomicReference<>();

        KeySet(String name, String registration, String secret, Secret fixedCurrent, PreviousKey previous) {
            this.name = name;
            this.registration = registration;
            this.secret = secret;
            this.fixedCurrent = fixedCurrent;
            this.previous = previous;
            this.verifiedCurrent = counter(name, Key.CURRENT);
            this.verifiedPrevious = previous == null ? null : counter(name, Key.PREVIOUS);
        }

        /** The default key is resolved once at start (and may be generated then); registrations' keys per request. */
        Optional<Secret> current() {
            return registration == null ? Optional.ofNullable(fixedCurrent) : secrets.apply(secret);
        }

        Optional<Secret> previousSecret() {
            return previous == null ? Optional.empty() : secrets.apply(previous.secret());
        }
    }

    private final Function<String, Optional<Secret>> secrets;
    private final MeterRegistry registry;
    private final Clock clock;
    private final KeySet defaultSet;
    private final Map<String, KeySet> registrations = new LinkedHashMap<>();

    /**
     * @param defaultKey the default key set's current key, resolved at start; null when there is none (then
     *                   requests without {@code ?id=} are refused)
     * @param secrets    resolves a secret by its name: registrations' keys and previous keys, on every request so
     *                   a key replaced in the store applies without a restart
     */
    public WebhookKeys(WebhookConfig config, Secret defaultKey, Function<String, Optional<Secret>> secrets,
                       MeterRegistry registry, Clock clock) {
        this.secrets = Objects.requireNonNull(secrets, "secrets");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.defaultSet = new KeySet(DEFAULT_SET, null, config.defaultKeySecret(), defaultKey,
                config.defaultPreviousKey());
        for (Registration r : config.registrations().values()) {
            registrations.put(r.name(), new KeySet(r.name(), r.name(), r.secret(), null, r.previousKey()));
        }
        Instant now = clock.instant();
        List<KeySet> all = new ArrayList<>();
        all.add(defaultSet);
        all.addAll(registrations.values());
        for (KeySet set : all) {
            if (set.previous != null && !set.previous.acceptedAt(now)) {
                log.warn("event=webhook_previous_key_expired registration={} previous_secret={} until={}"
                                + " detail=\"the previous key is refused; remove the previous-secret settings\"",
                        set.name, set.previous.secret(), set.previous.until());
            }
        }
    }

    private Counter counter(String set, Key key) {
        return Counter.builder(VERIFIED_METRIC)
                .description("Webhook requests whose signature verified, by key set and key (current or previous)")
                .tag("registration", set).tag("key", key.label())
                .register(registry);
    }

    /**
     * Verifies {@code authorization} over the raw {@code body} with the keys of {@code registrationName} (null:
     * the default key set).
     */
    public Verification verify(String registrationName, String authorization, byte[] body) {
        KeySet set = registrationName == null ? defaultSet : registrations.get(registrationName);
        if (set == null) {
            // the same work and the same answer as a wrong signature: a 401 never tells which names exist
            return new Verification(false, null, UNKNOWN_SET.verify(authorization, body).reason(), null);
        }
        Instant now = clock.instant();
        HmacSignature.Outcome outcome = null;
        Optional<Secret> currentKey = set.current();
        HmacSignature current = signer(set.currentSigner, currentKey);
        if (current == null) {
            warnRateLimited(set, now, "event=webhook_key_unusable registration={} secret={} detail=\"{}\"", set.name,
                    set.secret, currentKey.isEmpty() ? "the key is missing from the secret store"
                            : "the key is not base64 of at least " + HmacSignature.MIN_KEY_BYTES + " bytes");
        } else {
            outcome = current.verify(authorization, body);
            if (outcome.valid()) {
                return verified(set, Key.CURRENT, now);
            }
            if (outcome != HmacSignature.Outcome.MISMATCH) {
                // a missing or malformed header: no key can verify it
                return refused(set, outcome.reason());
            }
        }
        if (set.previous != null) {
            HmacSignature previous = signer(set.previousSigner, set.previousSecret());
            if (previous != null) {
                HmacSignature.Outcome previousOutcome = previous.verify(authorization, body);
                if (previousOutcome.valid() && set.previous.acceptedAt(now)) {
                    return verified(set, Key.PREVIOUS, now);
                }
                if (previousOutcome.valid()) {
                    set.refusedExpiredPrevious.incrementAndGet();
                    warnRateLimited(set, now, "event=webhook_expired_previous_key_refused registration={}"
                                    + " previous_secret={} until={} detail=\"Teams still signs with the replaced key\"",
                            set.name, set.previous.secret(), set.previous.until());
                    return refused(set, HmacSignature.Outcome.MISMATCH.reason());
                }
                if (set.previous.acceptedAt(now) && outcome == null) {
                    outcome = previousOutcome;
                }
            }
        }
        // an unusable key answers like a wrong signature too: the caller learns nothing about the configuration
        return refused(set, (outcome != null ? outcome : UNKNOWN_SET.verify(authorization, body)).reason());
    }

    /**
     * Refuses to start with a key that is present but shorter than {@link HmacSignature#MIN_KEY_BYTES} bytes (or not
     * base64), whatever store it came from; the message names the secret, never its value. A missing registration
     * key is tolerated (it may be stored later; until then its requests get 401).
     */
    void requireUsableKeys() {
        List<KeySet> all = new ArrayList<>();
        all.add(defaultSet);
        all.addAll(registrations.values());
        for (KeySet set : all) {
            check(set.name, set.current());
            check(set.name, set.previousSecret());
        }
    }

    private static void check(String set, Optional<Secret> key) {
        if (key.isPresent()) {
            try {
                HmacSignature.requireUsableKey(key.get().reveal());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("webhook key set " + set + ", secret " + key.get().name() + ": "
                        + e.getMessage());
            }
        }
    }

    /**
     * A signer for a key, or null when it is missing or not base64 (logged by secret name, never the value). The
     * signer of the value last seen is reused: the key is looked up on every request, but decoded and set up only
     * when it changed.
     */
    private static HmacSignature signer(AtomicReference<Signer> memo, Optional<Secret> key) {
        if (key.isEmpty()) {
            return null;
        }
        String value = key.get().reveal();
        Signer known = memo.get();
        if (known != null && known.key().equals(value)) {
            return known.signature();
        }
        try {
            HmacSignature.requireUsableKey(value);
            HmacSignature signature = HmacSignature.of(key.get());
            memo.set(new Signer(value, signature));
            return signature;
        } catch (IllegalArgumentException e) {
            return null; // logged by the caller, rate-limited
        }
    }

    /** A key's value and its signer. */
    private record Signer(String key, HmacSignature signature) {
        @Override
        public String toString() {
            return "Signer[key hidden]";
        }
    }

    private Verification verified(KeySet set, Key key, Instant now) {
        set.last.set(new Last(key, now));
        if (key == Key.CURRENT) {
            set.verifiedCurrent.increment();
        } else {
            set.verifiedPrevious.increment();
            set.previousSinceWarning.incrementAndGet();
            warnRateLimited(set, now, "event=webhook_previous_key_verified registration={} previous_secret={} until={}"
                            + " requests={} detail=\"Teams still signs with the previous key; it is refused after"
                            + " the until instant\"", set.name, set.previous.secret(), set.previous.until(),
                    set.previousSinceWarning);
        }
        return new Verification(true, key, "signature valid", set.registration);
    }

    private Verification refused(KeySet set, String reason) {
        set.refused.incrementAndGet();
        return new Verification(false, null, reason, set.registration);
    }

    /** Logs at most once per {@link #PREVIOUS_KEY_WARNING_INTERVAL} per key set; a counter argument is reset. */
    private static void warnRateLimited(KeySet set, Instant now, String format, Object... args) {
        Instant last = set.lastWarning.get();
        if (last != null && now.isBefore(last.plus(PREVIOUS_KEY_WARNING_INTERVAL))) {
            return;
        }
        if (!set.lastWarning.compareAndSet(last, now)) {
            return; // another request is logging it
        }
        Object[] shown = args.clone();
        for (int i = 0; i < shown.length; i++) {
            if (shown[i] instanceof AtomicLong count) {
                shown[i] = count.getAndSet(0);
            }
        }
        log.warn(format, shown);
    }

    /** The default key set first, then the registrations in configuration order. */
    public List<Status> status() {
        Instant now = clock.instant();
        List<Status> rows = new ArrayList<>();
        rows.add(status(defaultSet, now));
        registrations.values().forEach(set -> rows.add(status(set, now)));
        return rows;
    }

    private Status status(KeySet set, Instant now) {
        Last last = set.last.get();
        PreviousKey previous = set.previous;
        return new Status(set.name, set.secret, state(set.current()), previous == null ? null : previous.secret(),
                previous == null ? null : previous.until(), previous != null && previous.acceptedAt(now),
                previous == null ? null : state(set.previousSecret()), (long) set.verifiedCurrent.count(),
                set.verifiedPrevious == null ? 0 : (long) set.verifiedPrevious.count(), set.refused.get(),
                set.refusedExpiredPrevious.get(), last == null ? null : last.key(), last == null ? null : last.at());
    }

    private static KeyState state(Optional<Secret> key) {
        if (key.isEmpty()) {
            return KeyState.MISSING;
        }
        try {
            HmacSignature.requireUsableKey(key.get().reveal());
            return KeyState.PRESENT;
        } catch (IllegalArgumentException e) {
            return KeyState.UNUSABLE;
        }
    }
}
