package io.tla.topology.glossary;

import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.TelemetryEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Telemetry of the glossary check after the model answered. Attributes name the term, never the message or the
 * translation text.
 */
public final class GlossaryTelemetry {

    /** A glossary term the translation did not honour. */
    public static final String VIOLATION = TelemetryEvent.Types.GLOSSARY_VIOLATION;

    private GlossaryTelemetry() {
    }

    /**
     * {@code glossary.violation} with attributes {@code sourceTerm}, {@code targetLanguage}, {@code targetTerm},
     * {@code strict} and {@code scope}. The event id is deterministic per message, language and term, so a
     * re-processed message yields the same ids and several violations of one message stay distinct.
     */
    public static TelemetryEvent violation(NormalizedMessage message, GlossaryViolation violation, Instant at) {
        GlossaryTerm term = violation.term();
        String language = term.targetLanguage().toLowerCase(Locale.ROOT);
        UUID termId = UUID.nameUUIDFromBytes((GlossaryEntry.foldTerm(term.sourceTerm()) + '\u0000' + language)
                .getBytes(StandardCharsets.UTF_8));
        return new TelemetryEvent(VIOLATION + ":" + message.tenantId() + ":" + message.messageId() + ":" + termId,
                VIOLATION, message.tenantId(), message.conversationId(), message.messageId(), at, Map.of(
                        "sourceTerm", term.sourceTerm(),
                        "targetLanguage", term.targetLanguage(),
                        "targetTerm", term.targetTerm(),
                        "strict", term.strict(),
                        "scope", term.scope().wireName()));
    }

    /** One {@link #violation} event per violation, in order. */
    public static List<TelemetryEvent> violations(NormalizedMessage message, List<GlossaryViolation> violations,
                                                  Instant at) {
        return violations.stream().map(violation -> violation(message, violation, at)).toList();
    }
}
