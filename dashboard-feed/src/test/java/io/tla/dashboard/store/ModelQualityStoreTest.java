package io.tla.dashboard.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.dashboard.store.TestStores.Backend;
import io.tla.schemas.Json;
import io.tla.schemas.TelemetryEvent;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The verification rollups (migration V6) and {@link DashboardStore#quality}: each checked answer counted once
 * under its provider and model, the final answer's status under the provider that gave it, ranges in whole
 * hours, the backfill of events stored before V6, retention. Both databases, like {@link DashboardStoreTest}.
 */
class ModelQualityStoreTest {

    static final Instant NOW = Instant.parse("2026-11-25T15:30:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final Duration DAY = Duration.ofHours(24);

    @TempDir
    Path dir;

    private TestStores stores;

    @BeforeEach
    void stores() {
        stores = new TestStores(dir, "quality_");
    }

    @AfterEach
    void cleanUp() throws SQLException {
        stores.close();
    }

    private DashboardStore store(Backend backend) throws SQLException {
        return stores.open(stores.url(backend, "dashboard.db"), CLOCK);
    }

    static Map<String, Object> attempt(String provider, String model, String action, String... problems) {
        return Map.of("provider", provider, "model", model, "problems", List.of(problems), "action", action);
    }

    /** The model.call fact of a message, as the pipeline's model stage reports it. */
    static Map<String, Object> callAttributes(String provider, String model, String verification,
                                              List<Map<String, Object>> attempts) {
        Map<String, Object> attributes = new HashMap<>(Map.of("provider", provider, "model", model, "outcome", "ok",
                "costUsd", 0.001, "inputTokens", 10, "outputTokens", 12, "latencyMs", 300.0));
        if (verification != null) {
            attributes.put("verification", verification);
        }
        if (attempts != null) {
            attributes.put("attempts", attempts);
        }
        return attributes;
    }

    static StoredEvent call(String tenant, String messageId, String at, String verification,
                            List<Map<String, Object>> attempts) {
        return call(tenant, messageId, at, callAttributes("chain", "gpt-4o-mini", verification, attempts));
    }

    static StoredEvent call(String tenant, String messageId, String at, Map<String, Object> attributes) {
        return StoredEvent.from(new TelemetryEvent(TelemetryEvent.idFor("model.call", tenant, messageId),
                "model.call", tenant, "c-" + messageId, messageId, Instant.parse(at), attributes));
    }

    /** Five messages of t1 and one of t2 (see each line), plus a model call of a release before verification. */
    static List<StoredEvent> mixed() {
        return List.of(
                // primary answers in the wrong language without the glossary term; asked again, it passes
                call("t1", "m1", "2026-11-25T10:00:00Z", "verified", List.of(
                        attempt("primary", "gpt-4o-mini", "retried", "wrong-language", "glossary-miss"),
                        attempt("primary", "gpt-4o-mini", "accepted"))),
                // primary returns the source twice; backup passes
                call("t1", "m2", "2026-11-25T10:05:00Z", "verified", List.of(
                        attempt("primary", "gpt-4o-mini", "retried", "unchanged"),
                        attempt("primary", "gpt-4o-mini", "fell-back", "unchanged"),
                        attempt("backup", "claude-haiku", "accepted"))),
                // the last provider's answer fails twice and is sent marked unverified
                call("t1", "m3", "2026-11-25T11:00:00Z", "unverified", List.of(
                        attempt("backup", "claude-haiku", "retried", "malformed"),
                        attempt("backup", "claude-haiku", "kept-unverified", "malformed"))),
                // the offline provider: nothing to check
                call("t1", "m4", "2026-11-25T11:30:00Z", callAttributes("offline", "offline-echo", "not-checked",
                        null)),
                // a release before verification: counts nothing here
                call("t1", "m5", "2026-11-25T12:00:00Z", null, null),
                call("t2", "m6", "2026-11-25T14:59:59Z", "verified", List.of(
                        attempt("primary", "gpt-4o-mini", "accepted"))));
    }

    static QualityStats row(QualityReport report, String provider, String model) {
        return report.models().stream().filter(r -> r.provider().equals(provider) && r.model().equals(model))
                .findFirst().orElseThrow(() -> new AssertionError(provider + "/" + model + " not in " + report));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void countsEachCheckedAnswerPerProviderAndModelAndEachFinalAnswerUnderTheProviderThatGaveIt(Backend backend)
            throws SQLException {
        DashboardStore store = store(backend);
        store.insert(mixed());

        QualityReport all = store.quality(NOW, DAY, null);

        assertThat(all.models()).extracting(QualityStats::provider, QualityStats::model).as("most answers first")
                .containsExactly(org.assertj.core.groups.Tuple.tuple("primary", "gpt-4o-mini"),
                        org.assertj.core.groups.Tuple.tuple("backup", "claude-haiku"),
                        org.assertj.core.groups.Tuple.tuple("offline", "offline-echo"));
        // answers, passed, wrong language, unchanged, glossary miss, malformed, retried, fell back, kept
        // unverified, verified, unverified, not checked
        assertThat(row(all, "primary", "gpt-4o-mini")).isEqualTo(
                new QualityStats("primary", "gpt-4o-mini", 5, 2, 1, 2, 1, 0, 2, 1, 0, 2, 0, 0));
        assertThat(row(all, "backup", "claude-haiku")).isEqualTo(
                new QualityStats("backup", "claude-haiku", 3, 1, 0, 0, 0, 2, 1, 0, 1, 1, 1, 0));
        assertThat(row(all, "offline", "offline-echo")).isEqualTo(
                new QualityStats("offline", "offline-echo", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
        assertThat(all.totals()).isEqualTo(new QualityStats(null, null, 8, 3, 1, 2, 1, 2, 3, 1, 1, 3, 1, 1));
        assertThat(row(all, "primary", "gpt-4o-mini").passRate()).isEqualTo(0.4);
        assertThat(row(all, "backup", "claude-haiku").passRate()).isEqualTo(0.3333);
        assertThat(row(all, "offline", "offline-echo").passRate()).as("nothing checked").isNull();
        assertThat(all.truncated()).isFalse();

        QualityReport t2 = store.quality(NOW, DAY, "t2");
        assertThat(t2.tenant()).isEqualTo("t2");
        assertThat(t2.models()).containsExactly(
                new QualityStats("primary", "gpt-4o-mini", 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0));
        assertThat(store.quality(NOW, DAY, "t3").models()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void countsARedeliveredEventOnceWhicheverWayItArrives(Backend backend) throws SQLException {
        DashboardStore store = store(backend);
        StoredEvent m1 = mixed().get(0);
        // the same model.call fact inside the message's one event: the same row id, model.call:t1:m1
        Map<String, Object> fact = new HashMap<>(callAttributes("chain", "gpt-4o-mini", "verified", List.of(
                attempt("primary", "gpt-4o-mini", "retried", "wrong-language", "glossary-miss"),
                attempt("primary", "gpt-4o-mini", "accepted"))));
        fact.put("at", "2026-11-25T10:00:00Z");
        List<StoredEvent> processed = StoredEvent.rowsOf(new TelemetryEvent("message.processed:t1:m1",
                "message.processed", "t1", "c-m1", "m1", Instant.parse("2026-11-25T10:00:01Z"),
                Map.of("model.call", fact)));
        assertThat(processed).extracting(StoredEvent::eventId).containsExactly(m1.eventId());

        assertThat(store.insert(List.of(m1))).isEqualTo(1);
        assertThat(store.insert(List.of(m1))).as("in a later batch").isZero();
        assertThat(store.insert(List.of(m1, m1))).as("twice in one batch").isZero();
        assertThat(store.insert(processed)).as("inside a message.processed event").isZero();

        assertThat(store.quality(NOW, DAY, null).models()).containsExactly(
                new QualityStats("primary", "gpt-4o-mini", 2, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0));
        assertThat(store.quality(NOW, DAY, "t1").models()).hasSize(1).first()
                .extracting(QualityStats::answers).isEqualTo(2L);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void rangesAreWholeUtcHoursEndingWithTheCurrentOne(Backend backend) throws SQLException {
        DashboardStore store = store(backend);
        List<Map<String, Object>> passed = List.of(attempt("primary", "m", "accepted"));
        store.insert(List.of(
                call("t1", "now", "2026-11-25T15:59:59Z", "verified", passed),       // the current hour
                call("t1", "d1", "2026-11-24T16:00:00Z", "verified", passed),        // first hour of 24h
                call("t1", "d1-", "2026-11-24T15:59:59Z", "verified", passed),       // only in 7d and 30d
                call("t1", "w1", "2026-11-18T16:00:00Z", "verified", passed),        // first hour of 7d
                call("t1", "w1-", "2026-11-18T15:59:59Z", "verified", passed),       // only in 30d
                call("t1", "m1", "2026-10-26T16:00:00Z", "verified", passed),        // first hour of 30d
                call("t1", "m1-", "2026-10-26T15:59:59Z", "verified", passed),       // in none
                call("t1", "next", "2026-11-25T16:00:00Z", "verified", passed)));    // after now's hour

        QualityReport day = store.quality(NOW, DAY, null);
        assertThat(day.from()).isEqualTo(Instant.parse("2026-11-24T16:00:00Z"));
        assertThat(day.to()).isEqualTo(Instant.parse("2026-11-25T16:00:00Z"));
        assertThat(day.totals().answers()).isEqualTo(2);
        assertThat(store.quality(NOW, Duration.ofDays(7), null).totals().answers()).isEqualTo(4);
        assertThat(store.quality(NOW, Duration.ofDays(30), "t1").totals().answers()).isEqualTo(6);
        assertThat(store.quality(NOW, Duration.ofDays(30), null).from())
                .isEqualTo(Instant.parse("2026-10-26T16:00:00Z"));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void listsAtMostOneHundredModelsButTotalsThemAll(Backend backend) throws SQLException {
        DashboardStore store = store(backend);
        List<StoredEvent> events = new ArrayList<>();
        for (int i = 0; i < DashboardStore.MAX_QUALITY_ROWS + 5; i++) {
            List<Map<String, Object>> attempts = new ArrayList<>();
            // model-000 has the most answers, model-104 the fewest
            for (int a = 0; a <= (DashboardStore.MAX_QUALITY_ROWS + 5 - i) % 16; a++) {
                attempts.add(attempt("primary", "model-%03d".formatted(i), "retried", "unchanged"));
            }
            events.add(call("t1", "m" + i, "2026-11-25T12:00:00Z", null, attempts));
        }
        store.insert(events);

        QualityReport report = store.quality(NOW, DAY, null);

        assertThat(report.truncated()).isTrue();
        assertThat(report.models()).hasSize(DashboardStore.MAX_QUALITY_ROWS);
        assertThat(report.models()).extracting(QualityStats::answers).isSortedAccordingTo((a, b) -> Long.compare(b, a));
        long all = events.stream().mapToLong(e -> e.quality().attempts().size()).sum();
        assertThat(report.totals().answers()).isEqualTo(all);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void backfillsTheVerificationFactsOfModelCallsStoredBeforeTheRollupsOnce(Backend backend) throws Exception {
        String url = stores.url(backend, "dashboard.db");
        List<StoredEvent> events = mixed();
        assertThat(Json.mapper().readTree(events.get(0).attributesJson()).has("attempts"))
                .as("the raw row keeps the facts").isTrue();
        // A store as the previous version left it (schema 5.1), holding model calls of a pipeline that already
        // verified its answers.
        try (DashboardStore old = DashboardStore.open(url, CLOCK)) {
            Flyway.configure().dataSource(old.writer()).locations(DashboardStore.MIGRATIONS)
                    .table(DashboardStore.HISTORY_TABLE)
                    .javaMigrations(new V3__Backfill_rollups_and_audit(), new V4_1__Backfill_delivery_path(),
                            new V5_1__Backfill_hour_and_day_rollups())
                    .target("5.1").load().migrate();
            try (Connection c = old.writer().getConnection(); PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO telemetry_event (event_id, type, tenant_id, message_id, at_ms, provider, attributes, "
                            + "stored_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (StoredEvent e : events) {
                    insert.setString(1, e.eventId());
                    insert.setString(2, e.type());
                    insert.setString(3, e.tenantId());
                    insert.setString(4, e.messageId());
                    insert.setLong(5, e.atMillis());
                    insert.setString(6, e.provider());
                    insert.setString(7, e.attributesJson());
                    insert.setLong(8, NOW.toEpochMilli());
                    insert.executeUpdate();
                }
            }
        }
        // what the same events give when stored live
        DashboardStore live = store(backend);
        live.insert(events);
        QualityReport expected = live.quality(NOW, DAY, null);

        DashboardStore upgraded = stores.open(url, CLOCK);
        assertThat(upgraded.quality(NOW, DAY, null)).isEqualTo(expected);
        assertThat(upgraded.quality(NOW, DAY, "t2")).isEqualTo(live.quality(NOW, DAY, "t2"));
        assertThat(upgraded.insert(events)).as("already stored: adds nothing").isZero();

        stores.close(upgraded);
        assertThat(stores.open(url, CLOCK).quality(NOW, DAY, null)).as("the backfill ran once").isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void purgesHoursWhollyOlderThanTheRollupRetention(Backend backend) throws Exception {
        DashboardStore store = store(backend);
        List<Map<String, Object>> passed = List.of(attempt("primary", "m", "accepted"));
        store.insert(List.of(
                call("t1", "recent", "2026-11-25T10:00:00Z", "verified", passed),
                call("t1", "kept", "2025-10-21T15:10:00Z", "verified", passed),      // its hour is not wholly past
                call("t1", "old", "2025-10-20T15:00:00Z", "verified", passed)));

        Map<String, Long> deleted = store.purge(Duration.ofDays(30), Duration.ofDays(90), Duration.ofDays(400));

        assertThat(deleted).containsEntry(QualityRollups.TENANT_TABLE, 1L).containsEntry(QualityRollups.ALL_TABLE, 1L);
        assertThat(DashboardStoreTest.ids(store, "SELECT CAST(hour_ms AS TEXT) FROM " + QualityRollups.TENANT_TABLE))
                .containsExactlyInAnyOrder(
                        Long.toString(Instant.parse("2026-11-25T10:00:00Z").toEpochMilli()),
                        Long.toString(Instant.parse("2025-10-21T15:00:00Z").toEpochMilli()));
        assertThat(store.quality(NOW, DAY, null).totals().answers()).isEqualTo(1);
    }
}
