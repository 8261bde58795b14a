package io.tla.dashboard.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The per-minute rollups: what each event adds to its row, the upserts that add it, and reading rows back.
 * Two tables hold the same counters: {@code minute_rollup} per (tenant, minute, provider) and
 * {@code minute_rollup_all} per (minute, provider) over all tenants, so the all-tenants views read one row per
 * minute and provider. Upserts add to a row ({@code ON CONFLICT DO UPDATE}), which is safe with several writers.
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

    static final String TENANT_TABLE = "minute_rollup";
    static final String ALL_TABLE = "minute_rollup_all";

    private static final List<String> TENANT_KEY = List.of("tenant_id", "minute_ms", "provider");
    private static final List<String> ALL_KEY = List.of("minute_ms", "provider");
    private static final String UPSERT_TENANT = upsert(TENANT_TABLE, TENANT_KEY, COUNTERS.size());
    private static final String UPSERT_ALL = upsert(ALL_TABLE, ALL_KEY, COUNTERS.size());

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
    record Key(String tenantId, long minuteMs, String provider) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = tenantId.compareTo(o.tenantId);
            if (c == 0) {
                c = Long.compare(minuteMs, o.minuteMs);
            }
            return c != 0 ? c : provider.compareTo(o.provider);
        }
    }

    /** The deltas of a batch of newly stored events, per tenant row and per all-tenants row. */
    static final class Batch {
        final Map<Key, Delta> tenants = new TreeMap<>();
        final Map<Key, Delta> all = new TreeMap<>();
        private final int counters;
        private final String upsertTenant;
        private final String upsertAll;

        /** A batch for the current schema. */
        Batch() {
            this(COUNTERS.size(), UPSERT_TENANT, UPSERT_ALL);
        }

        private Batch(int counters, String upsertTenant, String upsertAll) {
            this.counters = counters;
            this.upsertTenant = upsertTenant;
            this.upsertAll = upsertAll;
        }

        /** A batch that writes only the counters of migration V2's schema (for V3's backfill). */
        static Batch v2Schema() {
            return new Batch(V2_COUNTERS, upsert(TENANT_TABLE, TENANT_KEY, V2_COUNTERS),
                    upsert(ALL_TABLE, ALL_KEY, V2_COUNTERS));
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
            long minute = Math.floorDiv(event.atMillis(), MINUTE_MS) * MINUTE_MS;
            String provider = event.rollupProvider();
            tenants.computeIfAbsent(new Key(event.tenantId(), minute, provider), k -> new Delta()).add(d);
            all.computeIfAbsent(new Key("", minute, provider), k -> new Delta()).add(d);
        }

        boolean isEmpty() {
            return tenants.isEmpty();
        }

        void write(Connection connection) throws SQLException {
            if (isEmpty()) {
                return;
            }
            try (PreparedStatement statement = connection.prepareStatement(upsertTenant)) {
                for (Map.Entry<Key, Delta> e : tenants.entrySet()) {
                    statement.setString(1, e.getKey().tenantId());
                    statement.setLong(2, e.getKey().minuteMs());
                    statement.setString(3, e.getKey().provider());
                    bindValues(statement, 4, e.getValue());
                    statement.addBatch();
                }
                statement.executeBatch();
            }
            try (PreparedStatement statement = connection.prepareStatement(upsertAll)) {
                for (Map.Entry<Key, Delta> e : all.entrySet()) {
                    statement.setLong(1, e.getKey().minuteMs());
                    statement.setString(2, e.getKey().provider());
                    bindValues(statement, 3, e.getValue());
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
