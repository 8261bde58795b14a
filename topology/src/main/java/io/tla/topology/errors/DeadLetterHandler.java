package io.tla.topology.errors;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
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
 * Sends a record the topology cannot deserialise or process to {@code teams.messages.dlq.v1} and keeps the
 * stream thread running. The dead-letter record carries the source record's original key and value bytes and
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
        return ProcessingExceptionHandler.Response.resume(List.of(deadLetter(context, context.processorNodeId(), exception)));
    }

    @Override
    public DeserializationExceptionHandler.Response handleError(ErrorHandlerContext context,
                                                                ConsumerRecord<byte[], byte[]> record,
                                                                Exception exception) {
        return DeserializationExceptionHandler.Response.resume(List.of(deadLetter(context, "deserialize", exception)));
    }

    private ProducerRecord<byte[], byte[]> deadLetter(ErrorHandlerContext context, String stage, Exception exception) {
        Headers headers = new RecordHeaders();
        header(headers, ErrorHeaders.CLASS, exception.getClass().getName());
        header(headers, ErrorHeaders.MESSAGE, truncate(String.valueOf(exception.getMessage())));
        header(headers, ErrorHeaders.STAGE, stage);
        header(headers, ErrorHeaders.TOPIC, context.topic());
        header(headers, ErrorHeaders.PARTITION, Integer.toString(context.partition()));
        header(headers, ErrorHeaders.OFFSET, Long.toString(context.offset()));
        header(headers, ErrorHeaders.AT, Instant.now().toString());
        log.warn("event=dead_lettered stage={} topic={} partition={} offset={} error={}", stage, context.topic(),
                context.partition(), context.offset(), exception.getClass().getName());
        if (meters != null) {
            Counter.builder("tla.topology.dead.lettered").tag("stage", stage)
                    .description("Records sent to teams.messages.dlq.v1").register(meters).increment();
        }
        return new ProducerRecord<>(Topics.MESSAGES_DLQ.name(), null, context.sourceRawKey(), context.sourceRawValue(),
                headers);
    }

    private static void header(Headers headers, String name, String value) {
        headers.add(name, value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8));
    }

    private static String truncate(String message) {
        return message.length() <= MAX_MESSAGE_LENGTH ? message : message.substring(0, MAX_MESSAGE_LENGTH) + "…";
    }
}
