package io.tla.dashboard.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rollups: what each event adds to its row, the upserts that add it, and reading rows back. The same
 * counters are kept per (tenant, minute, provider) in {@code minute_rollup} and per (minute, provider) over all
 * tenants in {@code minute_rollup_all}, and likewise per hour ({@code hour_rollup}, {@code hour_rollup_all},
 * migration V5) and per day and tenant ({@code day_rollup}), so long ranges read hours and days, not minutes.
 * Upserts add to a row ({@code ON CONFLICT DO UPDATE}), which is safe with several writers.
 */
final class Rollups {

    static final long MINUTE_MS = 60_000L;

    /** The integer counters, in column order. */
    static final List<String> COUNTERS = List.of("messages", "budget_refusals", "budget_alerts", "replies",
            "replies_posted", "replies_failed", "failures", "fallbacks", "model_calls", "input_tokens",
            "output_tokens", "posted_webhook_response", "posted_outbox", "posted_graph", "sync_answered",
            "sync_missed");
    static final int MESSAGES = 0;
    static final int BUDGET_REFUSALS = 1;
    static final int BUDGET_ALERTS = 2;
    static final int REPLIES = 3;
    static final int REPLIES_POSTED = 4;
    static final int REPLIES_FAILED = 5;
    static final int FAILURES = 6;
    static final int FALLBACKS = 7;
    static final int MODEL_CALLS = 8;
    static final int INPUT_TOKENS = 9;
    static final int OUTPUT_TOKENS = 10;
    // How a posted reply was delivered (migration V4): by its sink, and for sync-reply registrations whether
    // Teams' webhook call was answered with it.
    static final int POSTED_WEBHOOK_RESPONSE = 11;
    static final int POSTED_OUTBOX = 12;
    static final int POSTED_GRAPH = 13;
    static final int SYNC_ANSWERED = 14;
    static final int SYNC_MISSED = 15;
    /**
     * The counters migration V2 created. V3's backfill runs on such a schema, before V4 adds the delivery
     * counters, so it writes only these.
     */
    static final int V2_COUNTERS = 11;

    /** Every value column: the counters, cost_usd, then the histogram buckets. */
    static final List<String> VALUE_COLUMNS = valueColumns(COUNTERS.size());

    /** {@code SUM(c)} of every value column, for aggregating rows in SQL. */
    static final String SUMS = String.join(", ", VALUE_COLUMNS.stream().map(c -> "SUM(" + c + ")").toList());
    /** Every value column, for reading rows as they are. */
    static final String COLUMNS = String.join(", ", VALUE_COLUMNS);

    static final String TENANT_TABLE = Grain.MINUTE.tenantTable;
    static final String ALL_TABLE = Grain.MINUTE.allTable;

    /**
     * The grains the rollups are kept at, each a UTC period starting at epoch multiples of its length: a table
     * per tenant and, for minutes and hours, one over all tenants (days are only read per tenant, to rank them).
     */
    enum Grain {
        MINUTE(MINUTE_MS, "minute_rollup", "minute_rollup_all", "minute_ms"),
        HOUR(60 * MINUTE_MS, "hour_rollup", "hour_rollup_all", "hour_ms"),
        DAY(1_440 * MINUTE_MS, "day_rollup", null, "day_ms");

        final long ms;
        final String tenantTable;
        final String allTable;
        /** The column holding the period's start (epoch millis). */
        final String column;

        Grain(long ms, String tenantTable, String allTable, String column) {
            this.ms = ms;
            this.tenantTable = tenantTable;
            this.allTable = allTable;
            this.column = column;
        }

        long start(long epochMillis) {
            return Math.floorDiv(epochMillis, ms) * ms;
        }

        List<String> tenantKey() {
            return List.of("tenant_id", column, "provider");
        }

        List<String> allKey() {
            return List.of(column, "provider");
        }
    }

    /** The upserts of the current schema, built once. */
    private static final Map<String, String> UPSERTS = new ConcurrentHashMap<>();

    private Rollups() {
    }

    /** The value columns of a schema with the first {@code counters} counters. */
    private static List<String> valueColumns(int counters) {
        List<String> columns = new ArrayList<>(COUNTERS.subList(0, counters));
        columns.add("cost_usd");
        for (int i = 0; i < LatencyHistogram.BUCKETS; i++) {
            columns.add(LatencyHistogram.column(i));
        }
        return List.copyOf(columns);
    }

    private static String upsert(String table, List<String> key, int counters) {
        if (counters == COUNTERS.size()) {
            return UPSERTS.computeIfAbsent(table, t -> buildUpsert(t, key, counters));
        }
        return buildUpsert(table, key, counters);
    }

    private static String buildUpsert(String table, List<String> key, int counters) {
        List<String> values = valueColumns(counters);
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(table).append(" (")
                .append(String.join(", ", key)).append(", ").append(String.join(", ", values)).append(") VALUES (")
                .append("?, ".repeat(key.size() + values.size() - 1)).append("?) ON CONFLICT (")
                .append(String.join(", ", key)).append(") DO UPDATE SET ");
        List<String> sets = new ArrayList<>();
        for (String c : values) {
            if (c.startsWith("l")) {
                // Buckets are NULL until used: NULL + n is NULL, so take whichever side has a value.
                sets.add(c + " = COALESCE(" + table + "." + c + " + excluded." + c + ", " + table + "." + c
                        + ", excluded." + c + ")");
            } else {
                sets.add(c + " = " + table + "." + c + " + excluded." + c);
            }
        }
        return sql.append(String.join(", ", sets)).toString();
    }

    /** What a set of events adds to one row (or, read back, what rows hold). */
    static final class Delta {
        final long[] counters = new long[COUNTERS.size()];
        double costUsd;
        final LatencyHistogram latency = new LatencyHistogram();

        void add(Delta other) {
            for (int i = 0; i < counters.length; i++) {
                counters[i] += other.counters[i];
            }
            costUsd += other.costUsd;
            latency.addAll(other.latency);
        }

        /** Reads the value columns starting at {@code column} (1-based), in {@link #VALUE_COLUMNS} order. */
        static Delta read(ResultSet rs, int column) throws SQLException {
            Delta delta = new Delta();
            int i = column;
            for (int c = 0; c < delta.counters.length; c++) {
                delta.counters[c] = rs.getLong(i++);
            }
            delta.costUsd = rs.getDouble(i++);
            for (int b = 0; b < LatencyHistogram.BUCKETS; b++) {
                // getLong reads NULL (a bucket never used) as 0.
                delta.latency.add(b, rs.getLong(i++));
            }
            return delta;
        }
    }

    /** A rollup row's key; ordered, so concurrent writers lock rows in the same order and cannot deadlock. */
    record Key(String tenantId, long startMs, String provider) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = tenantId.compareTo(o.tenantId);
            if (c == 0) {
                c = Long.compare(startMs, o.startMs);
            }
            return c != 0 ? c : provider.compareTo(o.provider);
        }
    }

    /**
     * The deltas of a batch of newly stored events, per grain: per tenant row and per all-tenants row. The
     * current schema writes every grain; the backfills of migrations before V5 write only the minutes.
     */
    static final class Batch {
        private final int counters;
        private final List<Grain> grains;
        private final Map<Grain, Map<Key, Delta>> tenants = new EnumMap<>(Grain.class);
        private final Map<Grain, Map<Key, Delta>> all = new EnumMap<>(Grain.class);

        /** A batch for the current schema. */
        Batch() {
            this(COUNTERS.size(), List.of(Grain.values()));
        }

        private Batch(int counters, List<Grain> grains) {
            this.counters = counters;
            this.grains = grains;
            for (Grain grain : grains) {
                tenants.put(grain, new TreeMap<>());
                all.put(grain, new TreeMap<>());
            }
        }

        /** A batch that writes only the minute rollups with migration V2's counters (for V3's backfill). */
        static Batch v2Schema() {
            return new Batch(V2_COUNTERS, List.of(Grain.MINUTE));
        }

        /** A batch that writes only the minute rollups, all counters (for V4.1's backfill, before V5). */
        static Batch v4Schema() {
            return new Batch(COUNTERS.size(), List.of(Grain.MINUTE));
        }

        /** Adds an event's contribution; events of types nothing counts add no row. */
        void add(StoredEvent event) {
            add(event, contribution(event));
        }

        /**
         * Adds only how a posted reply was delivered (for V4.1's backfill: the event's other counters are in
         * its row already); other events add nothing.
         */
        void addDelivery(StoredEvent event) {
            add(event, DashboardStore.REPLY_POSTED.equals(event.type()) ? delivery(event, new Delta()) : null);
        }

        private void add(StoredEvent event, Delta d) {
            if (d == null) {
                return;
            }
            String provider = event.rollupProvider();
            for (Grain grain : grains) {
                long start = grain.start(event.atMillis());
                tenants.get(grain).computeIfAbsent(new Key(event.tenantId(), start, provider), k -> new Delta())
                        .add(d);
                if (grain.allTable != null) {
                    all.get(grain).computeIfAbsent(new Key("", start, provider), k -> new Delta()).add(d);
                }
            }
        }

        boolean isEmpty() {
            return tenants.get(Grain.MINUTE).isEmpty();
        }

        void write(Connection connection) throws SQLException {
            if (isEmpty()) {
                return;
            }
            // Always the same table order (finest first), so concurrent writers cannot deadlock across tables.
            for (Grain grain : grains) {
                write(connection, upsert(grain.tenantTable, grain.tenantKey(), counters), tenants.get(grain), true);
                if (grain.allTable != null) {
                    write(connection, upsert(grain.allTable, grain.allKey(), counters), all.get(grain), false);
                }
            }
        }

        private void write(Connection connection, String upsert, Map<Key, Delta> rows, boolean perTenant)
                throws SQLException {
            try (PreparedStatement statement = connection.prepareStatement(upsert)) {
                for (Map.Entry<Key, Delta> e : rows.entrySet()) {
                    int i = 0;
                    if (perTenant) {
                        statement.setString(++i, e.getKey().tenantId());
                    }
                    statement.setLong(++i, e.getKey().startMs());
                    statement.setString(++i, e.getKey().provider());
                    bindValues(statement, i + 1, e.getValue());
                    statement.addBatch();
                }
                statement.executeBatch();
            }
        }

        private void bindValues(PreparedStatement statement, int first, Delta d) throws SQLException {
            int i = first;
            for (int c = 0; c < counters; c++) {
                statement.setLong(i++, d.counters[c]);
            }
            statement.setDouble(i++, d.costUsd);
            for (int b = 0; b < LatencyHistogram.BUCKETS; b++) {
                long count = d.latency.count(b);
                if (count == 0) {
                    statement.setNull(i++, Types.BIGINT);
                } else {
                    statement.setLong(i++, count);
                }
            }
        }
    }

    /** What one event adds to its row; null for types no counter counts. */
    static Delta contribution(StoredEvent event) {
        Delta d = new Delta();
        long[] c = d.counters;
        switch (event.type()) {
            case DashboardStore.BUDGET_DECISION -> {
                c[MESSAGES] = 1;
                c[BUDGET_REFUSALS] = "refused".equals(event.decision()) ? 1 : 0;
            }
            case DashboardStore.BUDGET_THRESHOLD -> c[BUDGET_ALERTS] = 1;
            case DashboardStore.REPLY_EMITTED -> {
                c[REPLIES] = 1;
                c[FAILURES] = "failed".equals(event.kind()) ? 1 : 0;
                if (event.endToEndMs() != null) {
                    d.latency.record(event.endToEndMs());
                }
            }
            case DashboardStore.REPLY_POSTED -> {
                c[REPLIES_POSTED] = 1;
                delivery(event, d);
            }
            case DashboardStore.REPLY_FAILED -> {
                c[REPLIES_FAILED] = 1;
                c[FAILURES] = 1;
            }
            case DashboardStore.MODEL_FALLBACK -> c[FALLBACKS] = 1;
            case DashboardStore.MODEL_CALL -> {
                c[MODEL_CALLS] = 1;
                c[INPUT_TOKENS] = event.inputTokens() != null ? event.inputTokens() : 0;
                c[OUTPUT_TOKENS] = event.outputTokens() != null ? event.outputTokens() : 0;
                d.costUsd = event.costUsd() != null ? event.costUsd() : 0;
            }
            default -> {
                return null;
            }
        }
        return d;
    }

    /**
     * Adds to {@code d} how a {@code reply.posted} event was delivered: one of the path counters by its
     * {@code sink}, and for a sync-reply registration's reply, answered or missed. Values this store does not
     * know count in neither (the post still counts in replies_posted).
     */
    static Delta delivery(StoredEvent event, Delta d) {
        long[] c = d.counters;
        if (event.sink() != null) {
            switch (event.sink()) {
                case StoredEvent.SINK_WEBHOOK_RESPONSE -> c[POSTED_WEBHOOK_RESPONSE]++;
                case StoredEvent.SINK_OUTBOX -> c[POSTED_OUTBOX]++;
                case StoredEvent.SINK_GRAPH -> c[POSTED_GRAPH]++;
                default -> {
                }
            }
        }
        if (StoredEvent.SYNC_ANSWERED.equals(event.syncReply())) {
            c[SYNC_ANSWERED]++;
        } else if (StoredEvent.SYNC_MISSED.equals(event.syncReply())) {
            c[SYNC_MISSED]++;
        }
        return d;
    }
}
