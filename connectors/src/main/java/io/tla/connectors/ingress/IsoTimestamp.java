package io.tla.connectors.ingress;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * An activity's {@code timestamp}, read as {@link OffsetDateTime#parse} reads it. The form Teams sends,
 * {@code 2026-12-07T09:15:03.250Z} (or with a {@code +HH:MM} offset), is read field by field, which costs a tenth
 * of the general parser; every other text goes to that parser, which accepts it or says why not.
 */
final class IsoTimestamp {

    private IsoTimestamp() {
    }

    /** The instant; a {@link DateTimeParseException} when the text is not an ISO-8601 date-time with an offset. */
    static Instant parse(String text) {
        Instant common = parseCommonForm(text);
        return common != null ? common : OffsetDateTime.parse(text).toInstant();
    }

    /** {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}](Z|+HH:MM|-HH:MM)} with valid fields, else null. */
    static Instant parseCommonForm(String s) {
        int n = s.length();
        if (n < 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T' || s.charAt(13) != ':'
                || s.charAt(16) != ':') {
            return null;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if ((year | month | day | hour | minute | second) < 0) {
            return null;
        }
        int at = 19;
        int nanos = 0;
        if (s.charAt(at) == '.') {
            int start = ++at;
            while (at < n && at - start < 9 && isDigit(s.charAt(at))) {
                nanos = nanos * 10 + (s.charAt(at) - '0');
                at++;
            }
            int length = at - start;
            if (length == 0 || at < n && isDigit(s.charAt(at))) {
                return null; // no digits, or more than nine
            }
            for (int i = length; i < 9; i++) {
                nanos *= 10;
            }
        }
        ZoneOffset offset;
        try {
            if (at == n - 1 && s.charAt(at) == 'Z') {
                offset = ZoneOffset.UTC;
            } else if (at == n - 6 && (s.charAt(at) == '+' || s.charAt(at) == '-') && s.charAt(at + 3) == ':') {
                int sign = s.charAt(at) == '+' ? 1 : -1;
                int hours = digits(s, at + 1, 2);
                int minutes = digits(s, at + 4, 2);
                if ((hours | minutes) < 0) {
                    return null;
                }
                offset = ZoneOffset.ofHoursMinutes(sign * hours, sign * minutes);
            } else {
                return null;
            }
            LocalDateTime local = LocalDateTime.of(year, month, day, hour, minute, second, nanos);
            return Instant.ofEpochSecond(local.toEpochSecond(offset), nanos);
        } catch (DateTimeException e) {
            return null; // an impossible field: the general parser says which
        }
    }

    /** The decimal value of {@code count} digits at {@code from}, or -1. */
    private static int digits(String s, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            char c = s.charAt(i);
            if (!isDigit(c)) {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
