package io.tla.dashboard.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.dashboard.store.DashboardStore;
import io.tla.dashboard.store.StoredEvent;
import io.tla.platform.config.BudgetConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.TelemetryEvent;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import io.tla.dashboard.store.TestStores;
import io.tla.dashboard.store.TestStores.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The SQL of {@link TenantsQuery} and {@link FailedRepliesQuery} on both databases the store supports. The
 * PostgreSQL case needs the server on 127.0.0.1:5432 (as DashboardStoreTest); each test gets its own schema.
 */
class DashboardQueriesTest {

    static final LocalDate DAY = LocalDate.of(2026, 11, 25);

    @TempDir
    Path dir;
    private TestStores stores;

    @BeforeEach
    void stores() {
        stores = new TestStores(dir, "dashq_");
    }

    @AfterEach
    void cleanUp() throws SQLException {
        stores.close();
    }

    private DashboardStore store(Backend backend) throws SQLException {
        return stores.open(stores.url(backend, "dashboard.db"),
                Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC));
    }

    static StoredEvent event(String type, String tenant, String messageId, String at, Map<String, Object> attributes) {
        return StoredEvent.from(new TelemetryEvent(type + ":" + tenant + ":" + messageId + ":" + at, type, tenant,
                "c-" + messageId, messageId, Instant.parse(at), attributes));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void sumsTodayAndTheMonthPerTenantAgainstItsLimits(Backend backend) throws Exception {
        DashboardStore store = store(backend);
        store.insert(List.of(
                event("budget.decision", "t1", "m1", "2026-11-25T08:00:00Z", Map.of("decision", "allowed")),
                event("model.call", "t1", "m1", "2026-11-25T08:00:01Z", Map.of("costUsd", 0.75, "inputTokens", 300,
                        "outputTokens", 200)),
                event("reply.emitted", "t1", "m1", "2026-11-25T08:00:02Z", Map.of("kind", "translation",
                        "languages", "en,FR", "costUsd", 9.0, "inputTokens", 9000)),
                event("model.call", "t1", "m0", "2026-11-01T00:00:00Z", Map.of("costUsd", 0.25)),
                event("model.call", "t1", "mx", "2026-10-31T23:59:59.999Z", Map.of("costUsd", 5.0)),
                event("model.call", "t2", "n0", "2026-11-10T00:00:00Z", Map.of("costUsd", 1.0))));
        TenantsQuery query = new TenantsQuery(BudgetConfig.from(TlaConfig.of(Map.of("tenant.t1.budget.daily-usd", "0"))));

        List<TenantsQuery.TenantUse> tenants = query.run(store.reader(), DAY);

        assertThat(tenants).extracting(TenantsQuery.TenantUse::tenantId).containsExactly("t1", "t2");
        TenantsQuery.TenantUse t1 = tenants.get(0);
        assertThat(t1.messagesToday()).isEqualTo(1);
        assertThat(t1.repliesToday()).isEqualTo(1);
        // The reply's own cost and tokens repeat the model call's: only model.call counts.
        assertThat(t1.costTodayUsd()).isEqualTo(0.75);
        assertThat(t1.tokensToday()).isEqualTo(500);
        assertThat(t1.costMonthUsd()).as("1 November to today, not October").isEqualTo(1.0);
        assertThat(t1.budget().dailyUsd()).isZero();
        assertThat(t1.budget().dailyUsedRatio()).as("zero limit").isNull();
        assertThat(t1.budget().monthlyUsedRatio()).isEqualTo(0.01);
        assertThat(t1.budget().tokensUsedRatio()).isEqualTo(0.0003);
        assertThat(t1.topLanguages()).extracting(TenantsQuery.LanguageCount::language).containsExactly("en", "fr");
        TenantsQuery.TenantUse t2 = tenants.get(1);
        assertThat(t2.messagesToday()).isZero();
        assertThat(t2.costTodayUsd()).isZero();
        assertThat(t2.costMonthUsd()).as("active this month only").isEqualTo(1.0);
        assertThat(t2.budget().dailyUsedRatio()).isEqualTo(0.0);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void theMonthsCostOutlivesTheRawEventsRetention(Backend backend) throws Exception {
        DashboardStore store = store(backend);
        store.insert(List.of(event("model.call", "t3", "p0", "2026-11-01T09:00:00Z", Map.of("costUsd", 2.0))));
        store.purge(Duration.ofDays(10), Duration.ofDays(90), Duration.ofDays(400)); // raw events before 15 November go

        List<TenantsQuery.TenantUse> tenants = new TenantsQuery(BudgetConfig.from(TlaConfig.of(Map.of())))
                .run(store.reader(), DAY);

        assertThat(tenants).singleElement().satisfies(t -> assertThat(t.costMonthUsd()).isEqualTo(2.0));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void findsFailedRepliesNewestFirstWithTheCauseTheTopologyRecorded(Backend backend) throws Exception {
        DashboardStore store = store(backend);
        store.insert(List.of(
                event("reply.failed", "t1", "m1", "2026-11-25T08:00:00Z", Map.of("replyId", "r1", "kind", "translation",
                        "status", 0, "reason", "graph-unaddressable", "attempts", 0)),
                event("model.call", "t1", "m2", "2026-11-25T08:01:00Z", Map.of("outcome", "error", "error", "timeout")),
                event("reply.emitted", "t1", "m2", "2026-11-25T08:01:00Z", Map.of("replyId", "r2", "kind", "failed")),
                event("reply.emitted", "t 3", "m3", "2026-11-25T08:02:00Z", Map.of("replyId", "r3", "kind", "failed")),
                event("reply.emitted", "t1", "m4", "2026-11-25T08:03:00Z", Map.of("replyId", "r4", "kind", "translation"))));

        List<FailedRepliesQuery.FailedReply> replies = FailedRepliesQuery.run(store.reader(), 10);

        assertThat(replies).extracting(FailedRepliesQuery.FailedReply::replyId).containsExactly("r3", "r2", "r1");
        assertThat(replies.get(0).reason()).as("no cause stored").isNull();
        assertThat(replies.get(0).replayCommand()).isEqualTo("./tla replay --from teams.messages.dlq.v1 --tenant 't 3'");
        assertThat(replies.get(1).reason()).isEqualTo("timeout");
        assertThat(replies.get(2).status()).isZero();
        assertThat(replies.get(2).attempts()).isZero();
        assertThat(replies.get(2).code()).isNull();
        assertThat(replies.get(2).replayCommand())
                .isEqualTo("./tla replay --from teams.replies.dlq.v1 --tenant t1 --error graph-unaddressable");
        assertThat(FailedRepliesQuery.run(store.reader(), 1)).extracting(FailedRepliesQuery.FailedReply::replyId)
                .containsExactly("r3");
    }

    @Test
    void readsFailedRepliesThroughTheirPartialIndexOnSqlite() throws Exception {
        DashboardStore store = store(Backend.SQLITE);
        // The query must repeat the index's WHERE word for word, or SQLite walks the whole time index instead.
        StringBuilder plan = new StringBuilder();
        try (Connection c = store.reader().getConnection();
             PreparedStatement s = c.prepareStatement("EXPLAIN QUERY PLAN " + FailedRepliesQuery.FAILED)) {
            s.setInt(1, 50);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    plan.append(rs.getString("detail")).append('\n');
                }
            }
        }
        assertThat(plan.toString()).contains("telemetry_event_failed_reply");
    }
}
