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
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds telemetry for a message. Event ids are deterministic per message and type, so re-processing dedupes.
 *
 * <p>What the stages observe about a message is carried with it as facts ({@link TranslationRequest#facts()}) and
 * sent once, by the stage where its path ends, as one {@code message.processed} event ({@link #processed}): one
 * record per message on {@code tla.telemetry.v1} instead of one per stage. Rare events ({@code budget.threshold},
 * {@code model.fallback}, {@code glossary.violation}) are still sent on their own ({@link #forMessage}).
 */
public final class TelemetryEvents {

    private TelemetryEvents() {
    }

    public static TelemetryEvent forMessage(String type, NormalizedMessage message, Instant at, Map<String, Object> attributes) {
        return new TelemetryEvent(TelemetryEvent.idFor(type, message.tenantId(), message.messageId()), type,
                message.tenantId(), message.conversationId(), message.messageId(), at, attributes);
    }

    /**
     * The one {@code message.processed} event of a message whose path ends here: its facts, keyed by type, each
     * with its attributes in name order. Id {@code message.processed:tenant:messageId}.
     */
    public static TelemetryEvent processed(NormalizedMessage message, Map<String, Map<String, Object>> facts,
                                           Instant at) {
        Map<String, Object> attributes = new HashMap<>();
        facts.forEach((type, fact) -> attributes.put(type, Collections.unmodifiableMap(new TreeMap<>(fact))));
        return forMessage(TelemetryEvent.Types.MESSAGE_PROCESSED, message, at, attributes);
    }

    /** {@link #processed} of a request's message and facts. */
    public static TelemetryEvent processed(TranslationRequest request, Instant at) {
        return processed(request.message(), request.facts(), at);
    }

    /**
     * {@code facts} and one more: the attributes of a {@code type} event (null values left out) and {@code at},
     * when it was observed. A type observed again replaces the earlier facts.
     */
    public static Map<String, Map<String, Object>> withFact(Map<String, Map<String, Object>> facts, String type,
                                                            Map<String, Object> attributes, Instant at) {
        Map<String, Object> fact = new LinkedHashMap<>();
        attributes.forEach((name, value) -> {
            if (value != null) {
                fact.put(name, value);
            }
        });
        fact.put(TelemetryEvent.FACT_AT, at.toString());
        Map<String, Map<String, Object>> all = new HashMap<>(facts);
        all.put(type, Collections.unmodifiableMap(fact));
        return all;
    }

    /**
     * The attributes of {@code reply.emitted}: a reply left the topology; {@code endToEndMs} counts from the
     * ingress accepting it. It is also the audit record of the request: who asked ({@code senderId}), for which
     * languages, which provider and model answered at what cost, and the original text only as its SHA-256
     * ({@code textSha256}), never the text.
     */
    public static Map<String, Object> replyEmitted(NormalizedMessage message, ReplyEvent reply, Instant at) {
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
        return attributes;
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
