package io.tla.topology;

import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds telemetry for a message. Event ids are deterministic per message and type, so re-processing dedupes. */
public final class TelemetryEvents {

    private TelemetryEvents() {
    }

    public static TelemetryEvent forMessage(String type, NormalizedMessage message, Instant at, Map<String, Object> attributes) {
        return new TelemetryEvent(type + ":" + message.tenantId() + ":" + message.messageId(), type,
                message.tenantId(), message.conversationId(), message.messageId(), at, attributes);
    }

    /**
     * {@code reply.emitted}: a reply left the topology; {@code endToEndMs} counts from the ingress accepting it. It
     * is also the audit record of the request: who asked ({@code senderId}), for which languages, which provider and
     * model answered at what cost, and the original text only as its SHA-256 ({@code textSha256}), never the text.
     */
    public static TelemetryEvent replyEmitted(NormalizedMessage message, ReplyEvent reply, Instant at) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("replyId", reply.replyId());
        attributes.put("kind", reply.kind().wireName());
        attributes.put("provider", reply.provider());
        attributes.put("languages", String.join(",", reply.translations().stream().map(Translation::language).toList()));
        attributes.put("endToEndMs", Duration.between(message.receivedAt(), at).toNanos() / 1_000_000.0);
        if (reply.model() != null) {
            attributes.put("model", reply.model());
        }
        if (reply.sourceLanguage() != null) {
            attributes.put("sourceLanguage", reply.sourceLanguage());
        }
        if (message.from() != null) {
            String sender = message.from().aadObjectId() != null ? message.from().aadObjectId() : message.from().id();
            if (sender != null) {
                attributes.put("senderId", sender);
            }
        }
        attributes.put("textSha256", sha256(message.text() == null ? "" : message.text()));
        attributes.put("inputTokens", reply.usage().inputTokens());
        attributes.put("outputTokens", reply.usage().outputTokens());
        attributes.put("costUsd", reply.usage().costUsd());
        return forMessage(TelemetryEvent.Types.REPLY_EMITTED, message, at, attributes);
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
