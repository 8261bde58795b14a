package io.tla.topology.model;

import java.time.Duration;
import java.util.Optional;

/**
 * A provider call that failed, with a short machine-readable {@link #reason()}: {@code timeout},
 * {@code unreachable}, {@code http-STATUS}, {@code malformed-output}, {@code secret-missing},
 * {@code secret-expired}, {@code breaker-open}, {@code busy}. Messages name the provider and the reason, never a
 * key or a response body.
 */
public class ProviderException extends RuntimeException {

    public static final String TIMEOUT = "timeout";
    public static final String UNREACHABLE = "unreachable";
    public static final String MALFORMED_OUTPUT = "malformed-output";
    public static final String SECRET_MISSING = "secret-missing";
    public static final String SECRET_EXPIRED = "secret-expired";
    /** Also {@code secret-disabled}, {@code secret-not-yet-valid}, {@code secret-unavailable}: "secret-" + the store's status. */
    public static final String SECRET_PREFIX = "secret-";
    public static final String BREAKER_OPEN = "breaker-open";
    public static final String BUSY = "busy";
    public static final String ERROR = "error";

    private final String provider;
    private final String reason;
    private final int status;
    private final Duration retryAfter;

    public ProviderException(String provider, String reason, String detail) {
        this(provider, reason, 0, null, detail, null);
    }

    public ProviderException(String provider, String reason, int status, Duration retryAfter, String detail,
                             Throwable cause) {
        super("provider " + provider + ": " + reason + (detail == null ? "" : " (" + detail + ")"), cause, false, false);
        this.provider = provider;
        this.reason = reason;
        this.status = status;
        this.retryAfter = retryAfter;
    }

    public static ProviderException httpStatus(String provider, int status, Duration retryAfter) {
        return new ProviderException(provider, "http-" + status, status, retryAfter, null, null);
    }

    public String provider() {
        return provider;
    }

    public String reason() {
        return reason;
    }

    /** The HTTP status, or 0 when the failure was not an HTTP answer. */
    public int status() {
        return status;
    }

    /** The server's {@code Retry-After}, when it sent one. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** Worth another attempt at the same provider: timeouts, an unreachable server, 429 and 5xx. */
    public boolean transientFailure() {
        return TIMEOUT.equals(reason) || UNREACHABLE.equals(reason) || status == 429 || status >= 500;
    }
}
