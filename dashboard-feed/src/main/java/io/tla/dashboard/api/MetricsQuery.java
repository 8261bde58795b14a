package io.tla.dashboard.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The parameters of {@code GET /api/metrics}: a range [from, to) of at most {@link #MAX_RANGE} and an optional
 * tenant. Without {@code to} the range ends now; without {@code from} it starts {@link #DEFAULT_RANGE} before
 * {@code to}.
 */
public record MetricsQuery(Instant from, Instant to, String tenant) {

    public static final Duration DEFAULT_RANGE = Duration.ofHours(1);
    public static final Duration MAX_RANGE = Duration.ofDays(31);
    static final int MAX_TENANT_LENGTH = 256;

    /** Thrown with a reason the client can act on; the API answers it with 400. */
    public static final class InvalidQuery extends IllegalArgumentException {
        public InvalidQuery(String reason) {
            super(reason);
        }
    }

    public static MetricsQuery parse(String from, String to, String tenant, Clock clock) {
        Instant end = to == null ? clock.instant() : instant("to", to);
        Instant start = from == null ? end.minus(DEFAULT_RANGE) : instant("from", from);
        if (start.isAfter(end)) {
            throw new InvalidQuery("from (" + start + ") is after to (" + end + ")");
        }
        if (Duration.between(start, end).compareTo(MAX_RANGE) > 0) {
            throw new InvalidQuery("the range from " + start + " to " + end + " is longer than "
                    + MAX_RANGE.toDays() + " days");
        }
        if (tenant != null && (tenant.isBlank() || tenant.length() > MAX_TENANT_LENGTH)) {
            throw new InvalidQuery("tenant must be a non-blank id of at most " + MAX_TENANT_LENGTH + " characters");
        }
        return new MetricsQuery(start, end, tenant);
    }

    private static Instant instant(String name, String value) {
        try {
            return Instant.parse(value.trim());
        } catch (DateTimeParseException e) {
            // The value is not echoed back: it is client input of any length.
            throw new InvalidQuery(name + " is not an ISO-8601 UTC instant such as 2026-11-25T15:00:00Z");
        }
    }
}
