package io.tla.dashboard.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.flywaydb.core.Flyway;
import io.tla.dashboard.store.TestStores.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The hourly and daily rollups (migration V5): each row equals the sum of its minutes, whether V5.1 derived it
 * from an existing store's minutes or the feed wrote it live, and {@code metrics()} answers from them exactly
 * what it answers from the minute rollups alone. Both databases, like {@link DashboardStoreTest}.
 */
class HourDayRollupsTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T15:30:00Z"), ZoneOffset.UTC);
    static final long HOUR = Duration.ofHours(1).toMillis();
    static final long DAY = Duration.ofDays(1).toMillis();

    @TempDir
    Path dir;

    private TestStores stores;

    @BeforeEach
    void stores() {
        stores = new TestStores(dir, "hours_");
    }

    @AfterEach
    void cleanUp() throws SQLException {
        stores.close();
    }

    private String url(Backend backend) throws SQLException {
        return stores.url(backend, "dashboard.db");
    }

    private DashboardStore open(String url) {
        return stores.open(url, CLOCK);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void hourAndDayRowsEqualTheSumOfTheirMinutesAfterTheBackfillAndAfterLiveWrites(
            Backend backend) throws SQLException {
        String url = url(backend);
        Random random = new Random(7);
        // A store as the previous version left it: schema V4.1 with minute rollups, no hours or days yet.
        try (DashboardStore old = DashboardStore.open(url, CLOCK)) {
            Flyway.configure().dataSource(old.writer()).locations(DashboardStore.MIGRATIONS)
                    .table(DashboardStore.HISTORY_TABLE)
                    .javaMigrations(new V3__Backfill_rollups_and_audit(), new V4_1__Backfill_delivery_path())
                    .target("4.1").load().migrate();
            Rollups.Batch minutes = Rollups.Batch.v4Schema();
            events(random, "old", 1_500).forEach(minutes::add);
            try (Connection c = old.writer().getConnection()) {
                minutes.write(c);
            }
        }

        DashboardStore store = open(url);
        assertThat(count(store, "hour_rollup")).as("backfilled").isPositive();
        assertCoarseRowsAreTheSumsOfTheirMinutes(store);

        // Live writes land in the same hours and days as the backfilled rows, and in new ones.
        List<StoredEvent> live = events(random, "new", 1_500);
        for (int i = 0; i < live.size(); i += 100) {
            store.insert(live.subList(i, Math.min(live.size(), i + 100)));
        }
        store.insert(live.subList(0, 50)); // re-delivered: adds nothing anywhere
        assertCoarseRowsAreTheSumsOfTheirMinutes(store);

        stores.close(store);
        assertCoarseRowsAreTheSumsOfTheirMinutes(open(url)); // the backfill ran once
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void longRangesAnswerWhatTheMinuteRollupsAloneAnswer(Backend backend) throws SQLException {
        DashboardStore store = open(url(backend));
        List<StoredEvent> events = events(new Random(11), "e", 4_000);
        for (int i = 0; i < events.size(); i += 250) {
            store.insert(events.subList(i, Math.min(events.size(), i + 250)));
        }
        Instant now = Instant.parse("2026-11-25T15:00:00Z");
        List<Instant[]> ranges = List.of(
                // whole hours: hourly buckets from hour rows, tenants ranked from days
                new Instant[] {now.minus(Duration.ofDays(30)), now},
                // ends inside an hour, with seconds: the last bucket's minutes come from the minute rows
                new Instant[] {now.minus(Duration.ofDays(20)), now.plusSeconds(17 * 60 + 30)},
                // starts off the hour: hourly buckets aligned to the clock, a partial first hour from the minute
                // rows, the whole hours from hour rows; ranked from days, hours and minutes
                new Instant[] {now.minus(Duration.ofDays(29)).plusSeconds(7 * 60 + 5), now.plusSeconds(42 * 60)},
                // the bench's case: 30 days starting 7 minutes past the hour, ending on the hour
                new Instant[] {now.minus(Duration.ofDays(30)).plusSeconds(7 * 60), now},
                // 31 days off the hour at both ends, with seconds: 745 aligned hours, partial at both ends
                new Instant[] {now.minus(Duration.ofDays(31)).plusSeconds(59 * 60 + 59), now.plusSeconds(60 * 60 + 1)},
                // off the hour and less than an hour past midnight
                new Instant[] {Instant.parse("2026-10-28T00:31:00Z"), Instant.parse("2026-11-20T23:14:00Z")},
                // 5- and 15-minute buckets
                new Instant[] {now.minus(Duration.ofDays(3)), now},
                new Instant[] {now.minus(Duration.ofDays(12)), now.minusSeconds(3_600 * 5 + 60 * 13)},
                // 5- and 15-minute buckets off their boundaries: partial first and last buckets
                new Instant[] {now.minus(Duration.ofDays(4)).plusSeconds(3 * 60 + 20), now.minusSeconds(7 * 60)},
                new Instant[] {now.minus(Duration.ofDays(5)).plusSeconds(2 * 60), now.plusSeconds(2 * 60)},
                // a day by the minute, and an hour
                new Instant[] {now.minus(Duration.ofDays(1)), now},
                new Instant[] {now.minus(Duration.ofHours(1)), now});
        for (Instant[] range : ranges) {
            MetricsSeries coarse = store.metrics(range[0], range[1], null);
            MetricsSeries minutes = store.metrics(range[0], range[1], null, false);
            assertThat(coarse).as("%s to %s", range[0], range[1]).isEqualTo(minutes);
            assertThat(coarse.byTenant()).isNotEmpty();
            for (String tenant : List.of("t0", "t3", "t11")) {
                assertThat(store.metrics(range[0], range[1], tenant)).as("%s from %s to %s", tenant, range[0],
                        range[1]).isEqualTo(store.metrics(range[0], range[1], tenant, false));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void sixHourAndDayBucketsOffTheHourAnswerWhatTheMinuteRollupsAloneAnswer(Backend backend)
            throws SQLException {
        DashboardStore store = open(url(backend));
        insert(store, events(new Random(13), "e", 3_000));
        List<Instant[]> ranges = List.of(
                new Instant[] {Instant.parse("2026-10-26T15:07:00Z"), Instant.parse("2026-11-25T15:18:30Z")},
                new Instant[] {Instant.parse("2026-10-25T00:00:00Z"), Instant.parse("2026-11-25T00:00:00Z")},
                new Instant[] {Instant.parse("2026-11-02T05:59:00Z"), Instant.parse("2026-11-03T06:01:00Z")});
        for (long bucketMs : List.of(6 * HOUR, DAY)) {
            for (Instant[] range : ranges) {
                for (String tenant : java.util.Arrays.asList(null, "t0", "t5")) {
                    MetricsSeries coarse = store.metrics(range[0], range[1], tenant, true, bucketMs);
                    assertThat(coarse).as("%s from %s to %s by %d ms", tenant, range[0], range[1], bucketMs)
                            .isEqualTo(store.metrics(range[0], range[1], tenant, false, bucketMs));
                    assertThat(coarse.series().get(0).minute().toEpochMilli() % bucketMs).isZero();
                    assertMessagesPerBucket(coarse, events(new Random(13), "e", 3_000), tenant, bucketMs);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void offTheHourBucketsAreClockHoursAndCountOnlyTheMinutesInTheRange(Backend backend)
            throws SQLException {
        DashboardStore store = open(url(backend));
        List<StoredEvent> events = events(new Random(17), "e", 4_000);
        insert(store, events);
        Instant from = Instant.parse("2026-10-26T15:07:00Z");
        Instant to = Instant.parse("2026-11-25T15:18:30Z");
        MetricsSeries series = store.metrics(from, to, null);
        assertThat(series.series()).hasSize(30 * 24 + 1);
        assertThat(series.series().get(0).minute()).isEqualTo(Instant.parse("2026-10-26T15:00:00Z"));
        assertThat(series.series().get(1).minute()).isEqualTo(Instant.parse("2026-10-26T16:00:00Z"));
        assertThat(series.series().get(series.series().size() - 1).minute())
                .isEqualTo(Instant.parse("2026-11-25T15:00:00Z"));
        assertThat(series.byTenant()).allSatisfy(t -> assertThat(t.series()).extracting(MetricsSeries.TenantPoint::minute)
                .isEqualTo(series.series().stream().map(MetricsPoint::minute).toList()));
        assertMessagesPerBucket(series, events, null, HOUR);
        assertMessagesPerBucket(store.metrics(from, to, "t2"), events, "t2", HOUR);
    }

    private static void insert(DashboardStore store, List<StoredEvent> events) throws SQLException {
        for (int i = 0; i < events.size(); i += 250) {
            store.insert(events.subList(i, Math.min(events.size(), i + 250)));
        }
    }

    /**
     * The messages of each bucket and in total, against the events themselves: an event counts in the aligned
     * bucket of its minute when that minute overlaps the range.
     */
    private static void assertMessagesPerBucket(MetricsSeries series, List<StoredEvent> events, String tenant,
                                                long bucketMs) {
        long fromMinute = Math.floorDiv(series.from().toEpochMilli(), 60_000L) * 60_000L;
        long toMs = series.to().toEpochMilli();
        long origin = Math.floorDiv(fromMinute, bucketMs) * bucketMs;
        long[] expected = new long[series.series().size()];
        for (StoredEvent e : events) {
            long minute = Math.floorDiv(e.atMillis(), 60_000L) * 60_000L;
            if (e.type().equals("budget.decision") && minute >= fromMinute && minute < toMs
                    && (tenant == null || tenant.equals(e.tenantId()))) {
                expected[(int) ((minute - origin) / bucketMs)]++;
            }
        }
        assertThat(series.series().stream().mapToLong(MetricsPoint::messages).toArray())
                .as("%s from %s to %s", tenant, series.from(), series.to()).isEqualTo(expected);
        assertThat(series.totals().messages()).isEqualTo(java.util.Arrays.stream(expected).sum());
    }

    @Test
    void bucketsAreAlignedToTheClockAndNeverMoreThanMaxPoints() {
        Instant now = Instant.parse("2026-11-25T15:00:00Z");
        // Exactly 5 days on 5-minute boundaries: 1 440 five-minute buckets; 2 minutes later, 1 441: 15 minutes.
        assertThat(DashboardStore.bucketMillis(now.minus(Duration.ofDays(5)), now)).isEqualTo(5 * 60_000L);
        assertThat(DashboardStore.bucketMillis(now.minus(Duration.ofDays(5)).plusSeconds(120), now.plusSeconds(120)))
                .isEqualTo(15 * 60_000L);
        assertThat(DashboardStore.bucketOrigin(at("2026-11-25T15:07:00Z"), HOUR)).isEqualTo(at("2026-11-25T15:00:00Z"));
        assertThat(DashboardStore.bucketOrigin(at("2026-11-25T15:07:00Z"), 6 * HOUR))
                .isEqualTo(at("2026-11-25T12:00:00Z"));
        assertThat(DashboardStore.bucketOrigin(at("2026-11-25T15:07:00Z"), DAY)).isEqualTo(at("2026-11-25T00:00:00Z"));
        assertThat(DashboardStore.bucketOrigin(at("2026-11-25T15:07:00Z"), 15 * 60_000L))
                .isEqualTo(at("2026-11-25T15:00:00Z"));
        Random random = new Random(3);
        for (int i = 0; i < 20_000; i++) {
            long from = now.toEpochMilli() - (long) (random.nextDouble() * 60 * DAY);
            long span = (long) (random.nextDouble() * 31 * DAY);
            if (i % 2 == 0) {
                span = Duration.ofDays(1 + random.nextInt(31)).toMillis() - random.nextInt(3) * 60_000L;
            }
            Instant a = Instant.ofEpochMilli(from);
            Instant b = Instant.ofEpochMilli(from + span);
            long bucket = DashboardStore.bucketMillis(a, b);
            long fromMinute = Math.floorDiv(from, 60_000L) * 60_000L;
            assertThat(DashboardStore.bucketCount(fromMinute, from + span, bucket)).as("%s to %s", a, b)
                    .isLessThanOrEqualTo(DashboardStore.MAX_POINTS);
        }
    }

    @Test
    void coversARangeWithWholeDaysAndHoursAndMinutesAtTheEdges() {
        long from = Instant.parse("2026-10-26T15:07:00Z").toEpochMilli();
        long to = Instant.parse("2026-11-25T15:18:00Z").toEpochMilli();
        List<DashboardStore.Segment> segments = DashboardStore.cover(from, to,
                List.of(Rollups.Grain.DAY, Rollups.Grain.HOUR));
        assertThat(segments).containsExactly(
                new DashboardStore.Segment(Rollups.Grain.MINUTE, from, at("2026-10-26T16:00:00Z")),
                new DashboardStore.Segment(Rollups.Grain.HOUR, at("2026-10-26T16:00:00Z"), at("2026-10-27T00:00:00Z")),
                new DashboardStore.Segment(Rollups.Grain.DAY, at("2026-10-27T00:00:00Z"), at("2026-11-25T00:00:00Z")),
                new DashboardStore.Segment(Rollups.Grain.HOUR, at("2026-11-25T00:00:00Z"), at("2026-11-25T15:00:00Z")),
                new DashboardStore.Segment(Rollups.Grain.MINUTE, at("2026-11-25T15:00:00Z"), to));
        assertThat(DashboardStore.cover(from, from + 5 * 60_000, List.of(Rollups.Grain.DAY, Rollups.Grain.HOUR)))
                .containsExactly(new DashboardStore.Segment(Rollups.Grain.MINUTE, from, from + 5 * 60_000));
        // Buckets are aligned to the clock: a grain serves them whenever its period divides the width.
        assertThat(DashboardStore.seriesGrains(HOUR, false)).containsExactly(Rollups.Grain.HOUR);
        assertThat(DashboardStore.seriesGrains(HOUR, true)).containsExactly(Rollups.Grain.HOUR);
        assertThat(DashboardStore.seriesGrains(6 * HOUR, true)).containsExactly(Rollups.Grain.HOUR);
        assertThat(DashboardStore.seriesGrains(DAY, true)).containsExactly(Rollups.Grain.DAY, Rollups.Grain.HOUR);
        assertThat(DashboardStore.seriesGrains(DAY, false)).as("no all-tenants days").containsExactly(Rollups.Grain.HOUR);
        assertThat(DashboardStore.seriesGrains(15 * 60_000L, true)).isEmpty();
    }

    private static long at(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    /** Events of every counted type over the 32 days before the clock, 15 tenants, three providers. */
    static List<StoredEvent> events(Random random, String prefix, int n) {
        String[] types = {"budget.decision", "budget.decision", "budget.threshold", "reply.emitted", "reply.posted",
                "reply.failed", "model.fallback", "model.call"};
        String[] providers = {"openai", "azure", "offline"};
        long end = CLOCK.millis();
        List<StoredEvent> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String type = types[random.nextInt(types.length)];
            // Tenants of very different sizes, so the ranking is not a tie.
            String tenant = "t" + (int) Math.floor(15 * Math.pow(random.nextDouble(), 2));
            String at = Instant.ofEpochMilli(end - (long) (random.nextDouble() * 32 * DAY)).toString();
            String provider = providers[random.nextInt(providers.length)];
            Map<String, Object> attributes = switch (type) {
                case "budget.decision" -> Map.of("decision", random.nextInt(10) == 0 ? "refused" : "allowed");
                case "reply.emitted" -> Map.of("kind", "translation", "provider", provider,
                        "endToEndMs", Math.exp(Math.log(300) + random.nextGaussian()));
                case "model.call" -> Map.of("provider", provider, "costUsd", random.nextInt(1000) / 1e5,
                        "inputTokens", random.nextInt(500), "outputTokens", random.nextInt(500));
                case "model.fallback" -> Map.of("from", provider, "to", "offline", "reason", "http-503");
                case "reply.posted" -> random.nextBoolean()
                        ? Map.of("sink", "webhook-response", "syncReply", "answered")
                        : Map.of("sink", "outbox", "syncReply", "missed");
                default -> Map.of();
            };
            events.add(DashboardStoreTest.event(prefix + i, type, tenant, at, attributes));
        }
        return events;
    }

    /** Every hour and day row, value by value, against the same sums computed from the minute rows. */
    static void assertCoarseRowsAreTheSumsOfTheirMinutes(DashboardStore store) throws SQLException {
        for (Rollups.Grain grain : List.of(Rollups.Grain.HOUR, Rollups.Grain.DAY)) {
            String start = "(minute_ms / " + grain.ms + ") * " + grain.ms;
            assertThat(rows(store, "SELECT tenant_id, " + grain.column + ", provider, " + Rollups.COLUMNS + " FROM "
                    + grain.tenantTable + " ORDER BY 1, 2, 3"))
                    .as(grain.tenantTable)
                    .isNotEmpty()
                    .isEqualTo(rows(store, "SELECT tenant_id, " + start + ", provider, " + Rollups.SUMS
                            + " FROM minute_rollup GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"));
            if (grain.allTable != null) {
                assertThat(rows(store, "SELECT '', " + grain.column + ", provider, " + Rollups.COLUMNS + " FROM "
                        + grain.allTable + " ORDER BY 2, 3"))
                        .as(grain.allTable)
                        .isEqualTo(rows(store, "SELECT '', " + start + ", provider, " + Rollups.SUMS
                                + " FROM minute_rollup_all GROUP BY 2, 3 ORDER BY 2, 3"));
            }
        }
    }

    /** Rows as text: key, counters, cost to 1e-9 (sums in another order differ in the last bits), histogram. */
    private static List<String> rows(DashboardStore store, String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = store.writer().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            int costColumn = 4 + Rollups.COUNTERS.size();
            while (rs.next()) {
                StringBuilder row = new StringBuilder(rs.getString(1)).append('|').append(rs.getLong(2))
                        .append('|').append(rs.getString(3));
                for (int i = 4; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.append('|');
                    if (i == costColumn) {
                        row.append(String.format(Locale.ROOT, "%.9f", rs.getDouble(i)));
                    } else {
                        long v = rs.getLong(i);
                        row.append(rs.wasNull() ? "null" : Long.toString(v));
                    }
                }
                rows.add(row.toString());
            }
        }
        return rows;
    }

    private static long count(DashboardStore store, String table) throws SQLException {
        try (Connection c = store.writer().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
