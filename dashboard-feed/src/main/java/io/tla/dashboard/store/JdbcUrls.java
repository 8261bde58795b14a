package io.tla.dashboard.store;

/** JDBC URL helpers. */
public final class JdbcUrls {

    private JdbcUrls() {
    }

    /**
     * The URL without its query string or user info, safe to log: a PostgreSQL URL may carry
     * {@code password=...}.
     */
    public static String redact(String jdbcUrl) {
        if (jdbcUrl == null) {
            return null;
        }
        String url = jdbcUrl;
        int query = url.indexOf('?');
        if (query >= 0) {
            url = url.substring(0, query);
        }
        int scheme = url.indexOf("://");
        int at = url.indexOf('@');
        if (scheme >= 0 && at > scheme) {
            url = url.substring(0, scheme + 3) + url.substring(at + 1);
        }
        return url;
    }
}
