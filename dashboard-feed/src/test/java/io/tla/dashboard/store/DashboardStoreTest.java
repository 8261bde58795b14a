package io.tla.dashboard.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.TelemetryEvent;
import java.nio.file.Path;
import java.sql.Connection;
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
import io.tla.dashboard.store.TestStores.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The store against both databases it supports. The PostgreSQL case needs the server on 127.0.0.1:5432 (CI
 * starts it) and fails when it is unreachable; each test gets its own schema, dropped afterwards.
 */
class DashboardStoreTest {

    static final LocalDate DAY = LocalDate.of(2026, 11, 25);
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T15:30:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private TestStores stores;

    @BeforeEach
    void stores() {
        stores = new TestStores(dir, "dash_");
    }

    @AfterEach
    void cleanUp() throws SQLException {
        stores.close();
    }

    /** A fresh, migrated store: a new SQLite file in a directory that does not exist yet, or a new PG schema. */
    private DashboardStore store(Backend backend) throws SQLException {
        return open(url(backend));
    }

    private String url(Backend backend) throws SQLException {
        return stores.url(backend, "not-yet/created/dashboard.db");
    }

    @org.junit.jupiter.api.Test
    void longRangesComeBackInCoarserBucketsOfAtMostMaxPoints() throws Exception {
        DashboardStore store = store(Backend.SQLITE);
        Instant to = Instant.parse("2026-11-25T12:00:00Z");
        MetricsSeries day = store.metrics(to.minus(java.time.Duration.ofDays(1)), to, null);
        MetricsSeries month = store.metrics(to.minus(java.time.Duration.ofDays(30)), to, null);
        MetricsSeries longest = store.metrics(to.minus(java.time.Duration.ofDays(31)), to, null);

        assertThat(DashboardStore.bucketMillis(to.minus(java.time.Duration.ofDays(1)), to)).isEqualTo(60_000);
        assertThat(day.series()).hasSize(1_440);
        assertThat(DashboardStore.bucketMillis(to.minus(java.time.Duration.ofDays(30)), to)).isEqualTo(3_600_000);
        assertThat(month.series()).hasSize(720);
        assertThat(month.series().get(1).minute()).isEqualTo(month.series().get(0).minute().plusSeconds(3_600));
        assertThat(longest.series().size()).isLessThanOrEqualTo(DashboardStore.MAX_POINTS);
    }

    @org.junit.jupiter.api.Test
    void sqliteFileTheStoreCreatesIsTheOwnersAlone() throws Exception {
        store(Backend.SQLITE);
        Path file = dir.resolve("not-yet/created/dashboard.db");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    private DashboardStore open(String url) {
        return stores.open(url, CLOCK);
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
        stores.close(first);

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
                assertThat(versions).as("every migration, in order, each applied once")
                        .containsExactly("1", "2", "2.1", "3", "4", "4.1", "5", "5.1", "6", "6.1");
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
                event("bt1", "budget.threshold", "t2", "2026-11-25T09:03:04Z", Map.of("ratio", 0.8)),
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
        assertThat(today.fallbacks()).isEqualTo(1);
        assertThat(today.repliesFailed()).isEqualTo(1);
        assertThat(today.budgetAlerts()).isEqualTo(1);
        // Nearest rank over 10, 20, 30, 40, 100: p50 is the 3rd value, p95 and p99 the 5th, within the bound.
        assertLatency(today.latencyMs(), 30, 100, 100);
        assertThat(status.tenants()).containsExactly(
                new TenantTotals("t1", 3, 4, 0.3),
                new TenantTotals("t2", 1, 1, 0.05));
        assertThat(status.lastEventAt()).isEqualTo(Instant.parse("2026-11-25T09:05:00Z"));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aConfirmationOfALanguageCommandCountsAsAReplyButNotAsAMessageOrAFailure(Backend backend) throws SQLException {
        DashboardStore store = store(backend);
        // a command is answered before the budget guard: no budget.decision, no model call
        store.insert(List.of(
                reply("c1", "t1", "2026-11-25T09:00:02Z", "confirmation", 12),
                decision("d1", "t1", "2026-11-25T09:01:00Z", "allowed"),
                reply("r1", "t1", "2026-11-25T09:01:02Z", "translation", 20)));

        DayTotals today = store.status(DAY).today();
        assertThat(today.messages()).isEqualTo(1);
        assertThat(today.replies()).isEqualTo(2);
        assertThat(today.failures()).isZero();
        assertThat(today.budgetRefusals()).isZero();
        assertThat(store.status(DAY).tenants()).containsExactly(new TenantTotals("t1", 1, 2, 0.0));
    }

    static StoredEvent posted(String replyId, String tenant, String at, String sink, String syncReply) {
        Map<String, Object> attributes = new java.util.HashMap<>();
        attributes.put("replyId", replyId);
        attributes.put("sink", sink);
        if (syncReply != null) {
            attributes.put("syncReply", syncReply);
        }
        if ("webhook-response".equals(sink)) {
            attributes.put("registration", "sales");
            attributes.put("waitedMs", 1800);
        }
        return event("reply.posted:" + replyId, "reply.posted", tenant, at, attributes);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void countsEachPostedReplyOnceUnderItsDeliveryPathAndTheSyncReplyShare(Backend backend) throws SQLException {
        DashboardStore store = store(backend);
        StoredEvent answered = posted("r1", "t1", "2026-11-25T09:00:01Z", "webhook-response", "answered");
        store.insert(List.of(
                answered,
                posted("r2", "t1", "2026-11-25T09:00:02Z", "webhook-response", "answered"),
                posted("r3", "t2", "2026-11-25T09:01:00Z", "webhook-response", "answered"),
                // The deadline passed: the connector posted these later.
                posted("r4", "t1", "2026-11-25T09:00:09Z", "outbox", "missed"),
                posted("r5", "t2", "2026-11-25T09:02:00Z", "graph", "missed"),
                // Registrations without sync-reply.
                posted("r6", "t1", "2026-11-25T09:03:00Z", "outbox", null),
                posted("r7", "t2", "2026-11-25T09:03:00Z", "graph", null),
                posted("r8", "t2", "2026-11-25T09:03:30Z", "graph", null),
                // A sink this store does not know counts as posted, under no path.
                posted("r9", "t1", "2026-11-25T09:04:00Z", "carrier-pigeon", null),
                // A failed post names its sink too, but it was not delivered.
                event("reply.failed:r10", "reply.failed", "t1", "2026-11-25T09:04:00Z",
                        Map.of("replyId", "r10", "sink", "graph", "reason", "http-403")),
                posted("r0", "t1", "2026-11-24T23:59:59Z", "webhook-response", "answered")));
        assertThat(store.insert(List.of(answered, answered))).as("the same post delivered again").isZero();

        DayTotals today = store.status(DAY).today();
        assertThat(today.repliesPosted()).isEqualTo(9);
        assertThat(today.delivery()).isEqualTo(new Delivery(3, 2, 3, 3, 2));
        assertThat(today.delivery().answeredShare()).isEqualTo(0.6);
        assertThat(store.status(DAY.minusDays(1)).today().delivery()).isEqualTo(new Delivery(1, 0, 0, 1, 0));
        assertThat(store.status(DAY.plusDays(1)).today().delivery().answeredShare())
                .as("no sync-reply replies: no share").isNull();

        // The path is kept on each stored post, not only in the counters.
        assertThat(ids(store, "SELECT event_id || ' ' || sink || ' ' || COALESCE(sync_reply, '-') "
                + "FROM telemetry_event WHERE event_id IN ('reply.posted:r1', 'reply.posted:r5', "
                + "'reply.posted:r6', 'reply.failed:r10') ORDER BY event_id")).containsExactly(
                "reply.failed:r10 graph -", "reply.posted:r1 webhook-response answered",
                "reply.posted:r5 graph missed", "reply.posted:r6 outbox -");
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void seriesAnsweredInWebhookAgainstPostedLaterPerMinuteAndTenant(Backend backend) throws SQLException {
        DashboardStore store = store(backend);
        store.insert(List.of(
                posted("r1", "t1", "2026-11-25T15:00:01Z", "webhook-response", "answered"),
                posted("r2", "t2", "2026-11-25T15:00:30Z", "webhook-response", "answered"),
                posted("r3", "t1", "2026-11-25T15:00:40Z", "graph", "missed"),
                posted("r4", "t1", "2026-11-25T15:02:05Z", "outbox", "missed"),
                posted("r5", "t2", "2026-11-25T15:02:10Z", "outbox", null)));
        Instant from = Instant.parse("2026-11-25T15:00:00Z");
        Instant to = Instant.parse("2026-11-25T15:03:00Z");

        MetricsSeries all = store.metrics(from, to, null);
        assertThat(all.series()).extracting(MetricsPoint::answeredInWebhook).containsExactly(2L, 0L, 0L);
        assertThat(all.series()).extracting(MetricsPoint::postedLater).containsExactly(1L, 0L, 1L);
        assertThat(all.series()).extracting(MetricsPoint::repliesPosted).containsExactly(3L, 0L, 2L);
        assertThat(all.totals().answeredInWebhook()).isEqualTo(2);
        assertThat(all.totals().postedLater()).isEqualTo(2);

        MetricsSeries t1 = store.metrics(from, to, "t1");
        assertThat(t1.series()).extracting(MetricsPoint::answeredInWebhook).containsExactly(1L, 0L, 0L);
        assertThat(t1.series()).extracting(MetricsPoint::postedLater).containsExactly(1L, 0L, 1L);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void backfillsTheDeliveryPathOfPostsStoredBeforeItOnce(Backend backend) throws SQLException {
        String url = url(backend);
        // A store as the previous version left it: schema V3, raw rows and their rollups, no delivery columns.
        try (DashboardStore old = DashboardStore.open(url, CLOCK)) {
            org.flywaydb.core.Flyway.configure().dataSource(old.writer()).locations(DashboardStore.MIGRATIONS)
                    .table(DashboardStore.HISTORY_TABLE).javaMigrations(new V3__Backfill_rollups_and_audit())
                    .target("3").load().migrate();
            List<StoredEvent> events = List.of(
                    posted("r1", "t1", "2026-11-25T09:00:01Z", "webhook-response", "answered"),
                    posted("r2", "t1", "2026-11-25T09:00:09Z", "outbox", "missed"),
                    posted("r3", "t2", "2026-11-25T09:01:00Z", "graph", null),
                    decision("d1", "t1", "2026-11-25T09:00:00Z", "allowed"));
            try (Connection c = old.writer().getConnection()) {
                insertV1Rows(c, events);
                Rollups.Batch rollups = Rollups.Batch.v2Schema();
                events.forEach(rollups::add);
                rollups.write(c);
            }
        }

        DashboardStore store = open(url);
        DayTotals today = store.status(DAY).today();
        assertThat(today.repliesPosted()).isEqualTo(3);
        assertThat(today.messages()).isEqualTo(1);
        assertThat(today.delivery()).isEqualTo(new Delivery(1, 1, 1, 1, 1));
        assertThat(store.metrics(Instant.parse("2026-11-25T09:00:00Z"), Instant.parse("2026-11-25T09:02:00Z"), "t1")
                .series()).extracting(MetricsPoint::answeredInWebhook).containsExactly(1L, 0L);
        assertThat(ids(store, "SELECT sink FROM telemetry_event WHERE type = 'reply.posted' ORDER BY event_id"))
                .containsExactly("webhook-response", "outbox", "graph");
        // New posts after the upgrade count on top.
        store.insert(List.of(posted("r4", "t1", "2026-11-25T10:00:00Z", "webhook-response", "answered")));

        stores.close(store);
        DashboardStore reopened = open(url);
        assertThat(reopened.status(DAY).today().delivery()).as("the backfill ran once")
                .isEqualTo(new Delivery(2, 1, 1, 2, 1));
    }

    /** Raw rows as the versions before V4 wrote them: no extracted columns beyond the identity. */
    static void insertV1Rows(Connection connection, List<StoredEvent> events) throws SQLException {
        try (java.sql.PreparedStatement s = connection.prepareStatement(
                "INSERT INTO telemetry_event (event_id, type, tenant_id, conversation_id, message_id, at_ms, "
                        + "attributes, stored_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 0)")) {
            for (StoredEvent e : events) {
                s.setString(1, e.eventId());
                s.setString(2, e.type());
                s.setString(3, e.tenantId());
                s.setString(4, e.conversationId());
                s.setString(5, e.messageId());
                s.setLong(6, e.atMillis());
                s.setString(7, e.attributesJson());
                s.executeUpdate();
            }
        }
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
        assertLatency(yesterday.today().latencyMs(), 999, 999, 999);
    }

    static void assertLatency(Latency actual, double p50, double p95, double p99) {
        LatencyHistogramTest.assertWithinBound(actual.p50(), p50);
        LatencyHistogramTest.assertWithinBound(actual.p95(), p95);
        LatencyHistogramTest.assertWithinBound(actual.p99(), p99);
    }

    static MetricsPoint counts(MetricsPoint p) {
        // The counters only: latencies are compared with their bound separately.
        return new MetricsPoint(p.minute(), p.messages(), p.replies(), p.repliesPosted(), p.modelCalls(), p.failures(),
                p.fallbacks(), p.inputTokens(), p.outputTokens(), p.costUsd(), null, p.answeredInWebhook(),
                p.postedLater());
    }

    static MetricsPoint point(String minute, long messages, long replies, long modelCalls, double cost) {
        long in = modelCalls * 12;
        long out = modelCalls * 14;
        return new MetricsPoint(minute == null ? null : Instant.parse(minute), messages, replies, 0, modelCalls, 0, 0,
                in, out, cost, null, 0, 0);
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
        assertThat(all.series()).extracting(DashboardStoreTest::counts).containsExactly(
                point("2026-11-25T15:00:00Z", 2, 2, 1, 0.01),
                point("2026-11-25T15:01:00Z", 1, 0, 0, 0.0),
                point("2026-11-25T15:02:00Z", 0, 0, 0, 0.0),
                point("2026-11-25T15:03:00Z", 1, 1, 0, 0.0));
        assertLatency(all.series().get(0).latencyMs(), 5, 15, 15);
        assertThat(all.series().get(1).latencyMs()).isEqualTo(Latency.NONE);
        assertLatency(all.series().get(3).latencyMs(), 50, 50, 50);
        assertThat(counts(all.totals())).isEqualTo(point(null, 4, 3, 1, 0.01));
        assertLatency(all.totals().latencyMs(), 15, 50, 50);
        assertThat(all.byTenant()).extracting(MetricsSeries.TenantSeries::tenantId).containsExactly("t1", "t2");
        assertThat(all.byTenant().get(0).series()).extracting(MetricsSeries.TenantPoint::messages)
                .containsExactly(2L, 0L, 0L, 1L);
        assertThat(all.byProvider()).extracting(MetricsSeries.ProviderSeries::provider).containsExactly("offline");
        assertThat(all.byProvider().get(0).series()).extracting(MetricsSeries.ProviderPoint::replies)
                .containsExactly(2L, 0L, 0L, 1L);

        MetricsSeries t2 = store.metrics(from, to, "t2");
        assertThat(t2.series()).extracting(MetricsPoint::messages).containsExactly(0L, 1L, 0L, 0L);
        assertThat(t2.totals().latencyMs()).isEqualTo(Latency.NONE);
        assertThat(t2.byTenant()).singleElement().satisfies(t -> {
            assertThat(t.tenantId()).isEqualTo("t2");
            assertThat(t.series()).extracting(MetricsSeries.TenantPoint::messages).containsExactly(0L, 1L, 0L, 0L);
        });

        // Rollups are per minute: a range starting or ending mid-minute counts each minute it touches whole.
        MetricsSeries partial = store.metrics(Instant.parse("2026-11-25T15:00:35Z"), Instant.parse("2026-11-25T15:01:00Z"), null);
        assertThat(partial.series()).extracting(DashboardStoreTest::counts)
                .containsExactly(point("2026-11-25T15:00:00Z", 2, 2, 1, 0.01));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void countsARedeliveredEventOnceInTheRollupsAndTheAuditTrail(Backend backend) throws SQLException {
        DashboardStore store = store(backend);
        StoredEvent reply = audited("reply.emitted:t1:m1", "t1", "2026-11-25T10:00:00Z", "Guten Morgen");
        StoredEvent call = modelCall("model.call:t1:m1", "t1", "2026-11-25T10:00:00Z", 0.5);

        assertThat(store.insert(List.of(reply, call))).isEqualTo(2);
        assertThat(store.insert(List.of(reply, call))).as("re-delivered in a later batch").isZero();
        assertThat(store.insert(List.of(call, reply, reply))).as("repeated within one batch").isZero();

        try (Connection c = store.writer().getConnection(); Statement s = c.createStatement()) {
            for (String table : List.of("minute_rollup", "minute_rollup_all")) {
                try (ResultSet rs = s.executeQuery("SELECT SUM(replies), SUM(model_calls), SUM(cost_usd), "
                        + "SUM(input_tokens), COUNT(*) FROM " + table)) {
                    rs.next();
                    assertThat(rs.getLong(1)).as(table + " replies").isEqualTo(1);
                    assertThat(rs.getLong(2)).as(table + " model calls").isEqualTo(1);
                    assertThat(rs.getDouble(3)).as(table + " cost").isEqualTo(0.5);
                    assertThat(rs.getLong(4)).as(table + " input tokens").isEqualTo(12);
                    assertThat(rs.getLong(5)).as(table + ": a row for the reply's provider, one for the call's").isEqualTo(2);
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM reply_audit")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(1);
            }
        }
        assertThat(store.status(DAY).today().replies()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void keepsTheAuditRowWithTheTextHashButNeverTheText(Backend backend) throws SQLException {
        DashboardStore store = store(backend);
        String text = "Bitte das Angebot bis Freitag schicken";
        store.insert(List.of(audited("reply.emitted:t1:m9", "t1", "2026-11-25T11:00:00.250Z", text)));

        try (Connection c = store.writer().getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT * FROM reply_audit")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString("event_id")).isEqualTo("reply.emitted:t1:m9");
                assertThat(rs.getLong("at_ms")).isEqualTo(Instant.parse("2026-11-25T11:00:00.250Z").toEpochMilli());
                assertThat(rs.getString("tenant_id")).isEqualTo("t1");
                assertThat(rs.getString("conversation_id")).isEqualTo("c-reply.emitted:t1:m9");
                assertThat(rs.getString("message_id")).isEqualTo("m-reply.emitted:t1:m9");
                assertThat(rs.getString("reply_id")).isEqualTo("r-m9");
                assertThat(rs.getString("sender_id")).isEqualTo("user-42");
                assertThat(rs.getString("source_language")).isEqualTo("de");
                assertThat(rs.getString("target_languages")).isEqualTo("en,fr");
                assertThat(rs.getString("kind")).isEqualTo("translation");
                assertThat(rs.getString("provider")).isEqualTo("openai");
                assertThat(rs.getString("model")).isEqualTo("gpt-4o-mini");
                assertThat(rs.getLong("input_tokens")).isEqualTo(120);
                assertThat(rs.getLong("output_tokens")).isEqualTo(140);
                assertThat(rs.getDouble("cost_usd")).isEqualTo(0.0021);
                assertThat(rs.getString("text_sha256")).isEqualTo(sha256(text));
                int columns = rs.getMetaData().getColumnCount();
                for (int i = 1; i <= columns; i++) {
                    assertThat(rs.getString(i)).as(rs.getMetaData().getColumnName(i)).doesNotContain("Angebot");
                }
                assertThat(rs.next()).isFalse();
            }
            try (ResultSet rs = s.executeQuery("SELECT attributes FROM telemetry_event")) {
                rs.next();
                assertThat(rs.getString(1)).doesNotContain("Angebot").contains(sha256(text));
            }
        }
    }

    static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A reply.emitted as the pipeline now sends it: the audit attributes, and (wrongly) the text as well. */
    static StoredEvent audited(String id, String tenant, String at, String text) {
        String messageId = id.substring(id.lastIndexOf(':') + 1);
        Map<String, Object> attributes = new java.util.HashMap<>();
        attributes.put("replyId", "r-" + messageId);
        attributes.put("kind", "translation");
        attributes.put("provider", "openai");
        attributes.put("model", "gpt-4o-mini");
        attributes.put("languages", "en,fr");
        attributes.put("sourceLanguage", "de");
        attributes.put("senderId", "user-42");
        attributes.put("textSha256", sha256(text));
        attributes.put("inputTokens", 120);
        attributes.put("outputTokens", 140);
        attributes.put("costUsd", 0.0021);
        attributes.put("endToEndMs", 80.0);
        attributes.put("text", text);
        return event(id, "reply.emitted", tenant, at, attributes);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void rollupSumsMatchTheRawEventsAndPercentilesStayWithinTheBound(Backend backend) throws SQLException {
        DashboardStore store = store(backend);
        java.util.Random random = new java.util.Random(42);
        List<StoredEvent> events = new ArrayList<>();
        String[] types = {"budget.decision", "budget.threshold", "reply.emitted", "reply.posted", "reply.failed",
                "model.fallback", "model.call", "context.retrieved"};
        String[] providers = {"openai", "azure", "offline"};
        long start = Instant.parse("2026-11-25T09:00:00Z").toEpochMilli();
        for (int i = 0; i < 3_000; i++) {
            String type = types[random.nextInt(types.length)];
            String tenant = "t" + random.nextInt(13);
            String at = Instant.ofEpochMilli(start + random.nextInt(30 * 60_000)).toString();
            String provider = providers[random.nextInt(providers.length)];
            Map<String, Object> attributes = switch (type) {
                case "budget.decision" -> Map.of("decision", random.nextInt(10) == 0 ? "refused" : "allowed");
                case "reply.emitted" -> Map.of("kind", random.nextInt(10) == 0 ? "failed" : "translation",
                        "provider", provider, "endToEndMs", Math.exp(Math.log(300) + random.nextGaussian()));
                case "model.call" -> Map.of("provider", provider, "costUsd", random.nextInt(1000) / 1e5,
                        "inputTokens", random.nextInt(500), "outputTokens", random.nextInt(500));
                case "model.fallback" -> Map.of("from", provider, "to", "offline", "reason", "http-503");
                case "reply.posted" -> random.nextBoolean()
                        ? Map.of("sink", "webhook-response", "syncReply", "answered")
                        : Map.of("sink", random.nextBoolean() ? "outbox" : "graph", "syncReply", "missed");
                default -> Map.of();
            };
            events.add(event("e" + i, type, tenant, at, attributes));
        }
        // Batches of various sizes, with a tenth of the events delivered again.
        List<StoredEvent> deliveries = new ArrayList<>(events);
        for (int i = 0; i < 300; i++) {
            deliveries.add(random.nextInt(deliveries.size()), events.get(random.nextInt(events.size())));
        }
        for (int i = 0; i < deliveries.size(); ) {
            int size = 1 + random.nextInt(200);
            store.insert(deliveries.subList(i, Math.min(deliveries.size(), i + size)));
            i += size;
        }

        Instant from = Instant.parse("2026-11-25T09:00:00Z");
        Instant to = Instant.parse("2026-11-25T09:30:00Z");
        MetricsSeries metrics = store.metrics(from, to, null);
        MetricsPoint totals = metrics.totals();
        assertThat(totals.messages()).isEqualTo(count(events, "budget.decision"));
        assertThat(totals.replies()).isEqualTo(count(events, "reply.emitted"));
        assertThat(totals.repliesPosted()).isEqualTo(count(events, "reply.posted"));
        assertThat(totals.modelCalls()).isEqualTo(count(events, "model.call"));
        assertThat(totals.fallbacks()).isEqualTo(count(events, "model.fallback"));
        assertThat(totals.failures()).isEqualTo(count(events, "reply.failed") + events.stream()
                .filter(e -> e.type().equals("reply.emitted") && "failed".equals(e.kind())).count());
        assertThat(totals.inputTokens()).isEqualTo(events.stream().filter(e -> e.type().equals("model.call"))
                .mapToLong(StoredEvent::inputTokens).sum());
        assertThat(totals.outputTokens()).isEqualTo(events.stream().filter(e -> e.type().equals("model.call"))
                .mapToLong(StoredEvent::outputTokens).sum());
        assertThat(totals.costUsd()).isCloseTo(events.stream().filter(e -> e.type().equals("model.call"))
                .mapToDouble(StoredEvent::costUsd).sum(), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(metrics.series()).hasSize(30);
        assertThat(metrics.series().stream().mapToLong(MetricsPoint::messages).sum()).isEqualTo(totals.messages());
        long answered = events.stream().filter(e -> "answered".equals(e.syncReply())).count();
        assertThat(totals.answeredInWebhook()).isEqualTo(answered);
        assertThat(totals.postedLater()).isEqualTo(count(events, "reply.posted") - answered);

        double[] latencies = events.stream().filter(e -> e.type().equals("reply.emitted"))
                .mapToDouble(StoredEvent::endToEndMs).toArray();
        Latency exact = Percentiles.of(latencies, latencies.length);
        assertLatency(totals.latencyMs(), exact.p50(), exact.p95(), exact.p99());

        // Per tenant and per provider, the rollups agree with the raw rows.
        assertThat(metrics.byTenant()).hasSize(DashboardStore.TOP_TENANTS);
        for (MetricsSeries.TenantSeries tenant : metrics.byTenant()) {
            long raw = events.stream().filter(e -> e.type().equals("budget.decision")
                    && e.tenantId().equals(tenant.tenantId())).count();
            assertThat(tenant.series().stream().mapToLong(MetricsSeries.TenantPoint::messages).sum())
                    .as(tenant.tenantId()).isEqualTo(raw);
            MetricsSeries one = store.metrics(from, to, tenant.tenantId());
            assertThat(one.totals().messages()).isEqualTo(raw);
        }
        List<Long> ranked = metrics.byTenant().stream()
                .map(t -> t.series().stream().mapToLong(MetricsSeries.TenantPoint::messages).sum()).toList();
        assertThat(ranked).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        assertThat(metrics.byProvider()).extracting(MetricsSeries.ProviderSeries::provider)
                .containsExactly("azure", "offline", "openai");
        for (MetricsSeries.ProviderSeries provider : metrics.byProvider()) {
            long calls = events.stream().filter(e -> e.type().equals("model.call")
                    && e.provider().equals(provider.provider())).count();
            long fallbacks = events.stream().filter(e -> e.type().equals("model.fallback")
                    && e.provider().equals(provider.provider())).count();
            assertThat(provider.series().stream().mapToLong(MetricsSeries.ProviderPoint::modelCalls).sum())
                    .isEqualTo(calls);
            assertThat(provider.series().stream().mapToLong(MetricsSeries.ProviderPoint::fallbacks).sum())
                    .isEqualTo(fallbacks);
        }
        DayTotals today = store.status(DAY).today();
        assertThat(today.delivery().webhookResponse() + today.delivery().outbox() + today.delivery().graph())
                .isEqualTo(count(events, "reply.posted"));
        assertThat(today.delivery().webhookResponse()).isEqualTo(answered);
        assertThat(today.budgetAlerts()).isEqualTo(count(events, "budget.threshold"));
        assertThat(today.repliesFailed()).isEqualTo(count(events, "reply.failed"));
        assertThat(today.budgetRefusals()).isEqualTo(events.stream()
                .filter(e -> e.type().equals("budget.decision") && "refused".equals(e.decision())).count());
    }

    static long count(List<StoredEvent> events, String type) {
        return events.stream().filter(e -> e.type().equals(type)).count();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void purgesOnlyRowsOlderThanEachRetention(Backend backend) throws SQLException {
        DashboardStore store = store(backend);
        // The clock is 2026-11-25T15:30Z; retention 30 days raw, 90 days audit, 400 days rollups.
        store.insert(List.of(
                audited("reply.emitted:t1:new", "t1", "2026-11-25T10:00:00Z", "a"),
                audited("reply.emitted:t1:31d", "t1", "2026-10-25T15:29:00Z", "b"),
                audited("reply.emitted:t1:29d", "t1", "2026-10-27T10:00:00Z", "c"),
                audited("reply.emitted:t1:91d", "t1", "2026-08-26T15:00:00Z", "d"),
                audited("reply.emitted:t1:401d", "t1", "2025-10-20T15:00:00Z", "e")));
        for (int i = 0; i < 50; i++) {
            // Enough old hours to need several purge steps.
            store.insert(List.of(decision("old-" + i, "t2", Instant.parse("2026-09-01T00:00:00Z")
                    .plusSeconds(i * 1800L).toString(), "allowed")));
        }

        Map<String, Long> deleted = store.purge(java.time.Duration.ofDays(30), java.time.Duration.ofDays(90),
                java.time.Duration.ofDays(400));

        assertThat(deleted).containsEntry("telemetry_event", 53L).containsEntry("reply_audit", 2L);
        assertThat(ids(store, "SELECT event_id FROM telemetry_event"))
                .containsExactlyInAnyOrder("reply.emitted:t1:new", "reply.emitted:t1:29d");
        assertThat(ids(store, "SELECT event_id FROM reply_audit")).containsExactlyInAnyOrder(
                "reply.emitted:t1:new", "reply.emitted:t1:31d", "reply.emitted:t1:29d");
        assertThat(ids(store, "SELECT CAST(minute_ms AS TEXT) FROM minute_rollup WHERE tenant_id = 't1'"))
                .hasSize(4).doesNotContain(Long.toString(Instant.parse("2025-10-20T15:00:00Z").toEpochMilli()));
        assertThat(ids(store, "SELECT CAST(minute_ms AS TEXT) FROM minute_rollup_all")).hasSize(54);
        assertThat(store.purge(java.time.Duration.ofDays(30), java.time.Duration.ofDays(90),
                java.time.Duration.ofDays(400)).values()).as("nothing left to purge").containsOnly(0L);
    }

    static List<String> ids(DashboardStore store, String sql) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Connection c = store.writer().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void backfillsEventsStoredBeforeTheRollupsOnce(Backend backend) throws SQLException {
        String url = url(backend);
        // A store as the previous version left it: schema V1 and its rows, no rollups yet.
        try (DashboardStore old = DashboardStore.open(url, CLOCK)) {
            org.flywaydb.core.Flyway.configure().dataSource(old.writer()).locations(DashboardStore.MIGRATIONS)
                    .table(DashboardStore.HISTORY_TABLE).target("1").load().migrate();
            try (Connection c = old.writer().getConnection()) {
                insertV1Rows(c, List.of(decision("d1", "t1", "2026-11-25T09:00:00Z", "allowed"),
                        modelCall("c1", "t1", "2026-11-25T09:00:01Z", 0.25),
                        audited("reply.emitted:t1:m1", "t1", "2026-11-25T09:00:02Z", "Hallo"),
                        posted("r-m1", "t1", "2026-11-25T09:00:03Z", "webhook-response", "answered")));
            }
        }

        DashboardStore store = open(url);
        DayTotals today = store.status(DAY).today();
        assertThat(today.messages()).isEqualTo(1);
        assertThat(today.modelCalls()).isEqualTo(1);
        assertThat(today.replies()).isEqualTo(1);
        assertThat(today.costUsd()).isEqualTo(0.25);
        assertLatency(today.latencyMs(), 80, 80, 80);
        assertThat(ids(store, "SELECT text_sha256 FROM reply_audit")).containsExactly(sha256("Hallo"));
        // V3 adds the post to the rollups as V2 knew them, V4.1 its delivery path.
        assertThat(today.repliesPosted()).isEqualTo(1);
        assertThat(today.delivery()).isEqualTo(new Delivery(1, 0, 0, 1, 0));

        stores.close(store);
        DashboardStore reopened = open(url);
        assertThat(reopened.status(DAY).today().messages()).as("the backfill ran once").isEqualTo(1);
        assertThat(reopened.status(DAY).today().delivery()).isEqualTo(new Delivery(1, 0, 0, 1, 0));
    }
}
