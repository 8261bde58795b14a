package io.tla.topology.errors;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Counter;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.NormalizedMessage;
import io.tla.topology.StageOutput;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Turns a stage's {@link DeadLetter}s into records for {@code teams.messages.dlq.v1}: keyed by conversation, the
 * message as the input topic carries it, and the same {@code tla.error.*} headers {@link DeadLetterHandler} writes
 * (plus {@code tla.error.reason}). They leave in the transaction of the stage's reply.
 */
public final class DeadLetterRecords implements Processor<String, StageOutput, String, NormalizedMessage> {

    private final MeterRegistry meters;
    private ProcessorContext<String, NormalizedMessage> context;

    public DeadLetterRecords(MeterRegistry meters) {
        this.meters = meters;
    }

    @Override
    public void init(ProcessorContext<String, NormalizedMessage> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, StageOutput> record) {
        for (DeadLetter dead : record.value().deadLetters()) {
            Headers headers = new RecordHeaders();
            header(headers, ErrorHeaders.CLASS, dead.errorClass());
            header(headers, ErrorHeaders.MESSAGE, dead.errorMessage());
            header(headers, ErrorHeaders.STAGE, dead.stage());
            header(headers, ErrorHeaders.REASON, dead.reason());
            header(headers, ErrorHeaders.TOPIC, dead.topic());
            header(headers, ErrorHeaders.PARTITION, Integer.toString(dead.partition()));
            header(headers, ErrorHeaders.OFFSET, Long.toString(dead.offset()));
            header(headers, ErrorHeaders.AT, dead.at().toString());
            if (dead.replayAttempt() > 0) {
                // replay counts attempts from this header: a message that fails again can be parked
                header(headers, ErrorHeaders.REPLAY_ATTEMPT, Integer.toString(dead.replayAttempt()));
            }
            Counter.builder("tla.topology.dead.lettered").tag("stage", dead.stage())
                    .description("Records sent to teams.messages.dlq.v1").register(meters).increment();
            context.forward(new Record<>(dead.message().conversationId(), dead.message(), record.timestamp(), headers));
        }
    }

    private static void header(Headers headers, String name, String value) {
        headers.add(name, value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8));
    }
}
