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
 * Finds personal data in a chat message and replaces it with placeholders ({@code [email]}, {@code [iban]},
 * {@code [card]}, {@code [national-id]}, {@code [phone]}). Patterns, not a model: a rule fires on text shaped like
 * the data, so it errs towards redacting a number that only looks like a phone number, never towards sending a
 * real one.
 *
 * <ul>
 *   <li>{@code email}: an address with a dotted domain.</li>
 *   <li>{@code iban}: an International Bank Account Number: a country code of the ISO 13616 IBAN registry, two
 *       check digits and the country's BBAN, exactly as long as the registry says for that country
 *       ({@link #IBAN_LENGTHS}), written without spaces or in groups of four separated by single spaces, in upper
 *       or lower case, and passing the ISO 7064 mod-97 check (so a random string, or an IBAN with one character
 *       changed, does not match).</li>
 *   <li>{@code card}: 13 to 19 digits, optionally grouped by spaces or dashes, not starting with 0 or after a
 *       {@code +} (no payment card does), that pass the Luhn check (so an order number of the same length usually
 *       stays).</li>
 *   <li>{@code national-id}: a US Social Security number ({@code 123-45-6789}, valid area and group) or a UK
 *       National Insurance number ({@code QQ 12 34 56 C}).</li>
 *   <li>{@code phone}: a number in phone notation with 7 to 15 digits: an international one ({@code +} or
 *       {@code 00}, a country code, then digit groups: {@code +44 20 7946 0958}, {@code +1 (555) 123-4567},
 *       {@code +49 (0)30 12345678}, {@code +33 1 23 45 67 89}, {@code tel:+14155552671}), or digit groups
 *       separated by spaces, dashes, dots or slashes, optionally with an area code in parentheses. Dates
 *       ({@code 2026-11-25}, {@code 25.11.2026}), times ({@code 14:30}, also right after a date), versions
 *       ({@code v2.10.3}), amounts ({@code 1,234.56}) and numbers joined to a word by a dash ({@code SO-2026-4711},
 *       {@code 4711-0815-A}) stay.</li>
 * </ul>
 *
 * Rules run in that order, each on the text the previous ones left, so an IBAN's digits are never also a card or
 * a phone number, and a card number is never also a phone number.
 *
 * <p>Most chat messages hold none of this, and five regular expressions with look-arounds over a kilobyte of text
 * cost more than the rest of the pipeline's work on it. So each rule states what any match needs (an {@code @},
 * at least so many ASCII digits in a row, which is all {@code \d} matches, or two ASCII letters right before two
 * digits, the start of every IBAN) and a rule runs only on text that has it, counted in one pass.
 */
public final class PersonalData {

    public static final String EMAIL = "email";
    public static final String CARD = "card";
    public static final String NATIONAL_ID = "national-id";
    public static final String PHONE = "phone";
    public static final String IBAN = "iban";

    /**
     * IBAN length per country, from the ISO 13616 IBAN registry: every SEPA country and the other registered
     * countries, among them those whose banks European senders most often write to.
     */
    static final Map<String, Integer> IBAN_LENGTHS = Map.ofEntries(
            Map.entry("AD", 24), Map.entry("AE", 23), Map.entry("AL", 28), Map.entry("AT", 20), Map.entry("AZ", 28),
            Map.entry("BA", 20), Map.entry("BE", 16), Map.entry("BG", 22), Map.entry("BH", 22), Map.entry("BI", 27),
            Map.entry("BR", 29), Map.entry("BY", 28), Map.entry("CH", 21), Map.entry("CR", 22), Map.entry("CY", 28),
            Map.entry("CZ", 24), Map.entry("DE", 22), Map.entry("DJ", 27), Map.entry("DK", 18), Map.entry("DO", 28),
            Map.entry("EE", 20), Map.entry("EG", 29), Map.entry("ES", 24), Map.entry("FI", 18), Map.entry("FK", 18),
            Map.entry("FO", 18), Map.entry("FR", 27), Map.entry("GB", 22), Map.entry("GE", 22), Map.entry("GI", 23),
            Map.entry("GL", 18), Map.entry("GR", 27), Map.entry("GT", 28), Map.entry("HN", 28), Map.entry("HR", 21),
            Map.entry("HU", 28), Map.entry("IE", 22), Map.entry("IL", 23), Map.entry("IQ", 23), Map.entry("IS", 26),
            Map.entry("IT", 27), Map.entry("JO", 30), Map.entry("KW", 30), Map.entry("KZ", 20), Map.entry("LB", 28),
            Map.entry("LC", 32), Map.entry("LI", 21), Map.entry("LT", 20), Map.entry("LU", 20), Map.entry("LV", 21),
            Map.entry("LY", 25), Map.entry("MC", 27), Map.entry("MD", 24), Map.entry("ME", 22), Map.entry("MK", 19),
            Map.entry("MN", 20), Map.entry("MR", 27), Map.entry("MT", 31), Map.entry("MU", 30), Map.entry("NI", 28),
            Map.entry("NL", 18), Map.entry("NO", 15), Map.entry("OM", 23), Map.entry("PK", 24), Map.entry("PL", 28),
            Map.entry("PS", 29), Map.entry("PT", 25), Map.entry("QA", 29), Map.entry("RO", 24), Map.entry("RS", 22),
            Map.entry("RU", 33), Map.entry("SA", 24), Map.entry("SC", 31), Map.entry("SD", 18), Map.entry("SE", 24),
            Map.entry("SI", 19), Map.entry("SK", 24), Map.entry("SM", 27), Map.entry("SO", 23), Map.entry("ST", 25),
            Map.entry("SV", 28), Map.entry("TL", 23), Map.entry("TN", 24), Map.entry("TR", 26), Map.entry("UA", 29),
            Map.entry("VA", 22), Map.entry("VG", 24), Map.entry("XK", 20), Map.entry("YE", 30));

    private static final Pattern EMAIL_PATTERN = Pattern.compile(
            "[\\p{L}\\p{N}._%+-]+@[\\p{L}\\p{N}-]+(?:\\.[\\p{L}\\p{N}-]+)*\\.\\p{L}{2,}");
    private static final Pattern IBAN_PATTERN = ibanPattern();
    private static final Pattern CARD_PATTERN = Pattern.compile("(?<![\\d+-])[1-9](?:[ -]?\\d){12,18}(?![\\d-])");
    private static final Pattern NATIONAL_ID_PATTERN = Pattern.compile(
            "(?<!\\d)(?!000|666|9\\d\\d)\\d{3}-(?!00)\\d{2}-(?!0000)\\d{4}(?!\\d)"
            + "|\\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\\d{2} ?\\d{2} ?\\d{2} ?[A-D]\\b");
    // After "+" or "00" and a country code the first group may be one digit (+33 1 ..., +353 1 ...); without one
    // it has two or more. A number joined to a word by a dash (SO-2026-4711, 4711-0815-A) is not a phone number,
    // and a group followed by ":" and a digit is the hour of a time (2026-11-25 14:30): the match ends before it.
    private static final Pattern PHONE_PATTERN = Pattern.compile(
            "(?<![\\w+-])(?i:tel:)?(?:(?:\\+|00)\\d{1,3}[ ./-]?(?:\\(\\d{1,5}\\)[ ./-]?)?\\d{1,5}"
            + "|(?:\\(\\d{1,5}\\)[ ./-]?)?\\d{2,5})(?:[ ./-]\\d{2,8}){1,4}(?!\\w|:\\d|-\\w)"
            + "|(?<![\\w+-])(?i:tel:)?\\+\\d{7,15}(?!\\w)");
    private static final Pattern DATE = Pattern.compile(
            "\\d{4}[-./]\\d{1,2}[-./]\\d{1,2}|\\d{1,2}[-./]\\d{1,2}[-./]\\d{2,4}");

    /** The rules in the order they run. */
    private static final Map<String, Rule> RULES = new LinkedHashMap<>();

    static {
        RULES.put(EMAIL, new Rule(EMAIL_PATTERN, match -> true, true, 0, false));
        // before card and phone: a German IBAN's 18-digit BBAN is shaped like both
        RULES.put(IBAN, new Rule(IBAN_PATTERN, PersonalData::passesMod97, false, 2, true));
        RULES.put(CARD, new Rule(CARD_PATTERN, PersonalData::passesLuhn, false, 13, false));
        // A UK National Insurance number has six digits, a Social Security number nine.
        RULES.put(NATIONAL_ID, new Rule(NATIONAL_ID_PATTERN, match -> true, false, 6, false));
        RULES.put(PHONE, new Rule(PHONE_PATTERN, PersonalData::looksLikePhoneNumber, false, 7, false));
    }

    /** What joins the digits of one digit group, at most two at a time. */
    private static final String DIGIT_JOINERS = " -./()";

    /**
     * A pattern, a check on what it matched, and what any accepted match needs: an {@code @} ({@code needsAt}),
     * at least {@code minDigits} ASCII digits in one digit group, and two ASCII letters right before two ASCII
     * digits ({@code needsLettersThenDigits}).
     */
    private record Rule(Pattern pattern, Predicate<String> accepts, boolean needsAt, int minDigits,
                        boolean needsLettersThenDigits) {

        boolean mayMatch(boolean hasAt, int largestDigitGroup, boolean hasLettersThenDigits) {
            return (hasAt || !needsAt) && largestDigitGroup >= minDigits
                    && (hasLettersThenDigits || !needsLettersThenDigits);
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
        boolean hasLettersThenDigits = false;
        int largestDigitGroup = 0;
        int group = 0;
        int joiners = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                // "DE89": the start of an IBAN
                hasLettersThenDigits |= i >= 3 && isAsciiDigit(text.charAt(i - 1))
                        && isAsciiLetter(text.charAt(i - 2)) && isAsciiLetter(text.charAt(i - 3));
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
            if (!enabledRules.contains(rule.getKey())
                    || !rule.getValue().mayMatch(hasAt, largestDigitGroup, hasLettersThenDigits)) {
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

    /**
     * Per registered country, its IBANs: the country code and two check digits, then the BBAN of exactly the
     * registered length, either unbroken or in groups of four after single spaces (the last group may be shorter).
     * One alternative per length, so a match never runs into the next word.
     */
    private static Pattern ibanPattern() {
        Map<Integer, List<String>> countriesByLength = new java.util.TreeMap<>();
        IBAN_LENGTHS.forEach((country, length) ->
                countriesByLength.computeIfAbsent(length, l -> new ArrayList<>()).add(country));
        List<String> alternatives = new ArrayList<>();
        countriesByLength.forEach((length, countries) -> {
            int bban = length - 4;
            String grouped = "(?: [A-Z0-9]{4}){" + bban / 4 + "}"
                    + (bban % 4 == 0 ? "" : " [A-Z0-9]{" + bban % 4 + "}");
            alternatives.add("(?:" + String.join("|", countries.stream().sorted().toList()) + ")\\d{2}"
                    + "(?:[A-Z0-9]{" + bban + "}|" + grouped + ")");
        });
        return Pattern.compile("(?<![A-Za-z0-9])(?:" + String.join("|", alternatives) + ")(?![A-Za-z0-9])",
                Pattern.CASE_INSENSITIVE);
    }

    /** ISO 7064 mod-97-10 as ISO 13616 applies it: the first four characters moved to the end, letters as 10..35. */
    static boolean passesMod97(String candidate) {
        String iban = candidate.replace(" ", "").toUpperCase(java.util.Locale.ROOT);
        Integer length = IBAN_LENGTHS.get(iban.substring(0, 2));
        if (length == null || iban.length() != length) {
            return false;
        }
        String rearranged = iban.substring(4) + iban.substring(0, 4);
        int remainder = 0;
        for (int i = 0; i < rearranged.length(); i++) {
            char c = rearranged.charAt(i);
            remainder = isAsciiDigit(c) ? (remainder * 10 + (c - '0')) % 97 : (remainder * 100 + (c - 'A' + 10)) % 97;
        }
        return remainder == 1;
    }

    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }

    private static boolean looksLikePhoneNumber(String candidate) {
        long digits = candidate.chars().filter(Character::isDigit).count();
        return digits >= 7 && digits <= 15 && !DATE.matcher(candidate).matches();
    }
}
