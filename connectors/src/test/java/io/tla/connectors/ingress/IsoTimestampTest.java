package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The activity timestamp is read exactly as {@link OffsetDateTime#parse} reads it, the common form included. */
class IsoTimestampTest {

    private static void assertReadAsOffsetDateTimeParseReadsIt(String text) {
        Instant expected;
        try {
            expected = OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            assertThatThrownBy(() -> IsoTimestamp.parse(text)).as(text).isInstanceOf(DateTimeParseException.class);
            return;
        }
        assertThat(IsoTimestamp.parse(text)).as(text).isEqualTo(expected);
    }

    @Test
    void theFormTeamsSendsIsReadWithoutTheGeneralParser() {
        assertThat(IsoTimestamp.parseCommonForm("2026-12-07T09:15:03.250Z"))
                .isEqualTo(Instant.parse("2026-12-07T09:15:03.250Z"));
        assertThat(IsoTimestamp.parseCommonForm("2026-12-07T10:15:03.2500001+01:00"))
                .isEqualTo(Instant.parse("2026-12-07T09:15:03.2500001Z"));
        assertThat(IsoTimestamp.parseCommonForm("2026-12-07T09:15:03-00:30"))
                .isEqualTo(Instant.parse("2026-12-07T09:45:03Z"));
    }

    @Test
    void agreesWithOffsetDateTimeParseOnValidAndInvalidTexts() {
        List<String> texts = new ArrayList<>(List.of("2026-12-07T09:15:03.250Z", "2026-12-07T09:15:03Z",
                "2026-12-07T09:15Z", "2026-12-07t09:15:03z", "2026-12-07T09:15:03.Z", "2026-12-07T09:15:03.1234567891Z",
                "2026-02-29T09:15:03Z", "2024-02-29T09:15:03Z", "2026-04-31T09:15:03Z", "2026-13-01T09:15:03Z",
                "2026-12-07T24:00:00Z", "2026-12-07T23:59:60Z", "2026-12-07T09:15:03+18:00", "2026-12-07T09:15:03+18:01",
                "2026-12-07T09:15:03+05:30", "2026-12-07T09:15:03+0530", "2026-12-07T09:15:03+05",
                "2026-12-07T09:15:03+05:30:15", "2026-12-07T09:15:03", "12026-12-07T09:15:03Z", "+12026-12-07T09:15:03Z",
                "2026-12-07 09:15:03Z", "2026-12-07T09:15:03.250ZZ", "2026-12-07T09:15:03.250 Z", "", "not a date",
                "2026-12-07T09:15:03.250+01:60", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
                "2026-12-07T09:15:03.25０Z", "2026-1２-07T09:15:03Z"));
        SplittableRandom random = new SplittableRandom(13);
        char[] alphabet = {'0', '1', '2', '5', '9', '-', ':', 'T', 'Z', '+', '.', 'z', ' '};
        String base = "2026-12-07T09:15:03.250+01:00";
        for (int i = 0; i < 20_000; i++) {
            char[] chars = base.toCharArray();
            for (int m = random.nextInt(3); m >= 0; m--) {
                chars[random.nextInt(chars.length)] = alphabet[random.nextInt(alphabet.length)];
            }
            String text = new String(chars);
            texts.add(random.nextBoolean() ? text : text.substring(0, random.nextInt(text.length() + 1)));
        }
        texts.forEach(IsoTimestampTest::assertReadAsOffsetDateTimeParseReadsIt);
    }
}
