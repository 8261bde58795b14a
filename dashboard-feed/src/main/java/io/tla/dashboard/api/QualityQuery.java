package io.tla.dashboard.api;

import java.time.Duration;
import java.util.Map;

/**
 * The parameters of {@code GET /api/quality}: a range of {@code 24h} (the default), {@code 7d} or {@code 30d},
 * and an optional tenant.
 */
public record QualityQuery(String range, Duration duration, String tenant) {

    public static final String DEFAULT_RANGE = "24h";
    static final Map<String, Duration> RANGES = Map.of("24h", Duration.ofHours(24), "7d", Duration.ofDays(7),
            "30d", Duration.ofDays(30));

    public static QualityQuery parse(String range, String tenant) {
        String name = range == null ? DEFAULT_RANGE : range.trim();
        Duration duration = RANGES.get(name);
        if (duration == null) {
            // The value is not echoed back: it is client input of any length.
            throw new MetricsQuery.InvalidQuery("range must be one of 24h, 7d, 30d");
        }
        if (tenant != null && (tenant.isBlank() || tenant.length() > MetricsQuery.MAX_TENANT_LENGTH)) {
            throw new MetricsQuery.InvalidQuery("tenant must be a non-blank id of at most "
                    + MetricsQuery.MAX_TENANT_LENGTH + " characters");
        }
        return new QualityQuery(name, duration, tenant);
    }
}
