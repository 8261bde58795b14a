package io.tla.topology.compliance;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds personal data in a chat message and replaces it with placeholders ({@code [email]}, {@code [card]},
 * {@code [national-id]}, {@code [phone]}). Patterns, not a model: a rule fires on text shaped like the data, so it
 * errs towards redacting a number that only looks like a phone number, never towards sending a real one.
 *
 * <ul>
 *   <li>{@code email}: an address with a dotted domain.</li>
 *   <li>{@code card}: 13 to 19 digits, optionally grouped by spaces or dashes, that pass the Luhn check (so an
 *       order number of the same length usually stays).</li>
 *   <li>{@code national-id}: a US Social Security number ({@code 123-45-6789}, valid area and group) or a UK
 *       National Insurance number ({@code QQ 12 34 56 C}).</li>
 *   <li>{@code phone}: a number in phone notation with at least 7 digits: starting with {@code +} or {@code 00},
 *       or digit groups separated by spaces, dashes, dots or slashes, optionally with an area code in
 *       parentheses. Dates ({@code 2026-11-25}, {@code 25.11.2026}) and times stay, having too few digits or the
 *       shape of a date.</li>
 * </ul>
 *
 * Rules run in that order, each on the text the previous ones left, so a card number is never also a phone
 * number.
 *
 * <p>Most chat messages hold none of this, and four regular expressions with look-arounds over a kilobyte of text
 * cost more than the rest of the pipeline's work on it. So each rule states what any match needs (an {@code @},
 * or at least so many ASCII digits, which is all {@code \d} matches) and a rule runs only on text that has it,
 * counted in one pass.
 */
public final class PersonalData {

    public static final String EMAIL = "email";
    public static final String CARD = "card";
    public static final String NATIONAL_ID = "national-id";
    public static final String PHONE = "phone";

    private static final Pattern EMAIL_PATTERN = Pattern.compile(
            "[\\p{L}\\p{N}._%+-]+@[\\p{L}\\p{N}-]+(?:\\.[\\p{L}\\p{N}-]+)*\\.\\p{L}{2,}");
    private static final Pattern CARD_PATTERN = Pattern.compile("(?<![\\d-])\\d(?:[ -]?\\d){12,18}(?![\\d-])");
    private static final Pattern NATIONAL_ID_PATTERN = Pattern.compile(
            "(?<!\\d)(?!000|666|9\\d\\d)\\d{3}-(?!00)\\d{2}-(?!0000)\\d{4}(?!\\d)"
            + "|\\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\\d{2} ?\\d{2} ?\\d{2} ?[A-D]\\b");
    private static final Pattern PHONE_PATTERN = Pattern.compile(
            "(?<![\\w+])(?:(?:\\+|00)\\d{1,3}[ ./-]?)?(?:\\(\\d{1,5}\\)[ ./-]?)?\\d{2,5}(?:[ ./-]\\d{2,8}){1,4}(?![\\w])"
            + "|(?<![\\w+])\\+\\d{7,15}(?!\\w)");
    private static final Pattern DATE = Pattern.compile(
            "\\d{4}[-./]\\d{1,2}[-./]\\d{1,2}|\\d{1,2}[-./]\\d{1,2}[-./]\\d{2,4}");

    /** The rules in the order they run. */
    private static final Map<String, Rule> RULES = new LinkedHashMap<>();

    static {
        RULES.put(EMAIL, new Rule(EMAIL_PATTERN, match -> true, true, 0));
        RULES.put(CARD, new Rule(CARD_PATTERN, PersonalData::passesLuhn, false, 13));
        // A UK National Insurance number has six digits, a Social Security number nine.
        RULES.put(NATIONAL_ID, new Rule(NATIONAL_ID_PATTERN, match -> true, false, 6));
        RULES.put(PHONE, new Rule(PHONE_PATTERN, PersonalData::looksLikePhoneNumber, false, 7));
    }

    /** What joins the digits of one digit group, at most two at a time. */
    private static final String DIGIT_JOINERS = " -./()";

    /**
     * A pattern, a check on what it matched, and what any accepted match needs: an {@code @} ({@code needsAt}) and
     * at least {@code minDigits} ASCII digits in one digit group.
     */
    private record Rule(Pattern pattern, Predicate<String> accepts, boolean needsAt, int minDigits) {

        boolean mayMatch(boolean hasAt, int largestDigitGroup) {
            return (hasAt || !needsAt) && largestDigitGroup >= minDigits;
        }
    }

    /**
     * The text with personal data replaced, and per rule that fired how often. Telemetry may carry the rule
     * names and counts; the matched text is never kept.
     */
    public record Redaction(String text, Map<String, Integer> matches) {

        public boolean found() {
            return !matches.isEmpty();
        }

        public List<String> rules() {
            return List.copyOf(matches.keySet());
        }
    }

    private PersonalData() {
    }

    /** Applies {@code enabledRules} (names from {@link #EMAIL}, {@link #CARD}, ...) to {@code text}. */
    public static Redaction redact(String text, Collection<String> enabledRules) {
        boolean hasAt = false;
        int largestDigitGroup = 0;
        int group = 0;
        int joiners = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                group = group > 0 ? group + 1 : 1;
                joiners = 0;
                largestDigitGroup = Math.max(largestDigitGroup, group);
            } else if (group > 0 && joiners < 2 && DIGIT_JOINERS.indexOf(c) >= 0) {
                joiners++;
            } else {
                group = 0;
                joiners = 0;
                hasAt |= c == '@';
            }
        }
        String current = text;
        Map<String, Integer> matches = new LinkedHashMap<>();
        for (Map.Entry<String, Rule> rule : RULES.entrySet()) {
            // Redacting replaces matches with placeholders free of '@' and digits, so what was counted on the
            // original text stays an upper bound for every later rule.
            if (!enabledRules.contains(rule.getKey()) || !rule.getValue().mayMatch(hasAt, largestDigitGroup)) {
                continue;
            }
            Matcher matcher = rule.getValue().pattern().matcher(current);
            StringBuilder out = new StringBuilder(current.length());
            int count = 0;
            while (matcher.find()) {
                if (rule.getValue().accepts().test(matcher.group())) {
                    matcher.appendReplacement(out, Matcher.quoteReplacement("[" + rule.getKey() + "]"));
                    count++;
                }
            }
            if (count > 0) {
                matcher.appendTail(out);
                current = out.toString();
                matches.put(rule.getKey(), count);
            }
        }
        return new Redaction(current, Collections.unmodifiableMap(matches));
    }

    static boolean passesLuhn(String candidate) {
        List<Integer> digits = new ArrayList<>();
        candidate.chars().filter(Character::isDigit).forEach(c -> digits.add(c - '0'));
        if (digits.size() < 13 || digits.size() > 19) {
            return false;
        }
        int sum = 0;
        for (int i = 0; i < digits.size(); i++) {
            int digit = digits.get(digits.size() - 1 - i);
            if (i % 2 == 1) {
                digit *= 2;
                if (digit > 9) {
                    digit -= 9;
                }
            }
            sum += digit;
        }
        return sum % 10 == 0;
    }

    private static boolean looksLikePhoneNumber(String candidate) {
        long digits = candidate.chars().filter(Character::isDigit).count();
        return digits >= 7 && digits <= 15 && !DATE.matcher(candidate).matches();
    }
}
