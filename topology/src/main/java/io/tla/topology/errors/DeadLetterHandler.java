package io.tla.topology.errors;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import io.tla.schemas.ConversationType;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.Json;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import io.tla.topology.ReplyIds;
import io.tla.topology.TelemetryEvents;
import io.tla.topology.TranslationRequest;
import io.tla.topology.serde.BinarySerde;
import io.tla.topology.serde.CompactSerdes;
import io.tla.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a record the topology cannot deserialise or process to {@code teams.messages.dlq.v1}, tells the sender
 * with a {@code failed} reply when the record names a message (and sends the {@code message.processed} telemetry of
 * a request that failed after earlier stages observed it), and keeps the stream thread running. The dead-letter
 * record carries the source record's original key and value bytes (a by-tenant repartition record's value as the
 * JSON message it holds) and
 * {@code tla.error.*} headers (exception class and message, stage, source topic, partition and offset, time), so
 * the replay tool can re-publish it unchanged. Under exactly-once the dead-letter record is written in the same
 * transaction as the input offset, so a failure is recorded exactly once.
 */
public final class DeadLetterHandler implements ProcessingExceptionHandler, DeserializationExceptionHandler {

    /** Streams config key under which the app passes its {@link MeterRegistry} (an object, not a string). */
    public static final String METER_REGISTRY_CONFIG = "tla.meter.registry";

    private static final Logger log = LoggerFactory.getLogger(DeadLetterHandler.class);
    private static final int MAX_MESSAGE_LENGTH = 1000;

    private MeterRegistry meters;

    @Override
    public void configure(Map<String, ?> configs) {
        Object registry = configs.get(METER_REGISTRY_CONFIG);
        meters = registry instanceof MeterRegistry meterRegistry ? meterRegistry : null;
    }

    @Override
    public ProcessingExceptionHandler.Response handleError(ErrorHandlerContext context, Record<?, ?> record,
                                                           Exception exception) {
        List<ProducerRecord<byte[], byte[]>> records = records(context, context.processorNodeId(), exception,
                heldMessage(context, record));
        processedTelemetry(record).ifPresent(records::add);
        return ProcessingExceptionHandler.Response.resume(records);
    }

    @Override
    public DeserializationExceptionHandler.Response handleError(ErrorHandlerContext context,
                                                                ConsumerRecord<byte[], byte[]> record,
                                                                Exception exception) {
        return DeserializationExceptionHandler.Response.resume(records(context, "deserialize", exception, null));
    }

    /**
     * The message of a request a stage held back and forwarded from a punctuator (the rate limit releasing it):
     * there is no source record then, so the dead letter is the message itself, under its conversation id, as
     * {@code teams.messages.v1} carries it. Null when the failed record has a source record (the usual case).
     */
    static NormalizedMessage heldMessage(ErrorHandlerContext context, Record<?, ?> record) {
        if (context.sourceRawValue() != null || record == null) {
            return null;
        }
        if (record.value() instanceof TranslationRequest request) {
            return request.message();
        }
        return record.value() instanceof NormalizedMessage message ? message : null;
    }

    /** The dead-letter record and, when the failed record names a message, a {@code failed} reply to its sender. */
    private List<ProducerRecord<byte[], byte[]>> records(ErrorHandlerContext context, String stage, Exception exception,
                                                         NormalizedMessage held) {
        byte[] key = context.sourceRawKey();
        byte[] value = asJson(context.sourceRawValue());
        if (held != null) {
            key = held.conversationId().getBytes(StandardCharsets.UTF_8);
            value = Topics.MESSAGES.valueSerde().serializer().serialize(Topics.MESSAGES.name(), held);
        }
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        records.add(deadLetter(context, stage, exception, key, value));
        failedReply(value).ifPresent(records::add);
        return records;
    }

    /**
     * The failed record's value as the dead-letter topic carries it: JSON, as on {@code teams.messages.v1}. A record
     * of the by-tenant repartition topic is in the topology's binary form; it is written out as the JSON message it
     * holds, so replay can re-publish it. Bytes that are not a readable binary message stay as they were.
     */
    static byte[] asJson(byte[] rawValue) {
        if (rawValue == null || rawValue.length == 0 || rawValue[0] != BinarySerde.FORMAT) {
            return rawValue;
        }
        try {
            return Json.mapper().writeValueAsBytes(CompactSerdes.MESSAGE.decode(rawValue));
        } catch (java.io.IOException | RuntimeException unreadable) {
            return rawValue;
        }
    }

    /**
     * The sender is told: the failed record is a message ({@code teams.messages.v1} or the by-tenant
     * repartition), or a request wrapping one (kept for records dead-lettered by earlier releases' topologies,
     * which replay may bring back). Bytes that are not such JSON get no reply, only the dead-letter record.
     */
    private static Instant instant(JsonNode node, String field) {
        try {
            return text(node, field) == null ? null : Instant.parse(text(node, field));
        } catch (java.time.format.DateTimeParseException unparsable) {
            return null;
        }
    }

    static Optional<ProducerRecord<byte[], byte[]>> failedReply(byte[] rawValue) {
        if (rawValue == null) {
            return Optional.empty();
        }
        try {
            JsonNode node = Json.mapper().readTree(rawValue);
            JsonNode m = node.has("message") ? node.get("message") : node;
            String messageId = text(m, "messageId");
            String tenantId = text(m, "tenantId");
            String conversationId = text(m, "conversationId");
            if (messageId == null || tenantId == null || conversationId == null) {
                return Optional.empty();
            }
            // Built from the fields one by one: the record may be unreadable as a whole (that may be the failure).
            ConversationType type = null;
            try {
                type = text(m, "conversationType") == null ? null : ConversationType.fromWireName(text(m, "conversationType"));
            } catch (IllegalArgumentException unknown) {
                // addressing falls back to the conversation id
            }
            Instant received = instant(m, "receivedAt"); // null: no end-to-end latency for this one
            Instant replyDeadline = instant(m, "replyDeadline"); // the notice may still answer the webhook call
            ReplyEvent reply = new ReplyEvent(ReplyIds.of(tenantId, messageId, ReplyKind.FAILED), tenantId,
                    conversationId, messageId, ReplyKind.FAILED, null,
                    List.of(new Translation("en", "Sorry, this message could not be translated.")), "tla", null, null,
                    Instant.now(), type, text(m, "teamAadGroupId"), text(m, "channelId"), text(m, "rootMessageId"),
                    text(m, "serviceUrl"), received, m.path("from").isObject() ? text(m.get("from"), "aadObjectId") : null,
                    text(m, "teamId"), replyDeadline, text(m, "registration"));
            return Optional.of(new ProducerRecord<>(Topics.REPLIES.name(), conversationId.getBytes(StandardCharsets.UTF_8),
                    Topics.REPLIES.valueSerde().serializer().serialize(Topics.REPLIES.name(), reply)));
        } catch (java.io.IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * A request that failed after earlier stages observed it: its path ends here, so what they observed is sent as
     * its one {@code message.processed} event, as where a path ends normally (the message still counts).
     */
    static Optional<ProducerRecord<byte[], byte[]>> processedTelemetry(Record<?, ?> record) {
        if (record == null || !(record.value() instanceof TranslationRequest request) || request.facts().isEmpty()) {
            return Optional.empty();
        }
        try {
            TelemetryEvent event = TelemetryEvents.processed(request, Instant.now());
            return Optional.of(new ProducerRecord<>(Topics.TELEMETRY.name(),
                    event.tenantId().getBytes(StandardCharsets.UTF_8),
                    Topics.TELEMETRY.valueSerde().serializer().serialize(Topics.TELEMETRY.name(), event)));
        } catch (RuntimeException e) {
            return Optional.empty(); // the dead letter matters more than its telemetry
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isTextual() && !value.asText().isBlank() ? value.asText() : null;
    }

    private ProducerRecord<byte[], byte[]> deadLetter(ErrorHandlerContext context, String stage, Exception exception,
                                                      byte[] key, byte[] value) {
        Headers headers = new RecordHeaders();
        header(headers, ErrorHeaders.CLASS, exception.getClass().getName());
        header(headers, ErrorHeaders.MESSAGE, truncate(String.valueOf(exception.getMessage())));
        header(headers, ErrorHeaders.STAGE, stage);
        header(headers, ErrorHeaders.TOPIC, context.topic());
        header(headers, ErrorHeaders.PARTITION, Integer.toString(context.partition()));
        header(headers, ErrorHeaders.OFFSET, Long.toString(context.offset()));
        header(headers, ErrorHeaders.AT, Instant.now().toString());
        // a replayed message that fails again keeps its attempt count, so replay can park it past the maximum
        copyReplayHeaders(context.headers(), headers);
        log.warn("event=dead_lettered stage={} topic={} partition={} offset={} error={}", stage, context.topic(),
                context.partition(), context.offset(), exception.getClass().getName());
        if (meters != null) {
            Counter.builder("tla.topology.dead.lettered").tag("stage", stage)
                    .description("Records sent to teams.messages.dlq.v1").register(meters).increment();
        }
        return new ProducerRecord<>(Topics.MESSAGES_DLQ.name(), null, key, value, headers);
    }

    /** The source record's {@code tla.replay.*} headers, onto the dead-letter record. */
    static void copyReplayHeaders(Headers source, Headers target) {
        if (source == null) {
            return;
        }
        for (String name : new String[] {ErrorHeaders.REPLAY_ATTEMPT, ErrorHeaders.REPLAY_OF}) {
            org.apache.kafka.common.header.Header header = source.lastHeader(name);
            if (header != null) {
                target.add(name, header.value());
            }
        }
    }

    private static void header(Headers headers, String name, String value) {
        headers.add(name, value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8));
    }

    private static String truncate(String message) {
        return message.length() <= MAX_MESSAGE_LENGTH ? message : message.substring(0, MAX_MESSAGE_LENGTH) + "…";
    }
}
