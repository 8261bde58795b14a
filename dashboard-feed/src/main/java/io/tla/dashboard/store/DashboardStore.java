package io.tla.dashboard.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import io.tla.platform.files.PrivateFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's telemetry store over JDBC: SQLite (the default, one file under {@code data.dir}) or PostgreSQL.
 * Events are idempotent by event id, so a re-delivered record is stored once. The SQL is kept portable between
 * the two databases. Reads come from per-minute rollups kept in the insert's transaction (see {@link Rollups});
 * latency percentiles come from the rollups' log-scale histogram (see {@link LatencyHistogram} for the bound).
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
    static final String MODEL_FALLBACK = "model.fallback";
    static final String BUDGET_THRESHOLD = "budget.threshold";

    private static final long MINUTE_MS = Rollups.MINUTE_MS;
    private static final int SQLITE_BUSY_TIMEOUT_MS = 5_000;

    private static final String INSERT = "INSERT INTO telemetry_event (event_id, type, tenant_id, conversation_id, "
            + "message_id, at_ms, decision, kind, provider, outcome, cost_usd, latency_ms, end_to_end_ms, "
            + "input_tokens, output_tokens, sink, sync_reply, attributes, stored_at_ms) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING";

    private static final String INSERT_AUDIT = "INSERT INTO reply_audit (event_id, at_ms, tenant_id, "
            + "conversation_id, message_id, reply_id, sender_id, source_language, target_languages, kind, provider, "
            + "model, input_tokens, output_tokens, cost_usd, text_sha256) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING";

    /** Tenants that had a message, reply or model call in the range, with those counters. */
    private static final String TENANT_TOTALS = "SELECT tenant_id, SUM(messages), SUM(replies), SUM(cost_usd) "
            + "FROM " + Rollups.TENANT_TABLE + " WHERE minute_ms >= ? AND minute_ms < ? GROUP BY tenant_id "
            + "HAVING SUM(messages) + SUM(replies) + SUM(model_calls) > 0";

    static final int TOP_TENANTS = 10;
    private static final long PURGE_STEP_MS = Duration.ofHours(1).toMillis();

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
                boolean created = file != null && !Files.exists(file);
                writer = new HikariDataSource(sqlitePool(jdbcUrl, "tla-dashboard-writer", 1));
                if (created) {
                    // the store holds every tenant's telemetry and audit trail: a file we create is the owner's
                    for (String suffix : new String[] {"", "-wal", "-shm"}) {
                        PrivateFiles.created(file.resolveSibling(file.getFileName() + suffix));
                    }
                }
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
                .javaMigrations(new V3__Backfill_rollups_and_audit(), new V4_1__Backfill_delivery_path(),
                        new V5_1__Backfill_hour_and_day_rollups(), new V6_1__Backfill_model_quality())
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
     * were new. The same transaction adds the new events (and only those: a re-delivered id adds nothing) to the
     * per-minute rollups and writes the audit rows of new {@code reply.emitted} events. When this returns, all of
     * it is committed (durable); when it throws, none of it is.
     */
    public int insert(List<StoredEvent> events) throws SQLException {
        if (events.isEmpty()) {
            return 0;
        }
        long now = clock.millis();
        try (Connection connection = writer.getConnection()) {
            connection.setAutoCommit(false);
            try {
                int[] counts;
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
                        setString(statement, ++i, event.sink());
                        setString(statement, ++i, event.syncReply());
                        statement.setString(++i, event.attributesJson());
                        statement.setLong(++i, now);
                        statement.addBatch();
                    }
                    counts = statement.executeBatch();
                }
                // Per statement, in order: 1 when the row was new, 0 when its id was stored already (earlier, or
                // earlier in this batch). Only new rows feed the rollups and the audit trail.
                Rollups.Batch rollups = new Rollups.Batch();
                QualityRollups.Batch quality = new QualityRollups.Batch();
                List<StoredEvent> audited = new ArrayList<>();
                int inserted = 0;
                for (int n = 0; n < counts.length; n++) {
                    if (counts[n] == Statement.SUCCESS_NO_INFO) {
                        // Only batch rewriting reports this, and neither driver is configured for it: without
                        // per-row counts a re-delivered event would be counted twice, so refuse the batch.
                        throw new SQLException("the JDBC driver did not report per-row insert counts");
                    }
                    if (counts[n] > 0) {
                        StoredEvent event = events.get(n);
                        inserted++;
                        rollups.add(event);
                        quality.add(event);
                        if (event.audit() != null) {
                            audited.add(event);
                        }
                    }
                }
                rollups.write(connection);
                quality.write(connection);
                writeAudit(connection, audited);
                connection.commit();
                return inserted;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection, e);
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        }
    }

    static void writeAudit(Connection connection, List<StoredEvent> events) throws SQLException {
        if (events.isEmpty()) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement(INSERT_AUDIT)) {
            for (StoredEvent event : events) {
                StoredEvent.Audit audit = event.audit();
                int i = 0;
                statement.setString(++i, event.eventId());
                statement.setLong(++i, event.atMillis());
                statement.setString(++i, event.tenantId());
                setString(statement, ++i, event.conversationId());
                setString(statement, ++i, event.messageId());
                setString(statement, ++i, audit.replyId());
                setString(statement, ++i, audit.senderId());
                setString(statement, ++i, audit.sourceLanguage());
                setString(statement, ++i, audit.targetLanguages());
                setString(statement, ++i, event.kind());
                setString(statement, ++i, event.provider());
                setString(statement, ++i, audit.model());
                setLong(statement, ++i, event.inputTokens());
                setLong(statement, ++i, event.outputTokens());
                setDouble(statement, ++i, event.costUsd());
                setString(statement, ++i, audit.textSha256());
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    /** Totals and tenants of the UTC day {@code date} (from the rollups), and the newest event's time. */
    public StatusSnapshot status(LocalDate date) throws SQLException {
        long from = date.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        long to = date.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        try (Connection connection = reader.getConnection()) {
            Rollups.Delta sums;
            try (PreparedStatement statement = connection.prepareStatement("SELECT " + Rollups.SUMS + " FROM "
                    + Rollups.ALL_TABLE + " WHERE minute_ms >= ? AND minute_ms < ?")) {
                statement.setLong(1, from);
                statement.setLong(2, to);
                try (ResultSet rs = statement.executeQuery()) {
                    rs.next();
                    sums = Rollups.Delta.read(rs, 1);
                }
            }
            long[] c = sums.counters;
            DayTotals totals = new DayTotals(c[Rollups.MESSAGES], c[Rollups.REPLIES], c[Rollups.REPLIES_POSTED],
                    c[Rollups.MODEL_CALLS], c[Rollups.BUDGET_REFUSALS], c[Rollups.FAILURES], round(sums.costUsd),
                    sums.latency.latency(), c[Rollups.FALLBACKS], c[Rollups.REPLIES_FAILED],
                    c[Rollups.BUDGET_ALERTS], delivery(c));
            List<TenantTotals> tenants = new ArrayList<>();
            try (PreparedStatement statement = connection.prepareStatement(TENANT_TOTALS)) {
                statement.setLong(1, from);
                statement.setLong(2, to);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        tenants.add(new TenantTotals(rs.getString(1), rs.getLong(2), rs.getLong(3),
                                round(rs.getDouble(4))));
                    }
                }
            }
            // Busiest tenants first; the id breaks ties so the order is stable between refreshes.
            tenants.sort(Comparator.comparingLong(TenantTotals::messages).reversed()
                    .thenComparing(TenantTotals::tenantId));
            return new StatusSnapshot(date, lastEventAt(connection), totals, List.copyOf(tenants));
        }
    }

    private static Delivery delivery(long[] c) {
        return new Delivery(c[Rollups.POSTED_WEBHOOK_RESPONSE], c[Rollups.POSTED_OUTBOX], c[Rollups.POSTED_GRAPH],
                c[Rollups.SYNC_ANSWERED], c[Rollups.SYNC_MISSED]);
    }

    private static Instant lastEventAt(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT MAX(at_ms) FROM telemetry_event")) {
            rs.next();
            long max = rs.getLong(1);
            return rs.wasNull() ? null : Instant.ofEpochMilli(max);
        }
    }

    /** Bucket widths /api/metrics may use, finest first. */
    private static final long[] BUCKETS_MS = {MINUTE_MS, 5 * MINUTE_MS, 15 * MINUTE_MS, 60 * MINUTE_MS,
            360 * MINUTE_MS, 1_440 * MINUTE_MS};
    /** At most this many points per series: a month of minutes would be 44 640 per series. */
    public static final int MAX_POINTS = 1_440;

    /**
     * The bucket of a metrics range: the finest of 1, 5, 15, 60, 360 and 1 440 minutes whose clock-aligned
     * buckets (see {@link #bucketOrigin}) covering the range are at most {@link #MAX_POINTS} (a day by the
     * minute; 31 days by the hour). A range that does not start on a multiple of the width needs one bucket more
     * than its length divided by the width: a 5-day range off the 5 minutes gets 15-minute buckets.
     */
    public static long bucketMillis(Instant from, Instant to) {
        long fromMinute = minuteOf(from.toEpochMilli());
        long toMs = to.toEpochMilli();
        for (long bucket : BUCKETS_MS) {
            if (bucketCount(fromMinute, toMs, bucket) <= MAX_POINTS) {
                return bucket;
            }
        }
        return BUCKETS_MS[BUCKETS_MS.length - 1];
    }

    /**
     * The start of a range's first bucket: buckets are aligned to the clock, their boundaries multiples of the
     * width since the Unix epoch (hours on the hour, 6 hours at 00, 06, 12 and 18 UTC, days at UTC midnight), so
     * the first bucket starts at or before the range's first minute and counts only the minutes in the range.
     */
    static long bucketOrigin(long fromMinute, long bucketMs) {
        return Math.floorDiv(fromMinute, bucketMs) * bucketMs;
    }

    /** How many aligned buckets cover the minutes from {@code fromMinute} to {@code toMs} (rounded up). */
    static int bucketCount(long fromMinute, long toMs, long bucketMs) {
        long origin = bucketOrigin(fromMinute, bucketMs);
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, (toMs - origin + bucketMs - 1) / bucketMs));
    }

    /**
     * A series over [from, to) in buckets of {@link #bucketMillis}, aligned to the clock ({@link #bucketOrigin}),
     * optionally of one tenant, read from the rollups: a minute is counted whole when the range covers part of
     * it, and a bucket sums its minutes inside the range (its latency percentiles come from the merged
     * histograms); the first and last buckets may be partial. Each point is labelled with its bucket's aligned
     * start, which for the first bucket may be before {@code from}. Every bucket has a point, empty or not, so a
     * chart needs no gap filling; so do the per-provider and per-tenant series.
     *
     * <p>The sums per bucket are done in SQL, over the coarsest rollups whose periods fall whole into the
     * buckets: every whole hour inside the range from the hourly rollups when the buckets are whole hours, whole
     * days from the daily rollups when they are whole days (per tenant: days have no all-tenants table), and only
     * the partial hours at the range's edges from the minute rollups. The tenants are ranked from the daily
     * rollups, with hours and minutes at the range's edges.
     */
    public MetricsSeries metrics(Instant from, Instant to, String tenant) throws SQLException {
        return metrics(from, to, tenant, true);
    }

    /** {@link #metrics(Instant, Instant, String)}; with {@code coarse} false from the minute rollups alone. */
    MetricsSeries metrics(Instant from, Instant to, String tenant, boolean coarse) throws SQLException {
        return metrics(from, to, tenant, coarse, bucketMillis(from, to));
    }

    /**
     * The series in buckets of {@code bucketMs} (a whole number of minutes), whatever the range: for tests of
     * widths the range rule does not reach with ranges of at most 31 days (6-hour and day buckets).
     */
    MetricsSeries metrics(Instant from, Instant to, String tenant, boolean coarse, long bucketMs)
            throws SQLException {
        if (bucketMs <= 0 || bucketMs % MINUTE_MS != 0) {
            throw new IllegalArgumentException("a bucket is a whole number of minutes: " + bucketMs);
        }
        long fromMinute = minuteOf(from.toEpochMilli());
        long toMs = to.toEpochMilli();
        // Minute rows count when they start before `to`: the same rows as those before `to` rounded up.
        long endMinute = -minuteOf(-toMs);
        long origin = bucketOrigin(fromMinute, bucketMs);
        int buckets = bucketCount(fromMinute, toMs, bucketMs);
        Points all = new Points(buckets, bucketMs);
        Map<String, Points> providers = new TreeMap<>();
        Rollups.Delta total = new Rollups.Delta();
        List<MetricsSeries.TenantSeries> byTenant = new ArrayList<>();
        // Per-tenant rows may also come from days; the all-tenants series stop at hours.
        List<Segment> tenantSegments = cover(fromMinute, endMinute,
                coarse ? seriesGrains(bucketMs, true) : List.of());
        List<Segment> series = tenant != null ? tenantSegments
                : cover(fromMinute, endMinute, coarse ? seriesGrains(bucketMs, false) : List.of());
        long started = System.nanoTime();
        try (Connection connection = reader.getConnection()) {
            for (Segment segment : series) {
                Rollups.Grain grain = segment.grain();
                // A bucket of one row's period has one row per provider already: summing would only cost.
                boolean sum = bucketMs != grain.ms;
                String sql = "SELECT " + bucketOf(grain, origin, bucketMs) + ", provider, "
                        + (sum ? Rollups.SUMS : Rollups.COLUMNS)
                        + (tenant == null
                           ? " FROM " + grain.allTable + " WHERE "
                           : " FROM " + grain.tenantTable + " WHERE tenant_id = ? AND ")
                        + grain.column + " >= ? AND " + grain.column + " < ?" + (sum ? " GROUP BY 1, 2" : "");
                try (PreparedStatement statement = connection.prepareStatement(sql)) {
                    int i = 0;
                    if (tenant != null) {
                        statement.setString(++i, tenant);
                    }
                    statement.setLong(++i, segment.fromMs());
                    statement.setLong(++i, segment.toMs());
                    try (ResultSet rs = statement.executeQuery()) {
                        // one row per bucket and provider
                        while (rs.next()) {
                            int index = rs.getInt(1);
                            String provider = rs.getString(2);
                            Rollups.Delta row = Rollups.Delta.read(rs, 3);
                            all.add(index, row);
                            total.add(row);
                            if (!provider.isEmpty()) {
                                providers.computeIfAbsent(provider, p -> new Points(buckets, bucketMs))
                                        .add(index, row);
                            }
                        }
                    }
                }
            }
            if (tenant != null) {
                byTenant.add(new MetricsSeries.TenantSeries(tenant, all.tenantPoints(origin)));
            } else {
                List<String> top = topTenants(connection, cover(fromMinute, endMinute,
                        coarse ? List.of(Rollups.Grain.DAY, Rollups.Grain.HOUR) : List.of()));
                byTenant.addAll(tenantSeries(connection, top, tenantSegments, origin, buckets, bucketMs));
            }
        }
        log.debug("event=metrics_read from={} to={} tenant={} bucket_ms={} segments={} ms={}", from, to, tenant,
                bucketMs, series, (System.nanoTime() - started) / 1_000_000);
        long[] c = total.counters;
        MetricsPoint totals = new MetricsPoint(null, c[Rollups.MESSAGES], c[Rollups.REPLIES],
                c[Rollups.REPLIES_POSTED], c[Rollups.MODEL_CALLS], c[Rollups.FAILURES], c[Rollups.FALLBACKS],
                c[Rollups.INPUT_TOKENS], c[Rollups.OUTPUT_TOKENS], round(total.costUsd), total.latency.latency(),
                c[Rollups.SYNC_ANSWERED], c[Rollups.SYNC_MISSED]);
        List<MetricsSeries.ProviderSeries> byProvider = new ArrayList<>();
        providers.forEach((name, points) ->
                byProvider.add(new MetricsSeries.ProviderSeries(name, points.providerPoints(origin))));
        return new MetricsSeries(from, to, tenant, all.metricsPoints(origin), totals, List.copyOf(byProvider),
                List.copyOf(byTenant));
    }

    /** Rows of one grain whose period starts in [fromMs, toMs). */
    record Segment(Rollups.Grain grain, long fromMs, long toMs) {
    }

    /**
     * The coarser grains (coarsest first) whose periods each fall whole into one bucket: with buckets aligned to
     * the clock, those whose period divides the bucket width. Day rows have no all-tenants table, so without
     * {@code perTenant} the series stop at hours.
     */
    static List<Rollups.Grain> seriesGrains(long bucketMs, boolean perTenant) {
        List<Rollups.Grain> grains = new ArrayList<>();
        for (Rollups.Grain grain : List.of(Rollups.Grain.DAY, Rollups.Grain.HOUR)) {
            if (bucketMs % grain.ms == 0 && (perTenant || grain.allTable != null)) {
                grains.add(grain);
            }
        }
        return List.copyOf(grains);
    }

    /**
     * Covers the minutes [from, to) with whole periods of {@code grains} (coarsest first) where they fit, and
     * finer ones at the edges; minutes fill what is left. In time order, without overlap.
     */
    static List<Segment> cover(long from, long to, List<Rollups.Grain> grains) {
        List<Segment> segments = new ArrayList<>();
        cover(from, to, grains, 0, segments);
        return segments;
    }

    private static void cover(long from, long to, List<Rollups.Grain> grains, int level, List<Segment> out) {
        if (from >= to) {
            return;
        }
        for (int g = level; g < grains.size(); g++) {
            Rollups.Grain grain = grains.get(g);
            long first = -Math.floorDiv(-from, grain.ms) * grain.ms;
            long last = Math.floorDiv(to, grain.ms) * grain.ms;
            if (first < last) {
                cover(from, first, grains, g + 1, out);
                out.add(new Segment(grain, first, last));
                cover(last, to, grains, g + 1, out);
                return;
            }
        }
        out.add(new Segment(Rollups.Grain.MINUTE, from, to));
    }

    /**
     * The bucket index of a row as SQL: integer arithmetic, the same on SQLite and PostgreSQL (rows start at or
     * after the range's first minute, itself at or after the first bucket's start, so division truncates as
     * floor does). Numbers, not client input.
     */
    private static String bucketOf(Rollups.Grain grain, long origin, long bucketMs) {
        return "(" + grain.column + " - " + origin + ") / " + bucketMs;
    }

    /** The ten tenants with the most messages over the segments, busiest first (then by id). */
    private static List<String> topTenants(Connection connection, List<Segment> segments) throws SQLException {
        List<String> top = new ArrayList<>();
        if (segments.isEmpty()) {
            return top;
        }
        List<String> parts = new ArrayList<>();
        for (Segment segment : segments) {
            Rollups.Grain grain = segment.grain();
            parts.add("SELECT tenant_id, SUM(messages) AS m FROM " + grain.tenantTable + " WHERE " + grain.column
                    + " >= ? AND " + grain.column + " < ? GROUP BY tenant_id");
        }
        try (PreparedStatement statement = connection.prepareStatement("SELECT tenant_id, SUM(m) AS m FROM ("
                + String.join(" UNION ALL ", parts) + ") parts GROUP BY tenant_id ORDER BY 2 DESC, tenant_id LIMIT "
                + TOP_TENANTS)) {
            int i = 0;
            for (Segment segment : segments) {
                statement.setLong(++i, segment.fromMs());
                statement.setLong(++i, segment.toMs());
            }
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    top.add(rs.getString(1));
                }
            }
        }
        return top;
    }

    /** The bucketed series of the given tenants, in their order, over the series' segments. */
    private static List<MetricsSeries.TenantSeries> tenantSeries(Connection connection, List<String> top,
                                                                 List<Segment> segments, long origin,
                                                                 int buckets, long bucketMs) throws SQLException {
        if (top.isEmpty()) {
            return List.of();
        }
        Map<String, long[]> messages = new HashMap<>();
        Map<String, long[]> replies = new HashMap<>();
        Map<String, double[]> costs = new HashMap<>();
        for (String t : top) {
            messages.put(t, new long[buckets]);
            replies.put(t, new long[buckets]);
            costs.put(t, new double[buckets]);
        }
        String placeholders = String.join(", ", java.util.Collections.nCopies(top.size(), "?"));
        for (Segment segment : segments) {
            Rollups.Grain grain = segment.grain();
            try (PreparedStatement statement = connection.prepareStatement("SELECT tenant_id, "
                    + bucketOf(grain, origin, bucketMs) + (bucketMs != grain.ms
                       ? ", SUM(messages), SUM(replies), SUM(cost_usd)" : ", messages, replies, cost_usd") + " FROM "
                    + grain.tenantTable + " WHERE tenant_id IN (" + placeholders + ") AND " + grain.column
                    + " >= ? AND " + grain.column + " < ?" + (bucketMs != grain.ms ? " GROUP BY 1, 2" : ""))) {
                int i = 0;
                for (String t : top) {
                    statement.setString(++i, t);
                }
                statement.setLong(++i, segment.fromMs());
                statement.setLong(++i, segment.toMs());
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        String t = rs.getString(1);
                        int index = rs.getInt(2);
                        messages.get(t)[index] += rs.getLong(3);
                        replies.get(t)[index] += rs.getLong(4);
                        costs.get(t)[index] += rs.getDouble(5);
                    }
                }
            }
        }
        List<MetricsSeries.TenantSeries> series = new ArrayList<>();
        for (String t : top) {
            List<MetricsSeries.TenantPoint> points = new ArrayList<>(buckets);
            for (int b = 0; b < buckets; b++) {
                points.add(new MetricsSeries.TenantPoint(Instant.ofEpochMilli(origin + b * bucketMs),
                        messages.get(t)[b], replies.get(t)[b], round(costs.get(t)[b])));
            }
            series.add(new MetricsSeries.TenantSeries(t, List.copyOf(points)));
        }
        return series;
    }

    /** One dense bucketed series under construction: per bucket the merged sums of its minutes. */
    private static final class Points {
        /** Per bucket its sums, null while no row has fallen into it. */
        final Rollups.Delta[] sums;
        final long bucketMs;

        Points(int buckets, long bucketMs) {
            sums = new Rollups.Delta[buckets];
            this.bucketMs = bucketMs;
        }

        /** Adds one rollup row to its bucket. */
        void add(int index, Rollups.Delta row) {
            if (sums[index] == null) {
                sums[index] = new Rollups.Delta();
            }
            sums[index].add(row);
        }

        private Latency latencyAt(int index) {
            return sums[index] != null ? sums[index].latency.latency() : Latency.NONE;
        }

        private long[] at(int index) {
            return sums[index] != null ? sums[index].counters : EMPTY;
        }

        private double costAt(int index) {
            return sums[index] != null ? sums[index].costUsd : 0;
        }

        List<MetricsPoint> metricsPoints(long origin) {
            List<MetricsPoint> points = new ArrayList<>(sums.length);
            for (int m = 0; m < sums.length; m++) {
                long[] c = at(m);
                points.add(new MetricsPoint(Instant.ofEpochMilli(origin + m * bucketMs), c[Rollups.MESSAGES],
                        c[Rollups.REPLIES], c[Rollups.REPLIES_POSTED], c[Rollups.MODEL_CALLS], c[Rollups.FAILURES],
                        c[Rollups.FALLBACKS], c[Rollups.INPUT_TOKENS], c[Rollups.OUTPUT_TOKENS], round(costAt(m)),
                        latencyAt(m), c[Rollups.SYNC_ANSWERED], c[Rollups.SYNC_MISSED]));
            }
            return List.copyOf(points);
        }

        List<MetricsSeries.ProviderPoint> providerPoints(long origin) {
            List<MetricsSeries.ProviderPoint> points = new ArrayList<>(sums.length);
            for (int m = 0; m < sums.length; m++) {
                long[] c = at(m);
                points.add(new MetricsSeries.ProviderPoint(Instant.ofEpochMilli(origin + m * bucketMs),
                        c[Rollups.MODEL_CALLS], c[Rollups.REPLIES], c[Rollups.FALLBACKS], round(costAt(m)),
                        latencyAt(m)));
            }
            return List.copyOf(points);
        }

        List<MetricsSeries.TenantPoint> tenantPoints(long origin) {
            List<MetricsSeries.TenantPoint> points = new ArrayList<>(sums.length);
            for (int m = 0; m < sums.length; m++) {
                long[] c = at(m);
                points.add(new MetricsSeries.TenantPoint(Instant.ofEpochMilli(origin + m * bucketMs),
                        c[Rollups.MESSAGES], c[Rollups.REPLIES], round(costAt(m))));
            }
            return List.copyOf(points);
        }

        private static final long[] EMPTY = new long[Rollups.COUNTERS.size()];
    }

    /** At most this many provider and model rows in a {@link QualityReport}, most checked answers first. */
    public static final int MAX_QUALITY_ROWS = 100;

    /**
     * The verification of the model's answers over the {@code range} up to {@code now}, in whole UTC hours: the
     * hour holding {@code now} and the hours before it, {@code range} long in all (24 hours for a day). Per
     * provider and model, of one tenant or (tenant null) all, from the verification rollups.
     */
    public QualityReport quality(Instant now, Duration range, String tenant) throws SQLException {
        long to = Rollups.Grain.HOUR.start(now.toEpochMilli()) + QualityRollups.HOUR_MS;
        long from = to - Math.max(QualityRollups.HOUR_MS, Rollups.Grain.HOUR.start(range.toMillis()));
        List<QualityStats> rows;
        try (Connection connection = reader.getConnection()) {
            rows = QualityRollups.read(connection, from, to, tenant);
        }
        QualityStats totals = new QualityStats(null, null, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        for (QualityStats row : rows) {
            totals = totals.plus(row);
        }
        // Most checked answers first; names break ties so the order is stable between refreshes.
        List<QualityStats> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparingLong(QualityStats::answers).reversed()
                .thenComparing(QualityStats::provider).thenComparing(QualityStats::model));
        boolean truncated = sorted.size() > MAX_QUALITY_ROWS;
        return new QualityReport(Instant.ofEpochMilli(from), Instant.ofEpochMilli(to), tenant,
                truncated ? sorted.subList(0, MAX_QUALITY_ROWS) : sorted, totals, truncated);
    }

    /**
     * Deletes what is older than each retention: raw events and audit rows by event time, rollups by minute.
     * Works through the oldest rows an hour of event time at a time, one short transaction each, so a large
     * backlog never holds the (SQLite: single) writer for long. Returns the rows deleted per table.
     */
    public Map<String, Long> purge(Duration raw, Duration audit, Duration rollups) throws SQLException {
        long now = clock.millis();
        Map<String, Long> deleted = new java.util.LinkedHashMap<>();
        deleted.put("telemetry_event", purge("telemetry_event", "at_ms", now - raw.toMillis()));
        deleted.put("reply_audit", purge("reply_audit", "at_ms", now - audit.toMillis()));
        deleted.put(Rollups.TENANT_TABLE, purge(Rollups.TENANT_TABLE, "minute_ms", now - rollups.toMillis()));
        deleted.put(Rollups.ALL_TABLE, purge(Rollups.ALL_TABLE, "minute_ms", now - rollups.toMillis()));
        long qualityCutoff = Rollups.Grain.HOUR.start(now - rollups.toMillis());
        deleted.put(QualityRollups.TENANT_TABLE, purge(QualityRollups.TENANT_TABLE, "hour_ms", qualityCutoff));
        deleted.put(QualityRollups.ALL_TABLE, purge(QualityRollups.ALL_TABLE, "hour_ms", qualityCutoff));
        for (Rollups.Grain grain : List.of(Rollups.Grain.HOUR, Rollups.Grain.DAY)) {
            // Only periods wholly older than the retention: a row never goes while some of its minutes stay.
            long cutoff = grain.start(now - rollups.toMillis());
            deleted.put(grain.tenantTable, purge(grain.tenantTable, grain.column, cutoff));
            if (grain.allTable != null) {
                deleted.put(grain.allTable, purge(grain.allTable, grain.column, cutoff));
            }
        }
        return deleted;
    }

    private long purge(String table, String column, long cutoff) throws SQLException {
        long deleted = 0;
        while (true) {
            // A connection per step: on SQLite the feed shares the one writer connection and waits for it.
            try (Connection connection = writer.getConnection()) {
                long oldest;
                try (PreparedStatement statement = connection.prepareStatement(
                        "SELECT MIN(" + column + ") FROM " + table + " WHERE " + column + " < ?")) {
                    statement.setLong(1, cutoff);
                    try (ResultSet rs = statement.executeQuery()) {
                        rs.next();
                        oldest = rs.getLong(1);
                        if (rs.wasNull()) {
                            return deleted;
                        }
                    }
                }
                try (PreparedStatement statement = connection.prepareStatement(
                        "DELETE FROM " + table + " WHERE " + column + " < ?")) {
                    statement.setLong(1, Math.min(cutoff, oldest + PURGE_STEP_MS));
                    deleted += statement.executeUpdate();
                }
            }
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
}
