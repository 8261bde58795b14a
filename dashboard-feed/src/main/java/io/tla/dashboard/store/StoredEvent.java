package io.tla.dashboard.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.tla.schemas.Json;
import io.tla.schemas.TelemetryEvent;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One row of the store: the event's identity and time, the attributes as JSON and the fields the queries read,
 * extracted once on the way in. An attribute of the wrong type leaves its column null; it never rejects the event.
 * {@code quality} is, for a {@code model.call} event, the verification of the model's answers ({@link ModelQuality});
 * null for other types and for model calls of releases before verification.
 */
public record StoredEvent(
        String eventId,
        String type,
        String tenantId,
        String conversationId,
        String messageId,
        long atMillis,
        String decision,
        String kind,
        String provider,
        String outcome,
        Double costUsd,
        Double latencyMs,
        Double endToEndMs,
        Long inputTokens,
        Long outputTokens,
        String sink,
        String syncReply,
        String attributesJson,
        Audit audit,
        ModelQuality quality) {

    /** {@code sink} values of a {@code reply.posted} event: the delivery paths the dashboard counts. */
    public static final String SINK_WEBHOOK_RESPONSE = "webhook-response";
    public static final String SINK_OUTBOX = "outbox";
    public static final String SINK_GRAPH = "graph";
    /** {@code syncReply} values: the reply to a sync-reply registration was (not) in Teams' webhook response. */
    public static final String SYNC_ANSWERED = "answered";
    public static final String SYNC_MISSED = "missed";

    /**
     * The attributes of a {@code reply.emitted} event the audit trail keeps (null for other types); never the
     * text, only its SHA-256.
     */
    public record Audit(String replyId, String senderId, String sourceLanguage, String targetLanguages,
                        String model, String textSha256) {
    }

    /**
     * Attribute names that would carry message content in the pipeline's own events. Telemetry never sets them;
     * dropping them here keeps the store free of message text even if a producer gets that wrong.
     */
    private static final Set<String> CONTENT_ATTRIBUTES = Set.of("text", "translations", "body", "content");

    /**
     * The rows of an event: one for an event of one type; for a {@code message.processed} event, one per type it
     * carries, each the row that type's own event is stored as (its id {@code type:tenant:messageId}, its time,
     * its attributes). A message counts the same whichever way its telemetry was sent, and a re-delivered
     * combined event adds nothing, as a re-delivered separate one.
     */
    public static List<StoredEvent> rowsOf(TelemetryEvent event) {
        return event.perType().stream().map(StoredEvent::from).toList();
    }

    /** The row of an event of one type. */
    public static StoredEvent from(TelemetryEvent event) {
        Map<String, Object> attributes = new TreeMap<>(event.attributes());
        attributes.keySet().removeIf(key -> CONTENT_ATTRIBUTES.contains(key.toLowerCase(java.util.Locale.ROOT)));
        String json;
        try {
            json = Json.mapper().writeValueAsString(attributes);
        } catch (JsonProcessingException e) {
            // Attributes came from JSON, so they always serialise back; keep the row rather than lose the event.
            json = "{}";
        }
        return new StoredEvent(event.eventId(), event.type(), event.tenantId(), event.conversationId(),
                event.messageId(), event.at().toEpochMilli(),
                string(attributes.get("decision")), string(attributes.get("kind")),
                provider(event.type(), attributes), string(attributes.get("outcome")),
                number(attributes.get("costUsd")), number(attributes.get("latencyMs")),
                number(attributes.get("endToEndMs")), integer(attributes.get("inputTokens")),
                integer(attributes.get("outputTokens")), string(attributes.get("sink")),
                string(attributes.get("syncReply")), json, audit(event.type(), attributes),
                DashboardStore.MODEL_CALL.equals(event.type()) ? ModelQuality.of(attributes) : null);
    }

    /** A fallback names no provider of its own: it is counted against the provider it fell back from. */
    private static String provider(String type, Map<String, Object> attributes) {
        String provider = string(attributes.get("provider"));
        if (provider == null && DashboardStore.MODEL_FALLBACK.equals(type)) {
            return string(attributes.get("from"));
        }
        return provider;
    }

    private static Audit audit(String type, Map<String, Object> attributes) {
        if (!DashboardStore.REPLY_EMITTED.equals(type)) {
            return null;
        }
        return new Audit(string(attributes.get("replyId")), string(attributes.get("senderId")),
                string(attributes.get("sourceLanguage")), string(attributes.get("languages")),
                string(attributes.get("model")), string(attributes.get("textSha256")));
    }

    /**
     * The provider a rollup row is kept under: the event's provider, else '' (budget decisions, posts and the
     * like have none).
     */
    public String rollupProvider() {
        return provider != null ? provider : "";
    }

    private static String string(Object value) {
        return value instanceof String s ? s : null;
    }

    private static Double number(Object value) {
        if (value instanceof Number n) {
            double d = n.doubleValue();
            return Double.isFinite(d) ? d : null;
        }
        return null;
    }

    private static Long integer(Object value) {
        return value instanceof Number n ? n.longValue() : null;
    }
}
