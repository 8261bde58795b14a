package io.tla.dashboard.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's telemetry store over JDBC: SQLite (the default, one file under {@code data.dir}) or PostgreSQL.
 * Events are idempotent by event id, so a re-delivered record is stored once. The SQL is kept portable between
 * the two databases; percentiles are computed here rather than in SQL for the same reason.
 *
 * <p>SQLite allows one writer at a time, so it gets a writer pool of one connection (the feed's thread) and a
 * small reader pool for the API; WAL lets those readers run while the writer commits. PostgreSQL shares one pool.
 */
public final class DashboardStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DashboardStore.class);

    /** Where the migrations live: a sub-folder, so other modules' migrations on the same classpath stay apart. */
    public static final String MIGRATIONS = "classpath:db/migration/dashboard";
    /** Flyway's history table, named for this store so it can share a PostgreSQL schema. */
    public static final String HISTORY_TABLE = "dashboard_schema_history";

    static final String BUDGET_DECISION = "budget.decision";
    static final String MODEL_CALL = "model.call";
    static final String REPLY_EMITTED = "reply.emitted";
    static final String REPLY_POSTED = "reply.posted";
    static final String REPLY_FAILED = "reply.failed";

    private static final long MINUTE_MS = 60_000L;
    private static final int SQLITE_BUSY_TIMEOUT_MS = 5_000;

    private static final String INSERT = "INSERT INTO telemetry_event (event_id, type, tenant_id, conversation_id, "
            + "message_id, at_ms, decision, kind, provider, outcome, cost_usd, latency_ms, end_to_end_ms, "
            + "input_tokens, output_tokens, attributes, stored_at_ms) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING";

    private static final String MESSAGES = "SUM(CASE WHEN type = '" + BUDGET_DECISION + "' THEN 1 ELSE 0 END)";
    private static final String REPLIES = "SUM(CASE WHEN type = '" + REPLY_EMITTED + "' THEN 1 ELSE 0 END)";
    private static final String MODEL_CALLS = "SUM(CASE WHEN type = '" + MODEL_CALL + "' THEN 1 ELSE 0 END)";
    private static final String COST = "SUM(CASE WHEN type = '" + MODEL_CALL + "' THEN COALESCE(cost_usd, 0) ELSE 0 END)";

    private static final String DAY_TOTALS = "SELECT "
            + "COALESCE(" + MESSAGES + ", 0), "
            + "COALESCE(" + REPLIES + ", 0), "
            + "COALESCE(SUM(CASE WHEN type = '" + REPLY_POSTED + "' THEN 1 ELSE 0 END), 0), "
            + "COALESCE(" + MODEL_CALLS + ", 0), "
            + "COALESCE(SUM(CASE WHEN type = '" + BUDGET_DECISION + "' AND decision = 'refused' THEN 1 ELSE 0 END), 0), "
            + "COALESCE(SUM(CASE WHEN (type = '" + REPLY_EMITTED + "' AND kind = 'failed') OR type = '" + REPLY_FAILED
            + "' THEN 1 ELSE 0 END), 0), "
            + "COALESCE(" + COST + ", 0) "
            + "FROM telemetry_event WHERE at_ms >= ? AND at_ms < ?";

    private static final String TENANT_TOTALS = "SELECT tenant_id, "
            + "COALESCE(" + MESSAGES + ", 0), COALESCE(" + REPLIES + ", 0), COALESCE(" + COST + ", 0) "
            + "FROM telemetry_event WHERE at_ms >= ? AND at_ms < ? "
            + "AND type IN ('" + BUDGET_DECISION + "', '" + REPLY_EMITTED + "', '" + MODEL_CALL + "') "
            + "GROUP BY tenant_id";

    private static final String MINUTE = "(at_ms - (at_ms % " + MINUTE_MS + "))";

    private final StoreKind kind;
    private final String safeUrl;
    private final Clock clock;
    private final HikariDataSource writer;
    private final HikariDataSource reader;

    private DashboardStore(StoreKind kind, String safeUrl, Clock clock, HikariDataSource writer,
                           HikariDataSource reader) {
        this.kind = kind;
        this.safeUrl = safeUrl;
        this.clock = clock;
        this.writer = writer;
        this.reader = reader;
    }

    /**
     * Opens the connection pools (for SQLite, creating the file's directory first). Fails fast with the cause
     * when the database cannot be reached. Call {@link #migrate()} before use.
     */
    public static DashboardStore open(String jdbcUrl, Clock clock) {
        StoreKind kind = StoreKind.of(jdbcUrl);
        String safeUrl = JdbcUrls.redact(jdbcUrl);
        HikariDataSource writer = null;
        try {
            if (kind == StoreKind.SQLITE) {
                Path file = sqliteFile(jdbcUrl);
                if (file != null && file.getParent() != null) {
                    Files.createDirectories(file.getParent());
                }
                writer = new HikariDataSource(sqlitePool(jdbcUrl, "tla-dashboard-writer", 1));
                // An in-memory database exists per connection: a second pool would see another, empty one.
                HikariDataSource reader = file == null ? writer : new HikariDataSource(sqlitePool(jdbcUrl, "tla-dashboard-reader", 2));
                return new DashboardStore(kind, safeUrl, clock, writer, reader);
            }
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(jdbcUrl);
            config.setPoolName("tla-dashboard");
            config.setMaximumPoolSize(4);
            config.setMinimumIdle(1);
            writer = new HikariDataSource(config);
            return new DashboardStore(kind, safeUrl, clock, writer, writer);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory of the dashboard store " + safeUrl, e);
        } catch (RuntimeException e) {
            if (writer != null) {
                writer.close();
            }
            throw new IllegalStateException("cannot open the dashboard store " + safeUrl + ": " + rootMessage(e), e);
        }
    }

    private static HikariConfig sqlitePool(String jdbcUrl, String name, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setPoolName(name);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(1);
        // sqlite-jdbc applies these pragmas to every connection it opens.
        config.addDataSourceProperty("journal_mode", "WAL");
        config.addDataSourceProperty("busy_timeout", Integer.toString(SQLITE_BUSY_TIMEOUT_MS));
        return config;
    }

    /** The database file of a SQLite URL, or null for an in-memory database. */
    static Path sqliteFile(String jdbcUrl) {
        String path = jdbcUrl.substring("jdbc:sqlite:".length());
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        if (path.startsWith("file:")) {
            path = path.substring("file:".length());
        }
        if (path.isEmpty() || path.startsWith(":memory:") || path.contains("mode=memory")) {
            return null;
        }
        return Path.of(path).toAbsolutePath().normalize();
    }

    /** Applies the pending migrations; safe to call on every start. */
    public void migrate() {
        Flyway flyway = Flyway.configure()
                .dataSource(writer)
                .locations(MIGRATIONS)
                .table(HISTORY_TABLE)
                .load();
        MigrateResult result = flyway.migrate();
        var current = flyway.info().current();
        log.info("event=dashboard_store_migrated store={} url={} applied={} version={}", kind.label(), safeUrl,
                result.migrationsExecuted, current != null ? current.getVersion() : "none");
    }

    public StoreKind kind() {
        return kind;
    }

    /** The store URL without credentials or parameters, for logs and diagnostics. */
    public String safeUrl() {
        return safeUrl;
    }

    DataSource writer() {
        return writer;
    }

    /** The read pool, for the API's queries that live outside this class (TenantsQuery, FailedRepliesQuery). */
    public DataSource reader() {
        return reader;
    }

    /**
     * Stores a batch in one transaction; an event whose id is already stored is skipped. Returns how many rows
     * were new. When this returns, the rows are committed (durable); when it throws, none of them are.
     */
    public int insert(List<StoredEvent> events) throws SQLException {
        if (events.isEmpty()) {
            return 0;
        }
        long now = clock.millis();
        try (Connection connection = writer.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement statement = connection.prepareStatement(INSERT)) {
                for (StoredEvent event : events) {
                    int i = 0;
                    statement.setString(++i, event.eventId());
                    statement.setString(++i, event.type());
                    statement.setString(++i, event.tenantId());
                    setString(statement, ++i, event.conversationId());
                    setString(statement, ++i, event.messageId());
                    statement.setLong(++i, event.atMillis());
                    setString(statement, ++i, event.decision());
                    setString(statement, ++i, event.kind());
                    setString(statement, ++i, event.provider());
                    setString(statement, ++i, event.outcome());
                    setDouble(statement, ++i, event.costUsd());
                    setDouble(statement, ++i, event.latencyMs());
                    setDouble(statement, ++i, event.endToEndMs());
                    setLong(statement, ++i, event.inputTokens());
                    setLong(statement, ++i, event.outputTokens());
                    statement.setString(++i, event.attributesJson());
                    statement.setLong(++i, now);
                    statement.addBatch();
                }
                int[] counts = statement.executeBatch();
                connection.commit();
                int inserted = 0;
                for (int count : counts) {
                    // SUCCESS_NO_INFO (-2) cannot happen without batch rewriting; count it as stored if it does.
                    inserted += count == Statement.SUCCESS_NO_INFO ? 1 : Math.max(0, count);
                }
                return inserted;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection, e);
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        }
    }

    /** Totals and tenants of the UTC day {@code date}, and the newest event's time. */
    public StatusSnapshot status(LocalDate date) throws SQLException {
        long from = date.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        long to = date.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        try (Connection connection = reader.getConnection()) {
            DayTotals totals;
            try (PreparedStatement statement = connection.prepareStatement(DAY_TOTALS)) {
                statement.setLong(1, from);
                statement.setLong(2, to);
                try (ResultSet rs = statement.executeQuery()) {
                    rs.next();
                    totals = new DayTotals(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                            rs.getLong(6), round(rs.getDouble(7)), latency(connection, from, to, null));
                }
            }
            List<TenantTotals> tenants = new ArrayList<>();
            try (PreparedStatement statement = connection.prepareStatement(TENANT_TOTALS)) {
                statement.setLong(1, from);
                statement.setLong(2, to);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        tenants.add(new TenantTotals(rs.getString(1), rs.getLong(2), rs.getLong(3), round(rs.getDouble(4))));
                    }
                }
            }
            // Busiest tenants first; the id breaks ties so the order is stable between refreshes.
            tenants.sort(Comparator.comparingLong(TenantTotals::messages).reversed()
                    .thenComparing(TenantTotals::tenantId));
            return new StatusSnapshot(date, lastEventAt(connection), totals, List.copyOf(tenants));
        }
    }

    private static Instant lastEventAt(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT MAX(at_ms) FROM telemetry_event")) {
            rs.next();
            long max = rs.getLong(1);
            return rs.wasNull() ? null : Instant.ofEpochMilli(max);
        }
    }

    private static Latency latency(Connection connection, long from, long to, String tenant) throws SQLException {
        String sql = "SELECT end_to_end_ms FROM telemetry_event WHERE type = '" + REPLY_EMITTED + "' "
                + "AND at_ms >= ? AND at_ms < ? AND end_to_end_ms IS NOT NULL" + (tenant != null ? " AND tenant_id = ?" : "");
        Doubles values = new Doubles();
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setLong(1, from);
            statement.setLong(2, to);
            if (tenant != null) {
                statement.setString(3, tenant);
            }
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    values.add(rs.getDouble(1));
                }
            }
        }
        return values.latency();
    }

    /**
     * A per-minute series over [from, to), optionally of one tenant. Every minute overlapping the range has a
     * point, empty or not, so a chart needs no gap filling.
     */
    public MetricsSeries metrics(Instant from, Instant to, String tenant) throws SQLException {
        long fromMs = from.toEpochMilli();
        long toMs = to.toEpochMilli();
        String tenantFilter = tenant != null ? " AND tenant_id = ?" : "";
        Map<Long, long[]> counts = new HashMap<>();
        Map<Long, Double> costs = new HashMap<>();
        Map<Long, Doubles> latencies = new HashMap<>();
        Doubles allLatencies = new Doubles();
        try (Connection connection = reader.getConnection()) {
            String sql = "SELECT " + MINUTE + ", COALESCE(" + MESSAGES + ", 0), COALESCE(" + REPLIES + ", 0), "
                    + "COALESCE(" + MODEL_CALLS + ", 0), COALESCE(" + COST + ", 0) FROM telemetry_event "
                    + "WHERE at_ms >= ? AND at_ms < ?" + tenantFilter + " GROUP BY " + MINUTE;
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                bindRange(statement, fromMs, toMs, tenant);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        long minute = rs.getLong(1);
                        counts.put(minute, new long[] {rs.getLong(2), rs.getLong(3), rs.getLong(4)});
                        costs.put(minute, rs.getDouble(5));
                    }
                }
            }
            String latencySql = "SELECT at_ms, end_to_end_ms FROM telemetry_event WHERE type = '" + REPLY_EMITTED
                    + "' AND at_ms >= ? AND at_ms < ? AND end_to_end_ms IS NOT NULL" + tenantFilter;
            try (PreparedStatement statement = connection.prepareStatement(latencySql)) {
                bindRange(statement, fromMs, toMs, tenant);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        long at = rs.getLong(1);
                        double value = rs.getDouble(2);
                        latencies.computeIfAbsent(minuteOf(at), m -> new Doubles()).add(value);
                        allLatencies.add(value);
                    }
                }
            }
        }
        List<MetricsPoint> series = new ArrayList<>();
        long messages = 0;
        long replies = 0;
        long modelCalls = 0;
        double cost = 0;
        for (long minute = minuteOf(fromMs); minute < toMs; minute += MINUTE_MS) {
            long[] c = counts.getOrDefault(minute, new long[3]);
            double minuteCost = costs.getOrDefault(minute, 0.0);
            Doubles l = latencies.get(minute);
            series.add(new MetricsPoint(Instant.ofEpochMilli(minute), c[0], c[1], c[2], round(minuteCost),
                    l == null ? Latency.NONE : l.latency()));
            messages += c[0];
            replies += c[1];
            modelCalls += c[2];
            cost += minuteCost;
        }
        MetricsPoint totals = new MetricsPoint(null, messages, replies, modelCalls, round(cost), allLatencies.latency());
        return new MetricsSeries(from, to, tenant, List.copyOf(series), totals);
    }

    private static void bindRange(PreparedStatement statement, long from, long to, String tenant) throws SQLException {
        statement.setLong(1, from);
        statement.setLong(2, to);
        if (tenant != null) {
            statement.setString(3, tenant);
        }
    }

    private static long minuteOf(long epochMillis) {
        return Math.floorDiv(epochMillis, MINUTE_MS) * MINUTE_MS;
    }

    /** Costs are shown to the micro-dollar; the rounding hides binary floating-point residue of the sums. */
    private static double round(double usd) {
        return Math.round(usd * 1_000_000d) / 1_000_000d;
    }

    private static void setString(PreparedStatement statement, int index, String value) throws SQLException {
        if (value == null) {
            statement.setNull(index, Types.VARCHAR);
        } else {
            statement.setString(index, value);
        }
    }

    private static void setDouble(PreparedStatement statement, int index, Double value) throws SQLException {
        if (value == null) {
            statement.setNull(index, Types.DOUBLE);
        } else {
            statement.setDouble(index, value);
        }
    }

    private static void setLong(PreparedStatement statement, int index, Long value) throws SQLException {
        if (value == null) {
            statement.setNull(index, Types.BIGINT);
        } else {
            statement.setLong(index, value);
        }
    }

    private static void rollbackQuietly(Connection connection, Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    }

    @Override
    public void close() {
        if (reader != writer) {
            reader.close();
        }
        writer.close();
    }

    /** A growable array of doubles, to avoid boxing a day's worth of latencies. */
    private static final class Doubles {
        private double[] values = new double[64];
        private int size;

        void add(double value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        Latency latency() {
            return size == 0 ? Latency.NONE : Percentiles.of(values, size);
        }
    }
}
