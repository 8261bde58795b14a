package io.tla.topology.budget;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.JsonSerde;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TenantSpendTest {

    private static final BudgetReservation RESERVATION =
            new BudgetReservation("2026-11-25", "2026-11", 2, 100, new BigDecimal("0.10"));

    @Test
    void shouldNeverGoBelowZeroWhenSettlingMoreThanIsRecorded() {
        TenantSpend settled = new TenantSpend(new BigDecimal("0.03"), 40, 1, 0, List.of()).settle(RESERVATION,
                BigDecimal.ZERO, 0);

        assertThat(settled.spentUsd()).isEqualByComparingTo("0");
        assertThat(settled.tokens()).isZero();
    }

    @Test
    void shouldReplaceTheReservationByTheActualUsage() {
        TenantSpend settled = TenantSpend.NONE.allow(RESERVATION).settle(RESERVATION, new BigDecimal("0.04"), 40);

        assertThat(settled.spentUsd()).isEqualByComparingTo("0.04");
        assertThat(settled.tokens()).isEqualTo(40);
        assertThat(settled.allowed()).isEqualTo(1);
    }

    @Test
    void shouldKeepReportedThresholdsThroughEveryChange() {
        TenantSpend spend = TenantSpend.NONE.reporting("daily-usd@0.8").allow(RESERVATION).refuse()
                .settle(RESERVATION, BigDecimal.ZERO, 0).reporting("daily-usd@0.8");

        assertThat(spend.thresholdsReported()).containsExactly("daily-usd@0.8");
        assertThat(spend.reported("daily-usd@0.8")).isTrue();
        assertThat(spend.reported("daily-usd@1.0")).isFalse();
    }

    @Test
    void shouldRoundTripThroughTheStoreSerde() {
        JsonSerde<TenantSpend> serde = new JsonSerde<>(TenantSpend.class);
        TenantSpend spend = TenantSpend.NONE.allow(RESERVATION).reporting("monthly-usd@1.0").reporting("daily-usd@0.8");

        TenantSpend read = serde.deserializer().deserialize("t", serde.serializer().serialize("t", spend));

        assertThat(read).isEqualTo(spend);
    }

    @Test
    void shouldReadARecordOfTheDayOnlyGuardWithNoThresholdsReported() {
        byte[] old = "{\"spentUsd\":0.25,\"tokens\":300,\"allowed\":3,\"refused\":1}".getBytes(StandardCharsets.UTF_8);

        TenantSpend read = new JsonSerde<>(TenantSpend.class).deserializer().deserialize("t", old);

        assertThat(read.spentUsd()).isEqualByComparingTo("0.25");
        assertThat(read.thresholdsReported()).isEmpty();
    }

    @Test
    void shouldBookAReservationInFlightFromTheDayOnlyGuardOnThatDaysMonth() {
        JsonSerde<BudgetReservation> serde = new JsonSerde<>(BudgetReservation.class);
        byte[] old = ("{\"day\":\"2026-11-30\",\"estimatedInputTokens\":2,\"maxOutputTokens\":100,"
                + "\"estimatedCostUsd\":0.10}").getBytes(StandardCharsets.UTF_8);

        BudgetReservation read = serde.deserializer().deserialize("t", old);

        assertThat(read.month()).isEqualTo("2026-11");
        assertThat(read.reservedTokens()).isEqualTo(102);
        assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", RESERVATION)))
                .isEqualTo(RESERVATION);
    }
}
