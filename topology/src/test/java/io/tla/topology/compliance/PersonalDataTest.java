package io.tla.topology.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PersonalDataTest {

    private static final List<String> ALL = List.of("email", "phone", "card", "national-id", "iban");

    private static PersonalData.Redaction redact(String text) {
        return PersonalData.redact(text, ALL);
    }

    @Test
    void replacesAnEmailAddressAndCountsIt() {
        PersonalData.Redaction r = redact("Bitte an anna.mueller@contoso.de und ben+teams@fabrikam.co.uk schicken.");

        assertThat(r.text()).isEqualTo("Bitte an [email] und [email] schicken.");
        assertThat(r.matches()).isEqualTo(Map.of("email", 2));
    }

    @Test
    void replacesACardNumberThatPassesTheLuhnCheckAndKeepsOneThatDoesNot() {
        assertThat(redact("Karte 4111 1111 1111 1111 bitte belasten").text()).isEqualTo("Karte [card] bitte belasten");
        assertThat(redact("card 5500-0000-0000-0004").text()).isEqualTo("card [card]");
        assertThat(redact("Bestellung 4111111111111112 ist unterwegs").matches()).doesNotContainKey("card");
    }

    @Test
    void replacesUsSocialSecurityAndUkNationalInsuranceNumbers() {
        assertThat(redact("SSN 123-45-6789 on file").text()).isEqualTo("SSN [national-id] on file");
        assertThat(redact("NI number AB 12 34 56 C, thanks").text()).isEqualTo("NI number [national-id], thanks");
        assertThat(redact("SSN 000-12-3456 is not valid").matches()).doesNotContainKey("national-id");
    }

    @ParameterizedTest
    @ValueSource(strings = {"+49 30 1234567", "0049 30 1234 5678", "(030) 123 4567", "0171-1234567", "+14155552671",
            "030/12345678", "+49 (30) 1234 567"})
    void replacesPhoneNumbersInTheirUsualNotations(String number) {
        PersonalData.Redaction r = redact("Ruf mich an: " + number + " danke");

        assertThat(r.text()).isEqualTo("Ruf mich an: [phone] danke");
        assertThat(r.rules()).containsExactly("phone");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Meeting am 25.11.2026 um 14:30", "Release 2026-11-25", "Raum 204, Stock 3",
            "Q3 2026 revenue up 12 %", "Version 1.2.3", "Ticket 48213", "Release v2.10.3 is out",
            "Meeting 2026-11-25 14:30 UTC", "Termin: 25.11.2026 14:30 Uhr", "Call at 09:30:00 on 2026/11/25",
            "Total: 1,234.56 EUR", "Invoice total 12,345,678.90 USD", "Order SO-2026-000123 shipped",
            "Bestellung 4711-0815-A ist da", "PO-4500012345", "Order #A-10023-77, 3 items",
            "Ref. AB12-3456-7890", "Lot 20261125-0042"})
    void leavesDatesTimesAndShortNumbersAlone(String text) {
        PersonalData.Redaction r = redact(text);

        assertThat(r.found()).isFalse();
        assertThat(r.text()).isEqualTo(text);
    }

    @Test
    void looksOnlyForTheEnabledRules() {
        PersonalData.Redaction r = PersonalData.redact("anna@contoso.de, +49 30 1234567", List.of("email"));

        assertThat(r.text()).isEqualTo("[email], +49 30 1234567");
        assertThat(r.rules()).containsExactly("email");
    }

    @Test
    void aCardNumberIsNotAlsoCountedAsAPhoneNumber() {
        PersonalData.Redaction r = redact("4111 1111 1111 1111");

        assertThat(r.matches()).isEqualTo(Map.of("card", 1));
    }

    @Test
    void findsEachKindWithTheFewestDigitsItCanHaveInsideALongMessage() {
        String filler = "Kurzer Text ohne Zahlen, damit die Nachricht lang wird. ".repeat(20);
        String text = filler + "NI AB 12 34 56 C, Telefon +1234567, Mail a@b.de. " + filler;

        PersonalData.Redaction r = redact(text);

        assertThat(r.matches()).isEqualTo(Map.of("email", 1, "national-id", 1, "phone", 1));
        assertThat(r.text()).contains("NI [national-id], Telefon [phone], Mail [email].");
    }

    // --- IBAN --------------------------------------------------------------------------------------------------

    /** Examples of the ISO 13616 registry: each passes the mod-97 check. */
    @ParameterizedTest
    @ValueSource(strings = {"DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "de89 3704 0044 0532 0130 00",
            "GB29 NWBK 6016 1331 9268 19", "FR14 2004 1010 0505 0001 3M02 606", "NL91 ABNA 0417 1643 00",
            "ES91 2100 0418 4502 0005 1332", "IT60 X054 2811 1010 0000 0123 456", "BE68 5390 0754 7034",
            "AT61 1904 3002 3457 3201", "CH93 0076 2011 6238 5295 7", "NO93 8601 1117 947",
            "PL61 1090 1014 0000 0712 1981 2874", "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
            "SA03 8000 0000 6080 1016 7519", "PT50 0002 0123 1234 5678 9015 4"})
    void replacesAValidIbanOfAnyRegisteredCountryWithOrWithoutSpaces(String iban) {
        PersonalData.Redaction r = redact("Bitte überweise an " + iban + ", danke.");

        assertThat(r.text()).isEqualTo("Bitte überweise an [iban], danke.");
        assertThat(r.matches()).isEqualTo(Map.of("iban", 1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"DE89 3704 0044 0532 0130 01", "DE88 3704 0044 0532 0130 00", "GB29 NWBK 6016 1331 9268 18",
            "NL91 ABNA 0417 1643 01", "FR14 2004 1010 0505 0001 3M02 607"})
    void doesNotTakeAnIbanWithOneCharacterChangedForAnIban(String changed) {
        assertThat(PersonalData.passesMod97(changed)).isFalse();
        assertThat(redact("IBAN " + changed).matches()).doesNotContainKey("iban");
    }

    @ParameterizedTest
    @ValueSource(strings = {"DE12 3456 7890 1234 5678 90", "XX89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130",
            "DE89 3704 0044 0532 0130 0011", "ABCD12345678901234", "US64 SVBK US6S 3300 9673 86"})
    void leavesStringsShapedLikeAnIbanButNotOneAsNoIban(String text) {
        assertThat(redact("Ref " + text + " ok").matches()).doesNotContainKey("iban");
    }

    @Test
    void runsTheIbanRuleBeforeCardAndPhoneSoItsDigitsAreNotTakenByThem() {
        // the German BBAN alone is 18 digits in groups of four: card- and phone-shaped
        PersonalData.Redaction r = redact("IBAN DE89 3704 0044 0532 0130 00, Tel. +49 30 1234567");

        assertThat(r.text()).isEqualTo("IBAN [iban], Tel. [phone]");
        assertThat(r.matches()).isEqualTo(Map.of("iban", 1, "phone", 1));
    }

    @Test
    void looksForIbansOnlyWhenEnabled() {
        PersonalData.Redaction r = PersonalData.redact("IBAN DE89 3704 0044 0532 0130 00",
                List.of("email", "phone", "card", "national-id"));

        assertThat(r.matches()).doesNotContainKey("iban");
    }

    @Test
    void theIbanPreCheckSkipsTextWithoutLettersBeforeDigitsYetFindsAnIbanAmidLongText() {
        String filler = "Kurzer Text ohne Kontonummer, damit die Nachricht lang wird. ".repeat(20);

        assertThat(redact(filler + "IBAN: NO93 8601 1117 947. " + filler).matches()).isEqualTo(Map.of("iban", 1));
        assertThat(redact(filler).found()).isFalse();
    }

    // --- international phone numbers -------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"+44 20 7946 0958", "+1 (555) 123-4567", "+1-555-123-4567", "+49 (0)30 12345678",
            "+33 1 23 45 67 89", "0044 20 7946 0958", "+81-3-1234-5678", "+91 98765 43210", "+86 138 0013 8000",
            "+353 1 234 5678", "tel:+14155552671", "+14155552671"})
    void replacesInternationalPhoneNumbersWhole(String number) {
        PersonalData.Redaction r = redact("Call me on " + number + " today");

        assertThat(r.text()).isEqualTo("Call me on [phone] today");
        assertThat(r.matches()).isEqualTo(Map.of("phone", 1));
    }
}
