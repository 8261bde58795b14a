package io.tla.connectors.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class GraphReplyClientRetryAfterTest {

    private static String httpDate(Instant at) {
        return DateTimeFormatter.RFC_1123_DATE_TIME.format(at.atOffset(ZoneOffset.UTC));
    }

    @Test
    void secondsAreReadAsADuration() {
        assertThat(GraphReplyClient.retryAfter("1")).isEqualTo(Duration.ofSeconds(1));
        assertThat(GraphReplyClient.retryAfter(" 120 ")).isEqualTo(Duration.ofSeconds(120));
        assertThat(GraphReplyClient.retryAfter("0")).isEqualTo(Duration.ZERO);
    }

    @Test
    void negativeSecondsMeanRetryNow() {
        assertThat(GraphReplyClient.retryAfter("-5")).isEqualTo(Duration.ZERO);
    }

    @Test
    void httpDateInTheFutureIsThePositiveWaitUntilThen() {
        // a wide margin: the date has whole seconds and some time passes before it is read
        String in10Minutes = httpDate(Instant.now().plusSeconds(600));

        Duration wait = GraphReplyClient.retryAfter(in10Minutes);

        assertThat(wait).isNotNull().isPositive().isLessThanOrEqualTo(Duration.ofSeconds(600))
                .isGreaterThan(Duration.ofSeconds(500));
    }

    @Test
    void httpDateInThePastMeansRetryNow() {
        assertThat(GraphReplyClient.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).isEqualTo(Duration.ZERO);
        assertThat(GraphReplyClient.retryAfter(httpDate(Instant.now().minusSeconds(60)))).isEqualTo(Duration.ZERO);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "   ", "soon", "1.5", "2015-10-21T07:28:00Z", "99999999999999999999999"})
    void absentOrUnreadableValuesAreNull(String value) {
        assertThat(GraphReplyClient.retryAfter(value)).isNull();
    }
}
