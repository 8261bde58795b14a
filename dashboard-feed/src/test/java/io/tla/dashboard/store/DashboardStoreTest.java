package io.tla.dashboard.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.TelemetryEvent;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The store against both databases it supports. The PostgreSQL case needs the server on 127.0.0.1:5432 (CI
 * starts it) and fails when it is unreachable; each test gets its own schema, dropped afterwards.
 */
class DashboardStoreTest {

    static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    static final LocalDate DAY = LocalDate.of(2026, 11, 25);
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T15:30:00Z"), ZoneOffset.UTC);

    enum Backend { SQLITE, POSTGRESQL }

    @TempDir
    Path dir;

    private final List<DashboardStore> stores = new ArrayList<>();
    private final List<String> schemas = new ArrayList<>();

    @AfterEach
    void cleanUp() throws SQLException {
        stores.forEach(DashboardStore::close);
        for (String schema : schemas) {
            try (Connection c = DriverManager.getConnection(PG_URL); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    /** A fresh, migrated store: a new SQLite file in a directory that does not exist yet, or a new PG schema. */
    private DashboardStore store(Backend backend) throws SQLException {
        return open(url(backend));
    }

    private String url(Backend backend) throws SQLException {
        if (backend == Backend.SQLITE) {
            return "jdbc:sqlite:" + dir.resolve("not-yet/created/dashboard.db");
        }
        String schema = "dash_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(PG_URL); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        schemas.add(schema);
        return PG_URL + "&currentSchema=" + schema;
    }

    private DashboardStore open(String url) {
        DashboardStore store = DashboardStore.open(url, CLOCK);
        stores.add(store);
        store.migrate();
        return store;
    }

    static StoredEvent event(String id, String type, String tenant, String at, Map<String, Object> attributes) {
        return StoredEvent.from(new TelemetryEvent(id, type, tenant, "c-" + id, "m-" + id, Instant.parse(at), attributes));
    }

    static StoredEvent decision(String id, String tenant, String at, String decision) {
        return event(id, "budget.decision", tenant, at, Map.of("decision", decision, "estimatedCostUsd", 0.0,
                "spentTodayUsd", 0.0, "limitUsd", 5.0));
    }

    static StoredEvent modelCall(String id, String tenant, String at, double costUsd) {
        return event(id, "model.call", tenant, at, Map.of("provider", "offline", "model", "offline-echo",
                "outcome", "ok", "latencyMs", 0.4, "inputTokens", 12, "outputTokens", 14, "costUsd", costUsd));
    }

    static StoredEvent reply(String id, String tenant, String at, String kind, double endToEndMs) {
        return event(id, "reply.emitted", tenant, at, Map.of("replyId", "r-" + id, "kind", kind,
                "provider", "offline", "languages", "en", "endToEndMs", endToEndMs));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void appliesMigrationsOnceAndReopensAnExistingStore(Backend backend) throws SQLException {
        String url = url(backend);
        DashboardStore first = open(url);
        assertThat(first.insert(List.of(decision("e1", "t1", "2026-11-25T10:00:00Z", "allowed")))).isEqualTo(1);
        first.close();
        stores.remove(first);

        DashboardStore second = open(url);
        assertThat(second.kind().label()).isEqualTo(backend.name().toLowerCase());
        try (Connection c = second.writer().getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT version, success FROM " + DashboardStore.HISTORY_TABLE
                    + " WHERE version IS NOT NULL ORDER BY installed_rank")) {
                List<String> versions = new java.util.ArrayList<>();
                while (rs.next()) {
                    versions.add(rs.getString(1));
                    assertThat(rs.getBoolean(2)).as("migration " + rs.getString(1) + " succeeded").isTrue();
                }
                assertThat(versions).as("each migration applied once").startsWith("1").doesNotHaveDuplicates();
            }
            if (backend == Backend.SQLITE) {
                try (ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
                }
            }
        }
        assertThat(second.status(DAY).today().messages()).as("rows survive a reopen").isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void countsARedeliveredEventOnce(Backend backend) throws SQLException {
        DashboardStore store = store(backend);
        StoredEvent first = decision("budget.decision:t1:m1", "t1", "2026-11-25T10:00:00Z", "allowed");
        StoredEvent second = decision("budget.decision:t1:m2", "t1", "2026-11-25T10:01:00Z", "allowed");

        assertThat(store.insert(List.of(first))).isEqualTo(1);
        assertThat(store.insert(List.of(first))).as("re-delivered in a later batch").isZero();
        assertThat(store.insert(List.of(second, second, first))).as("repeated within one batch").isEqualTo(1);

        assertThat(store.status(DAY).today().messages()).isEqualTo(2);
        assertThat(store.status(DAY).tenants()).extracting(TenantTotals::messages).containsExactly(2L);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aggregatesTodayPerTenantWithCostAndLatencyPercentiles(Backend backend) throws SQLException {
        DashboardStore store = store(backend);
        store.insert(List.of(
                decision("d1", "t1", "2026-11-25T09:00:00Z", "allowed"),
                decision("d2", "t1", "2026-11-25T09:01:00Z", "allowed"),
                decision("d3", "t1", "2026-11-25T09:02:00Z", "refused"),
                decision("d4", "t2", "2026-11-25T09:03:00Z", "allowed"),
                modelCall("c1", "t1", "2026-11-25T09:00:01Z", 0.1),
                modelCall("c2", "t1", "2026-11-25T09:01:01Z", 0.2),
                modelCall("c3", "t2", "2026-11-25T09:03:01Z", 0.05),
                reply("r1", "t1", "2026-11-25T09:00:02Z", "translation", 10),
                reply("r2", "t1", "2026-11-25T09:01:02Z", "translation", 20),
                reply("r3", "t1", "2026-11-25T09:02:02Z", "budget-exceeded", 30),
                reply("r4", "t1", "2026-11-25T09:02:30Z", "failed", 40),
                reply("r5", "t2", "2026-11-25T09:03:02Z", "translation", 100),
                event("p1", "reply.posted", "t1", "2026-11-25T09:00:03Z", Map.of("replyId", "r1", "sink", "outbox")),
                event("p2", "reply.posted", "t2", "2026-11-25T09:03:03Z", Map.of("replyId", "r5", "sink", "outbox")),
                event("f1", "reply.failed", "t1", "2026-11-25T09:01:03Z", Map.of("replyId", "r2")),
                event("fb1", "model.fallback", "t1", "2026-11-25T09:01:01Z",
                        Map.of("from", "primary", "to", "backup", "reason", "timeout", "attempt", 1)),
                // Unknown types are stored but count nowhere, even with fields the queries read.
                event("u1", "audit.unknown", "t1", "2026-11-25T09:05:00Z", Map.of("costUsd", 99.0, "endToEndMs", 1.0)),
                event("u2", "audit.unknown", "t3", "2026-11-25T09:05:00Z", Map.of("decision", "refused"))));

        StatusSnapshot status = store.status(DAY);

        DayTotals today = status.today();
        assertThat(today.messages()).isEqualTo(4);
        assertThat(today.replies()).isEqualTo(5);
        assertThat(today.repliesPosted()).isEqualTo(2);
        assertThat(today.modelCalls()).isEqualTo(3);
        assertThat(today.budgetRefusals()).isEqualTo(1);
        assertThat(today.failures()).as("one failed reply plus one failed post").isEqualTo(2);
        assertThat(today.costUsd()).isEqualTo(0.35);
        // Nearest rank over 10, 20, 30, 40, 100: p50 is the 3rd value, p95 the 5th.
        assertThat(today.latencyMs()).isEqualTo(new Latency(30.0, 100.0));
        assertThat(status.tenants()).containsExactly(
                new TenantTotals("t1", 3, 4, 0.3),
                new TenantTotals("t2", 1, 1, 0.05));
        assertThat(status.lastEventAt()).isEqualTo(Instant.parse("2026-11-25T09:05:00Z"));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void leavesEventsOfOtherUtcDaysOutOfToday(Backend backend) throws SQLException {
        DashboardStore store = store(backend);
        assertThat(store.status(DAY).lastEventAt()).as("empty store").isNull();
        store.insert(List.of(
                decision("before", "t1", "2026-11-24T23:59:59.999Z", "allowed"),
                decision("first", "t1", "2026-11-25T00:00:00Z", "allowed"),
                decision("last", "t1", "2026-11-25T23:59:59.999Z", "allowed"),
                decision("after", "t1", "2026-11-26T00:00:00Z", "allowed"),
                reply("reply-before", "t1", "2026-11-24T12:00:00Z", "translation", 999)));

        StatusSnapshot today = store.status(DAY);
        assertThat(today.today().messages()).isEqualTo(2);
        assertThat(today.today().replies()).isZero();
        assertThat(today.today().latencyMs()).isEqualTo(Latency.NONE);
        assertThat(today.tenants()).containsExactly(new TenantTotals("t1", 2, 0, 0.0));
        assertThat(today.lastEventAt()).isEqualTo(Instant.parse("2026-11-26T00:00:00Z"));

        StatusSnapshot yesterday = store.status(DAY.minusDays(1));
        assertThat(yesterday.today().messages()).isEqualTo(1);
        assertThat(yesterday.today().latencyMs()).isEqualTo(new Latency(999.0, 999.0));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void bucketsMetricsPerMinuteWithEmptyMinutesAndTenantFilter(Backend backend) throws SQLException {
        DashboardStore store = store(backend);
        store.insert(List.of(
                decision("d1", "t1", "2026-11-25T15:00:10Z", "allowed"),
                decision("d2", "t1", "2026-11-25T15:00:50Z", "allowed"),
                modelCall("c1", "t1", "2026-11-25T15:00:20Z", 0.01),
                reply("r1", "t1", "2026-11-25T15:00:30Z", "translation", 5),
                reply("r2", "t1", "2026-11-25T15:00:40Z", "translation", 15),
                decision("d3", "t2", "2026-11-25T15:01:30Z", "allowed"),
                decision("d4", "t1", "2026-11-25T15:03:59.999Z", "allowed"),
                reply("r3", "t1", "2026-11-25T15:03:10Z", "translation", 50),
                decision("outside", "t1", "2026-11-25T15:04:00Z", "allowed")));
        Instant from = Instant.parse("2026-11-25T15:00:00Z");
        Instant to = Instant.parse("2026-11-25T15:04:00Z");

        MetricsSeries all = store.metrics(from, to, null);
        assertThat(all.series()).containsExactly(
                new MetricsPoint(from, 2, 2, 1, 0.01, new Latency(5.0, 15.0)),
                new MetricsPoint(Instant.parse("2026-11-25T15:01:00Z"), 1, 0, 0, 0.0, Latency.NONE),
                new MetricsPoint(Instant.parse("2026-11-25T15:02:00Z"), 0, 0, 0, 0.0, Latency.NONE),
                new MetricsPoint(Instant.parse("2026-11-25T15:03:00Z"), 1, 1, 0, 0.0, new Latency(50.0, 50.0)));
        assertThat(all.totals()).isEqualTo(new MetricsPoint(null, 4, 3, 1, 0.01, new Latency(15.0, 50.0)));

        MetricsSeries t2 = store.metrics(from, to, "t2");
        assertThat(t2.series()).extracting(MetricsPoint::messages).containsExactly(0L, 1L, 0L, 0L);
        assertThat(t2.totals().latencyMs()).isEqualTo(Latency.NONE);

        // A range starting mid-minute counts only what is inside it, in the bucket of that minute.
        MetricsSeries partial = store.metrics(Instant.parse("2026-11-25T15:00:35Z"), Instant.parse("2026-11-25T15:01:00Z"), null);
        assertThat(partial.series()).containsExactly(new MetricsPoint(from, 1, 1, 0, 0.0, new Latency(15.0, 15.0)));
    }
}
