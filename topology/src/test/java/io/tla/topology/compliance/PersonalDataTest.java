package io.tla.topology.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PersonalDataTest {

    private static final List<String> ALL = List.of("email", "phone", "card", "national-id");

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
            "Q3 2026 revenue up 12 %", "Version 1.2.3", "Ticket 48213"})
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
}
