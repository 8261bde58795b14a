package io.tla.dashboard.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Not a test: times the dashboard's range queries on a month of rollups for 100 tenants, on SQLite and on
 * PostgreSQL (127.0.0.1:5432, database test, a schema of its own, dropped afterwards). Runs only when asked:
 *
 * <pre>mvn -B -o test -pl dashboard-feed -am -Dtest=DashboardStoreBench -Dsurefire.failIfNoSpecifiedTests=false -Dtla.bench.store=true</pre>
 *
 * ({@code -Dtla.bench.store.parts=true} also times the SQL of the 30-day all-tenants answer part by part.) The
 * figures are in {@code dashboard-feed/target/surefire-reports/io.tla.dashboard.store.DashboardStoreBench-output.txt}.
 *
 * The month (30 days ending at the clock's now) is written straight into the rollup tables through the store's
 * own upsert ({@link Rollups.Batch}), as the feed would have left it; the traffic is:
 * <ul>
 *   <li>10 busy tenants: 1 to 6 messages every minute of every day;</li>
 *   <li>30 office-hours tenants: 08:00 to 16:00 UTC on weekdays, a message in about half the minutes;</li>
 *   <li>60 small tenants: about 20 messages a day at random minutes.</li>
 * </ul>
 * Each message: a budget decision, a model call to {@code openai} (5 % of them first fail over from
 * {@code azure}: a fallback and a second call), a reply with a log-normal end-to-end time around 400 ms, and a
 * post. Figures printed: rows, then per query the median and the slowest of 5 runs after one warm-up.
 */
@EnabledIfSystemProperty(named = "tla.bench.store", matches = "true")
class DashboardStoreBench {

    static final Instant NOW = Instant.parse("2026-11-25T16:00:00Z");
    static final int DAYS = 30;

    @Test
    void sqlite() throws Exception {
        Path dir = Files.createTempDirectory("tla-store-bench");
        try {
            run("sqlite", "jdbc:sqlite:" + dir.resolve("dashboard.db"));
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void postgresql() throws Exception {
        String schema = "bench_" + Long.toHexString(System.nanoTime());
        try (Connection c = DriverManager.getConnection(TestStores.PG_URL); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        try {
            // Batched upserts as multi-row statements: loads the month several times faster; the store itself
            // keeps per-row counts (it needs them to tell new events from re-deliveries).
            run("postgresql", TestStores.PG_URL + "&currentSchema=" + schema + "&reWriteBatchedInserts=true");
        } finally {
            try (Connection c = DriverManager.getConnection(TestStores.PG_URL); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    private static void run(String name, String url) throws Exception {
        try (DashboardStore store = DashboardStore.open(url, Clock.fixed(NOW, ZoneOffset.UTC))) {
            store.migrate();
            long started = System.nanoTime();
            generate(store);
            long loadMs = (System.nanoTime() - started) / 1_000_000;
            if (store.kind() == StoreKind.POSTGRESQL) {
                try (Connection c = store.writer().getConnection(); Statement s = c.createStatement()) {
                    s.execute("VACUUM ANALYZE minute_rollup");
                    s.execute("VACUUM ANALYZE minute_rollup_all");
                    for (String table : List.of("hour_rollup", "hour_rollup_all", "day_rollup")) {
                        s.execute("VACUUM ANALYZE " + table);
                    }
                }
            } else {
                try (Connection c = store.writer().getConnection(); Statement s = c.createStatement()) {
                    s.execute("ANALYZE");
                }
            }
            System.out.printf(Locale.ROOT, "%n[%s] rows minute_rollup=%d minute_rollup_all=%d hour_rollup=%d "
                    + "hour_rollup_all=%d day_rollup=%d loaded in %d ms%n", name, count(store, "minute_rollup"),
                    count(store, "minute_rollup_all"), count(store, "hour_rollup"), count(store, "hour_rollup_all"),
                    count(store, "day_rollup"), loadMs);
            time(name, "status (today)", () -> store.status(LocalDate.ofInstant(NOW, ZoneOffset.UTC)));
            for (Duration range : List.of(Duration.ofHours(1), Duration.ofHours(24), Duration.ofDays(30))) {
                time(name, "metrics " + label(range) + " all tenants", () -> store.metrics(NOW.minus(range), NOW, null));
                time(name, "metrics " + label(range) + " busy tenant", () -> store.metrics(NOW.minus(range), NOW, "busy-00"));
            }
            // A range that does not start on the hour: its buckets are clock hours, the partial first one read
            // from the minute rollups, the whole hours from the hourly ones.
            Instant offHour = NOW.minus(Duration.ofDays(30)).plusSeconds(7 * 60);
            time(name, "metrics 30 d off the hour all", () -> store.metrics(offHour, NOW, null));
            time(name, "metrics 30 d off the hour busy", () -> store.metrics(offHour, NOW, "busy-00"));
            if (Boolean.getBoolean("tla.bench.store.parts")) {
                long from = NOW.minus(Duration.ofDays(30)).toEpochMilli();
                long to = NOW.toEpochMilli();
                part(store, name, "30 d all-table rows, all columns", "SELECT minute_ms, provider, " + Rollups.COLUMNS
                        + " FROM minute_rollup_all WHERE minute_ms >= " + from + " AND minute_ms < " + to + " ORDER BY minute_ms");
                part(store, name, "30 d all-table rows, counters", "SELECT minute_ms, provider, messages, replies, cost_usd"
                        + " FROM minute_rollup_all WHERE minute_ms >= " + from + " AND minute_ms < " + to + " ORDER BY minute_ms");
                part(store, name, "30 d tenant ranking", "SELECT tenant_id, SUM(messages) AS m FROM minute_rollup"
                        + " WHERE minute_ms >= " + from + " AND minute_ms < " + to + " GROUP BY tenant_id ORDER BY m DESC, tenant_id LIMIT 10");
                part(store, name, "30 d top-10 rows", "SELECT tenant_id, minute_ms, messages, replies, cost_usd FROM minute_rollup"
                        + " WHERE tenant_id IN ('busy-00','busy-01','busy-02','busy-03','busy-04','busy-05','busy-06','busy-07','busy-08','busy-09')"
                        + " AND minute_ms >= " + from + " AND minute_ms < " + to);
                long day = Duration.ofDays(1).toMillis();
                long firstDay = Math.floorDiv(from + day - 1, day) * day;
                long lastDay = Math.floorDiv(to, day) * day;
                String ranking = "SELECT tenant_id, SUM(messages) AS m FROM day_rollup WHERE day_ms >= " + firstDay
                        + " AND day_ms < " + lastDay + " GROUP BY tenant_id ORDER BY m DESC, tenant_id LIMIT 10";
                String top = "SELECT tenant_id, (hour_ms - " + from + ") / 3600000, SUM(messages), SUM(replies), "
                        + "SUM(cost_usd) FROM hour_rollup WHERE tenant_id IN ('busy-00','busy-01','busy-02') AND hour_ms >= "
                        + from + " AND hour_ms < " + to + " GROUP BY 1, 2";
                String all = "SELECT (hour_ms - " + from + ") / 3600000, provider, " + Rollups.SUMS
                        + " FROM hour_rollup_all WHERE hour_ms >= " + from + " AND hour_ms < " + to + " GROUP BY 1, 2";
                String edges = "SELECT tenant_id, SUM(messages) FROM minute_rollup WHERE minute_ms >= " + (to - 3_600_000L)
                        + " AND minute_ms < " + to + " GROUP BY tenant_id";
                part(store, name, "30 d ranking from days", ranking);
                part(store, name, "30 d top tenants' hours", top);
                part(store, name, "30 d all-tenants hours", all);
                for (String sql : List.of(ranking, top, all, edges)) {
                    plan(store, name, sql);
                }
            }
        }
    }

    private static void part(DashboardStore store, String name, String what, String sql) throws SQLException {
        time(name, what, () -> {
            try (Connection c = store.writer().getConnection()) {
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    s.setFetchSize(1_000);
                    try (ResultSet rs = s.executeQuery(sql)) {
                        int columns = rs.getMetaData().getColumnCount();
                        long sum = 0;
                        while (rs.next()) {
                            for (int i = 3; i <= columns; i++) {
                                sum += rs.getLong(i);
                            }
                        }
                        return sum;
                    }
                } finally {
                    c.setAutoCommit(true);
                }
            }
        });
    }

    /** Prints the query plan, to see which index each query uses. */
    private static void plan(DashboardStore store, String name, String sql) throws SQLException {
        String explain = store.kind() == StoreKind.POSTGRESQL ? "EXPLAIN " : "EXPLAIN QUERY PLAN ";
        try (Connection c = store.writer().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(explain + sql)) {
            System.out.printf(Locale.ROOT, "[%s] plan of %s%n", name, sql.length() > 120 ? sql.substring(0, 120) + "..." : sql);
            int column = store.kind() == StoreKind.POSTGRESQL ? 1 : rs.getMetaData().getColumnCount();
            while (rs.next()) {
                System.out.printf(Locale.ROOT, "[%s]   %s%n", name, rs.getString(column));
            }
        }
    }

    private static String label(Duration range) {
        return range.toDays() > 0 ? range.toDays() + " d" : range.toHours() + " h";
    }

    interface Query {
        Object run() throws SQLException;
    }

    private static void time(String name, String what, Query query) throws SQLException {
        query.run();
        long[] ms = new long[5];
        for (int i = 0; i < ms.length; i++) {
            long start = System.nanoTime();
            query.run();
            ms[i] = (System.nanoTime() - start) / 1_000_000;
        }
        Arrays.sort(ms);
        System.out.printf(Locale.ROOT, "[%s] %-32s median %5d ms, max %5d ms%n", name, what, ms[2], ms[4]);
    }

    private static long count(DashboardStore store, String table) throws SQLException {
        try (Connection c = store.writer().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Writes the month one day per transaction. */
    static void generate(DashboardStore store) throws SQLException {
        Random random = new Random(2026);
        List<String> tenants = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            tenants.add(String.format(Locale.ROOT, "busy-%02d", i));
        }
        for (int i = 0; i < 30; i++) {
            tenants.add(String.format(Locale.ROOT, "office-%02d", i));
        }
        for (int i = 0; i < 60; i++) {
            tenants.add(String.format(Locale.ROOT, "small-%02d", i));
        }
        long end = NOW.toEpochMilli();
        long start = end - Duration.ofDays(DAYS).toMillis();
        for (long day = start; day < end; day += Duration.ofDays(1).toMillis()) {
            Rollups.Batch batch = new Rollups.Batch();
            LocalDate date = LocalDate.ofInstant(Instant.ofEpochMilli(day), ZoneOffset.UTC);
            boolean weekday = date.getDayOfWeek().getValue() <= 5;
            for (int minute = 0; minute < 1440; minute++) {
                long at = day + minute * 60_000L;
                if (at >= end) {
                    break;
                }
                int hour = (int) ((at / 3_600_000L) % 24);
                for (String tenant : tenants) {
                    int messages;
                    if (tenant.startsWith("busy")) {
                        messages = 1 + random.nextInt(6);
                    } else if (tenant.startsWith("office")) {
                        messages = weekday && hour >= 8 && hour < 16 && random.nextBoolean() ? 1 : 0;
                    } else {
                        messages = random.nextInt(72) == 0 ? 1 : 0;
                    }
                    for (int m = 0; m < messages; m++) {
                        message(batch, random, tenant, at + random.nextInt(60_000));
                    }
                }
            }
            write(store, batch);
        }
    }

    private static void message(Rollups.Batch batch, Random random, String tenant, long at) {
        batch.add(event(tenant, at, "budget.decision", null, null, null));
        if (random.nextInt(20) == 0) {
            batch.add(event(tenant, at, "model.fallback", "azure", null, null));
            batch.add(event(tenant, at, "model.call", "azure", 0.0, null));
        }
        batch.add(event(tenant, at, "model.call", "openai", 0.0004 + random.nextInt(100) / 1e6, null));
        double endToEnd = Math.exp(Math.log(400) + random.nextGaussian() * 0.6);
        batch.add(event(tenant, at, "reply.emitted", "openai", null, endToEnd));
        batch.add(event(tenant, at, "reply.posted", null, null, null));
    }

    private static StoredEvent event(String tenant, long at, String type, String provider, Double cost, Double endToEnd) {
        Long in = type.equals("model.call") ? 120L : null;
        Long out = type.equals("model.call") ? 140L : null;
        return new StoredEvent("bench", type, tenant, null, null, at, type.equals("budget.decision") ? "allowed" : null,
                type.equals("reply.emitted") ? "translation" : null, provider, null, cost, null, endToEnd, in, out,
                type.equals("reply.posted") ? StoredEvent.SINK_OUTBOX : null, null, "{}", null, null);
    }

    private static void write(DashboardStore store, Rollups.Batch batch) throws SQLException {
        try (Connection connection = store.writer().getConnection()) {
            connection.setAutoCommit(false);
            batch.write(connection);
            connection.commit();
            connection.setAutoCommit(true);
        }
    }
}
