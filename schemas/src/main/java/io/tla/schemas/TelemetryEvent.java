package io.tla.schemas;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One observation of the pipeline: the value of {@code tla.telemetry.v1}, keyed by tenant id.
 * {@code eventId} is deterministic where the event is derived from a message, so a re-processed message
 * yields the same id and the dashboard store counts it once. Attributes never hold message text or secrets.
 */
public record TelemetryEvent(
        String eventId,
        String type,
        String tenantId,
        String conversationId,
        String messageId,
        Instant at,
        Map<String, Object> attributes) {

    public TelemetryEvent {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(at, "at");
        attributes = attributes == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(attributes));
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
        public static final String MODEL_CALL = "model.call";
        public static final String MODEL_FALLBACK = "model.fallback";
        public static final String REPLY_EMITTED = "reply.emitted";
        public static final String REPLY_POSTED = "reply.posted";
        public static final String REPLY_FAILED = "reply.failed";

        private Types() {
        }
    }
}
