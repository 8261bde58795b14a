package io.tla.platform.secrets;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer of a store for one secret name: what it knows about the secret (present, enabled, notBefore,
 * expiresOn), the resulting status with a reason for operators, and the secret itself only when it is usable.
 * Never holds a value for a disabled, not-yet-valid or expired secret, and {@link #toString()} never shows one.
 *
 * @param store     kind of the store that answered (env, file, keyvault)
 * @param notBefore null when the secret has no start of validity
 * @param expiresOn null when the secret does not expire
 * @param reason    why the secret is not usable, or null when it is
 * @param secret    the secret when {@code status} is ok, else null
 */
public record SecretLookup(String name, String store, SecretStatus status, String reason, boolean present,
                           boolean enabled, Instant notBefore, Instant expiresOn, Secret secret) {

    public SecretLookup {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        if ((status == SecretStatus.OK) != (secret != null)) {
            throw new IllegalArgumentException("a secret is carried exactly when the status is ok");
        }
    }

    /**
     * Judges a secret the store found (or did not) at {@code now}. Disabled wins over validity dates; a secret
     * is expired from its {@code expiresOn} instant on.
     */
    public static SecretLookup judge(String name, String store, String location, boolean present, boolean enabled,
                                     Instant notBefore, Instant expiresOn, Secret secret, Instant now) {
        if (!present) {
            return new SecretLookup(name, store, SecretStatus.MISSING, "not found in " + location, false, false,
                    null, null, null);
        }
        if (!enabled) {
            return new SecretLookup(name, store, SecretStatus.DISABLED, "disabled in " + location, true, false,
                    notBefore, expiresOn, null);
        }
        if (notBefore != null && now.isBefore(notBefore)) {
            return new SecretLookup(name, store, SecretStatus.NOT_YET_VALID, "not valid before " + notBefore, true,
                    true, notBefore, expiresOn, null);
        }
        if (expiresOn != null && !now.isBefore(expiresOn)) {
            return new SecretLookup(name, store, SecretStatus.EXPIRED, "expired at " + expiresOn, true, true,
                    notBefore, expiresOn, null);
        }
        return new SecretLookup(name, store, SecretStatus.OK, null, true, true, notBefore, expiresOn,
                Objects.requireNonNull(secret, "secret"));
    }

    /** The store could not answer; {@code reason} must not contain a value. */
    public static SecretLookup unavailable(String name, String store, String reason) {
        return new SecretLookup(name, store, SecretStatus.UNAVAILABLE, reason, false, false, null, null, null);
    }

    public boolean usable() {
        return status == SecretStatus.OK;
    }

    public Optional<Secret> usableSecret() {
        return Optional.ofNullable(secret);
    }

    /** Time left until {@code expiresOn} (negative once expired), empty when the secret has no expiry. */
    public Optional<Duration> expiresIn(Instant now) {
        return expiresOn == null ? Optional.empty() : Optional.of(Duration.between(now, expiresOn));
    }
}
