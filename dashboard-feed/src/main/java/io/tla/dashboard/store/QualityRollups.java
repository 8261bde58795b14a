package io.tla.dashboard.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The verification rollups (migration V6): per tenant, UTC hour, provider and model in
 * {@code model_quality_rollup}, and over all tenants in {@code model_quality_rollup_all}, what the
 * {@code model.call} events' {@link ModelQuality} adds. Kept like {@link Rollups}: upserts that add, written in the
 * transaction that stores the events, for new events only.
 */
final class QualityRollups {

    static final String TENANT_TABLE = "model_quality_rollup";
    static final String ALL_TABLE = "model_quality_rollup_all";
    static final long HOUR_MS = Rollups.Grain.HOUR.ms;

    /** The counters, in column order. */
    static final List<String> COUNTERS = List.of("answers", "passed", "wrong_language", "unchanged",
            "glossary_miss", "malformed", "retried", "fell_back", "kept_unverified", "verified", "unverified",
            "not_checked");
    static final int ANSWERS = 0;
    static final int PASSED = 1;
    /** wrong_language, unchanged, glossary_miss, malformed: in {@link ModelQuality.Problem} order. */
    static final int FIRST_PROBLEM = 2;
    /** retried, fell_back, kept_unverified: in {@link ModelQuality.Action} order after ACCEPTED. */
    static final int FIRST_ACTION = 6;
    /** verified, unverified, not_checked: in {@link ModelQuality.Verification} order. */
    static final int FIRST_VERIFICATION = 9;

    private static final String TENANT_UPSERT = upsert(TENANT_TABLE, List.of("tenant_id", "hour_ms", "provider",
            "model"));
    private static final String ALL_UPSERT = upsert(ALL_TABLE, List.of("hour_ms", "provider", "model"));

    private static final String SUMS = String.join(", ", COUNTERS.stream().map(c -> "SUM(" + c + ")").toList());

    private QualityRollups() {
    }

    private static String upsert(String table, List<String> key) {
        List<String> sets = COUNTERS.stream().map(c -> c + " = " + table + "." + c + " + excluded." + c).toList();
        return "INSERT INTO " + table + " (" + String.join(", ", key) + ", " + String.join(", ", COUNTERS)
                + ") VALUES (" + "?, ".repeat(key.size() + COUNTERS.size() - 1) + "?) ON CONFLICT ("
                + String.join(", ", key) + ") DO UPDATE SET " + String.join(", ", sets);
    }

    /** A row's key; ordered, so concurrent writers lock rows in the same order and cannot deadlock. */
    record Key(String tenantId, long hourMs, String provider, String model) implements Comparable<Key> {
        private static final Comparator<Key> ORDER = Comparator.comparing(Key::tenantId)
                .thenComparingLong(Key::hourMs).thenComparing(Key::provider).thenComparing(Key::model);

        @Override
        public int compareTo(Key o) {
            return ORDER.compare(this, o);
        }
    }

    /**
     * What a batch of newly stored events adds, per tenant row and per all-tenants row. An event adds at most
     * {@link ModelQuality#MAX_ATTEMPTS} + 1 rows to each map, so a batch's maps are bounded by its size.
     */
    static final class Batch {
        private final Map<Key, long[]> tenants = new TreeMap<>();
        private final Map<Key, long[]> all = new TreeMap<>();

        /** Adds an event's verification facts; other events, and model calls without them, add nothing. */
        void add(StoredEvent event) {
            ModelQuality quality = event.quality();
            if (quality == null) {
                return;
            }
            long hour = Math.floorDiv(event.atMillis(), HOUR_MS) * HOUR_MS;
            for (ModelQuality.Attempt attempt : quality.attempts()) {
                long[] d = new long[COUNTERS.size()];
                d[ANSWERS] = 1;
                d[PASSED] = attempt.passed() ? 1 : 0;
                for (ModelQuality.Problem problem : attempt.problems()) {
                    d[FIRST_PROBLEM + problem.ordinal()] = 1;
                }
                if (attempt.action() != null && attempt.action() != ModelQuality.Action.ACCEPTED) {
                    d[FIRST_ACTION + attempt.action().ordinal() - 1] = 1;
                }
                add(event.tenantId(), hour, attempt.provider(), attempt.model(), d);
            }
            if (quality.verification() != null) {
                long[] d = new long[COUNTERS.size()];
                d[FIRST_VERIFICATION + quality.verification().ordinal()] = 1;
                add(event.tenantId(), hour, quality.answeredBy(), quality.answeredModel(), d);
            }
        }

        private void add(String tenant, long hour, String provider, String model, long[] d) {
            addTo(tenants.computeIfAbsent(new Key(tenant, hour, provider, model), k -> new long[COUNTERS.size()]), d);
            addTo(all.computeIfAbsent(new Key("", hour, provider, model), k -> new long[COUNTERS.size()]), d);
        }

        private static void addTo(long[] sums, long[] d) {
            for (int i = 0; i < d.length; i++) {
                sums[i] += d[i];
            }
        }

        boolean isEmpty() {
            return tenants.isEmpty();
        }

        /** The upserts, per-tenant table first (the same order in every writer). */
        void write(Connection connection) throws SQLException {
            if (isEmpty()) {
                return;
            }
            write(connection, TENANT_UPSERT, tenants, true);
            write(connection, ALL_UPSERT, all, false);
        }

        private static void write(Connection connection, String upsert, Map<Key, long[]> rows, boolean perTenant)
                throws SQLException {
            try (PreparedStatement statement = connection.prepareStatement(upsert)) {
                for (Map.Entry<Key, long[]> e : rows.entrySet()) {
                    int i = 0;
                    if (perTenant) {
                        statement.setString(++i, e.getKey().tenantId());
                    }
                    statement.setLong(++i, e.getKey().hourMs());
                    statement.setString(++i, e.getKey().provider());
                    statement.setString(++i, e.getKey().model());
                    for (long value : e.getValue()) {
                        statement.setLong(++i, value);
                    }
                    statement.addBatch();
                }
                statement.executeBatch();
            }
        }
    }

    /**
     * The sums per provider and model of the hours starting in [fromMs, toMs), of one tenant or (tenant null) of
     * all; in no particular order.
     */
    static List<QualityStats> read(Connection connection, long fromMs, long toMs, String tenant) throws SQLException {
        String sql = "SELECT provider, model, " + SUMS + " FROM "
                + (tenant == null ? ALL_TABLE + " WHERE " : TENANT_TABLE + " WHERE tenant_id = ? AND ")
                + "hour_ms >= ? AND hour_ms < ? GROUP BY provider, model";
        List<QualityStats> rows = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            int i = 0;
            if (tenant != null) {
                statement.setString(++i, tenant);
            }
            statement.setLong(++i, fromMs);
            statement.setLong(++i, toMs);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    long[] c = new long[COUNTERS.size()];
                    for (int n = 0; n < c.length; n++) {
                        c[n] = rs.getLong(3 + n);
                    }
                    rows.add(QualityStats.of(rs.getString(1), rs.getString(2), c));
                }
            }
        }
        return rows;
    }
}
