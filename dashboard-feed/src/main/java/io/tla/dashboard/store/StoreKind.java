package io.tla.dashboard.store;

import java.util.Locale;

/** The database behind the store, named as {@code /api/status} reports it. */
public enum StoreKind {
    SQLITE,
    POSTGRESQL;

    public static StoreKind of(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:sqlite:")) {
            return SQLITE;
        }
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            return POSTGRESQL;
        }
        throw new IllegalArgumentException("unsupported dashboard store URL scheme (jdbc:sqlite: or "
                + "jdbc:postgresql: only): " + JdbcUrls.redact(jdbcUrl));
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
