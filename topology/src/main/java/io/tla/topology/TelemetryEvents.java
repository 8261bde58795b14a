package io.tla.topology;

import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/** Builds telemetry for a message. Event ids are deterministic per message and type, so re-processing dedupes. */
public final class TelemetryEvents {

    private TelemetryEvents() {
    }

    public static TelemetryEvent forMessage(String type, NormalizedMessage message, Instant at, Map<String, Object> attributes) {
        return new TelemetryEvent(type + ":" + message.tenantId() + ":" + message.messageId(), type,
                message.tenantId(), message.conversationId(), message.messageId(), at, attributes);
    }

    /** {@code reply.emitted}: a reply left the topology; {@code endToEndMs} counts from the ingress accepting it. */
    public static TelemetryEvent replyEmitted(NormalizedMessage message, ReplyEvent reply, Instant at) {
        return forMessage(TelemetryEvent.Types.REPLY_EMITTED, message, at, Map.of(
                "replyId", reply.replyId(),
                "kind", reply.kind().wireName(),
                "provider", reply.provider(),
                "languages", String.join(",", reply.translations().stream().map(Translation::language).toList()),
                "endToEndMs", Duration.between(message.receivedAt(), at).toNanos() / 1_000_000.0));
    }
}
