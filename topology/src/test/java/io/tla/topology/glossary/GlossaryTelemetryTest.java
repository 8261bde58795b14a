package io.tla.topology.glossary;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.ContractSchema;
import io.tla.schemas.ConversationType;
import io.tla.schemas.GlossaryEntry.Scope;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Sender;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GlossaryTelemetryTest {

    private static final Instant AT = Instant.parse("2026-11-25T10:15:30Z");
    private static final NormalizedMessage MESSAGE = new NormalizedMessage("1732540000001", "t1", "19:c@thread.tacv2;messageid=1",
            ConversationType.CHANNEL, new Sender("29:1", "Anna Müller", "aad-anna"), "Die API ist bereit, bitte deploy",
            "team", "19:c@thread.tacv2", "1", "https://smba.trafficmanager.net/emea/", AT.minusMillis(40));

    @Test
    void violationEventNamesTheTermButNeverTheMessageOrTranslationText() {
        List<GlossaryTerm> terms = List.of(
                new GlossaryTerm("API", "en", "interface", true, Scope.TENANT),
                new GlossaryTerm("deploy", "en", "roll out", true, Scope.USER));
        List<Translation> translations = List.of(new Translation("en", "The API is ready, please deploy"));
        List<TelemetryEvent> events = GlossaryTelemetry.violations(MESSAGE, Glossary.violations(terms, translations), AT);

        assertThat(events).hasSize(2);
        TelemetryEvent first = events.get(0);
        assertThat(first.type()).isEqualTo("glossary.violation");
        assertThat(first.tenantId()).isEqualTo("t1");
        assertThat(first.messageId()).isEqualTo(MESSAGE.messageId());
        assertThat(first.attributes()).isEqualTo(Map.of("sourceTerm", "API", "targetLanguage", "en",
                "targetTerm", "interface", "strict", true, "scope", "tenant"));
        assertThat(events.get(1).attributes()).containsEntry("scope", "user");
        assertThat(events).extracting(TelemetryEvent::eventId).doesNotHaveDuplicates();
        for (TelemetryEvent event : events) {
            assertThat(ContractSchema.TELEMETRY_EVENT.violationsOf(event)).isEmpty();
            assertThat(event.attributes().values()).noneMatch(value ->
                    value.equals(MESSAGE.text()) || value.equals(translations.get(0).text()));
        }
    }

    @Test
    void violationEventIdIsTheSameWhenTheMessageIsProcessedAgain() {
        GlossaryViolation violation = new GlossaryViolation(new GlossaryTerm("API", "en", "interface", true, Scope.TENANT));
        GlossaryViolation sameTermOtherCase = new GlossaryViolation(new GlossaryTerm("api", "EN", "interface", true, Scope.TENANT));
        assertThat(GlossaryTelemetry.violation(MESSAGE, violation, AT).eventId())
                .isEqualTo(GlossaryTelemetry.violation(MESSAGE, violation, AT.plusSeconds(5)).eventId())
                .isEqualTo(GlossaryTelemetry.violation(MESSAGE, sameTermOtherCase, AT).eventId());
    }
}
