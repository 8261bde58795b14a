package io.tla.dashboard.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class MetricsQueryTest {

    static final Instant NOW = Instant.parse("2026-11-25T15:30:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @Test
    void defaultsToTheLastHourOfAllTenants() {
        assertThat(MetricsQuery.parse(null, null, null, CLOCK))
                .isEqualTo(new MetricsQuery(Instant.parse("2026-11-25T14:30:00Z"), NOW, null));
    }

    @Test
    void defaultsFromToAnHourBeforeAGivenTo() {
        assertThat(MetricsQuery.parse(null, "2026-11-20T10:00:00Z", "t1", CLOCK))
                .isEqualTo(new MetricsQuery(Instant.parse("2026-11-20T09:00:00Z"), Instant.parse("2026-11-20T10:00:00Z"), "t1"));
    }

    @Test
    void acceptsAnOffsetAndAThirtyOneDayRange() {
        MetricsQuery query = MetricsQuery.parse("2026-10-25T16:30:00+01:00", null, null, CLOCK);
        assertThat(query.from()).isEqualTo(Instant.parse("2026-10-25T15:30:00Z"));
        assertThat(query.to()).isEqualTo(NOW);
    }

    @Test
    void rejectsAnUnparsableFromWithoutEchoingIt() {
        assertThatThrownBy(() -> MetricsQuery.parse("<script>yesterday", null, null, CLOCK))
                .isInstanceOf(MetricsQuery.InvalidQuery.class)
                .hasMessageStartingWith("from is not an ISO-8601")
                .hasMessageNotContaining("script");
    }

    @Test
    void rejectsFromAfterTo() {
        assertThatThrownBy(() -> MetricsQuery.parse("2026-11-25T15:00:00Z", "2026-11-25T14:00:00Z", null, CLOCK))
                .isInstanceOf(MetricsQuery.InvalidQuery.class)
                .hasMessageContaining("after");
    }

    @Test
    void rejectsARangeLongerThanThirtyOneDays() {
        assertThatThrownBy(() -> MetricsQuery.parse("2026-10-25T15:29:59Z", null, null, CLOCK))
                .isInstanceOf(MetricsQuery.InvalidQuery.class)
                .hasMessageContaining("31 days");
    }

    @Test
    void rejectsABlankTenant() {
        assertThatThrownBy(() -> MetricsQuery.parse(null, null, " ", CLOCK))
                .isInstanceOf(MetricsQuery.InvalidQuery.class)
                .hasMessageContaining("tenant");
    }
}
