package io.tla.dashboard.feed;

import io.tla.dashboard.store.StoredEvent;
import io.tla.schemas.Json;
import io.tla.schemas.TelemetryEvent;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Turns the value bytes of a {@code tla.telemetry.v1} record into rows, or says why it cannot: one row per event,
 * and for the topology's {@code message.processed} event one per type it carries (see {@link StoredEvent#rowsOf}).
 */
public final class TelemetryDecoder {

    /** The outcome for one record: exactly one of {@code events} (the rows) and {@code reason} is set. */
    public record Decoded(List<StoredEvent> events, String reason) {
        public boolean ok() {
            return events != null;
        }
    }

    private TelemetryDecoder() {
    }

    public static Decoded decode(byte[] value) {
        if (value == null) {
            return new Decoded(null, "null value");
        }
        try {
            TelemetryEvent event = Json.mapper().readValue(value, TelemetryEvent.class);
            if (event == null) {
                return new Decoded(null, "JSON null");
            }
            if (event.eventId().isBlank() || event.type().isBlank() || event.tenantId().isBlank()) {
                return new Decoded(null, "blank eventId, type or tenantId");
            }
            // the rows it stands for are identified by the message: without one they would collide
            if (TelemetryEvent.Types.MESSAGE_PROCESSED.equals(event.type())
                    && (event.messageId() == null || event.messageId().isBlank())) {
                return new Decoded(null, "message.processed without messageId");
            }
            return new Decoded(StoredEvent.rowsOf(event), null);
        } catch (IOException | RuntimeException e) {
            return new Decoded(null, reason(e));
        }
    }

    /** A reason that names the field or position only: a poison record's content is never echoed. */
    static String reason(Exception e) {
        if (e instanceof ValueInstantiationException && e.getCause() instanceof NullPointerException npe) {
            return "missing required field " + npe.getMessage();
        }
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            String path = mapping.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                    .collect(Collectors.joining("."));
            return "invalid field " + path + " (" + e.getClass().getSimpleName() + ")";
        }
        if (e instanceof JsonProcessingException json && json.getLocation() != null) {
            return "malformed JSON at line " + json.getLocation().getLineNr() + " column "
                    + json.getLocation().getColumnNr() + " (" + e.getClass().getSimpleName() + ")";
        }
        return e.getClass().getSimpleName();
    }
}
