package io.tla.schemas;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One observation of the pipeline: the value of {@code tla.telemetry.v1}, keyed by tenant id.
 * {@code eventId} is deterministic where the event is derived from a message, so a re-processed message
 * yields the same id and the dashboard store counts it once. Attributes never hold message text or secrets.
 *
 * <p>The topology sends one {@link Types#MESSAGE_PROCESSED} event per message: its attributes are keyed by the
 * per-message types ({@link Types#PER_MESSAGE}), each holding the attributes that type's own event has, plus
 * {@code at}, when the stage observed it. {@link #perType()} reads it back as those separate events.
 */
public record TelemetryEvent(
        String eventId,
        String type,
        String tenantId,
        String conversationId,
        String messageId,
        Instant at,
        Map<String, Object> attributes) {

    /** Inside a {@link Types#MESSAGE_PROCESSED} event: when the stage that reported a type observed it. */
    public static final String FACT_AT = "at";

    public TelemetryEvent {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(at, "at");
        attributes = attributes == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(attributes));
    }

    /** The id a per-message event of {@code type} has: {@code type:tenant:messageId}. */
    public static String idFor(String type, String tenantId, String messageId) {
        return type + ":" + tenantId + ":" + messageId;
    }

    /**
     * The separate events this one stands for: for a {@link Types#MESSAGE_PROCESSED} event, one per type it
     * carries, each with the id, time and attributes that type's own event has ({@code type:tenant:messageId},
     * the type's {@code at}, its attributes without {@code at}); attributes that are not objects are skipped.
     * Any other event stands for itself.
     */
    public List<TelemetryEvent> perType() {
        if (!Types.MESSAGE_PROCESSED.equals(type)) {
            return List.of(this);
        }
        List<TelemetryEvent> events = new ArrayList<>(attributes.size());
        attributes.forEach((factType, value) -> {
            if (value instanceof Map<?, ?> facts) {
                Map<String, Object> factAttributes = new LinkedHashMap<>();
                Instant factAt = at;
                for (Map.Entry<?, ?> entry : facts.entrySet()) {
                    String name = String.valueOf(entry.getKey());
                    if (FACT_AT.equals(name)) {
                        factAt = instantOr(entry.getValue(), at);
                    } else {
                        factAttributes.put(name, entry.getValue());
                    }
                }
                events.add(new TelemetryEvent(idFor(factType, tenantId, messageId), factType, tenantId,
                        conversationId, messageId, factAt, factAttributes));
            }
        });
        return events;
    }

    /** The attributes of {@code wanted}: this event's own, or those a combined event carries under that type. */
    public Optional<Map<String, Object>> facts(String wanted) {
        return perType().stream().filter(event -> event.type().equals(wanted)).findFirst()
                .map(TelemetryEvent::attributes);
    }

    private static Instant instantOr(Object value, Instant fallback) {
        if (value instanceof String text) {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                return fallback;
            }
        }
        return fallback;
    }

    /** The telemetry types the pipeline emits; consumers must ignore types they do not know. */
    public static final class Types {
        public static final String BUDGET_DECISION = "budget.decision";
        /** A tenant's spend reached 80 % or 100 % of a limit: once per limit, threshold and period. */
        public static final String BUDGET_THRESHOLD = "budget.threshold";
        /** A message already in the tenant's only target language: not sent to the model, no reply. */
        public static final String TRANSLATION_SKIPPED = "translation.skipped";
        /** A strict glossary term the model's answer did not use (flagged in the reply). */
        public static final String GLOSSARY_VIOLATION = "glossary.violation";
        /** Personal data found in a message: which rules fired and what was done (never the matched text). */
        public static final String PII_DETECTED = "pii.detected";
        public static final String CONTEXT_RETRIEVED = "context.retrieved";
        /**
         * Where a request's target languages came from: how many the tenant, the channel and the people of the
         * conversation added to the union, and how many were left over the cap.
         */
        public static final String LANGUAGES_RESOLVED = "languages.resolved";
        /** A language command sent to the bot: scope, action, outcome and the languages it named. */
        public static final String LANGUAGE_COMMAND = "language.command";
        public static final String MODEL_CALL = "model.call";
        public static final String MODEL_FALLBACK = "model.fallback";
        public static final String REPLY_EMITTED = "reply.emitted";
        public static final String REPLY_POSTED = "reply.posted";
        public static final String REPLY_FAILED = "reply.failed";
        /**
         * The per-tenant rate limit let a message through ({@code decision} allowed or released, with
         * {@code waitedMs}) or refused it after waiting (a fact of its {@link #MESSAGE_PROCESSED} event).
         */
        public static final String RATE_LIMIT = "rate.limit";
        /**
         * The topology's one event per message, sent where the message's path ends (replied, refused, skipped,
         * dead-lettered): id {@code message.processed:tenant:messageId}, attributes keyed by the
         * {@link #PER_MESSAGE} types the message went through.
         */
        public static final String MESSAGE_PROCESSED = "message.processed";
        /** The types a {@link #MESSAGE_PROCESSED} event carries; they are no longer sent as events of their own. */
        public static final Set<String> PER_MESSAGE = Set.of(BUDGET_DECISION, PII_DETECTED, CONTEXT_RETRIEVED,
                TRANSLATION_SKIPPED, MODEL_CALL, REPLY_EMITTED, RATE_LIMIT, LANGUAGES_RESOLVED, LANGUAGE_COMMAND);

        private Types() {
        }
    }
}
