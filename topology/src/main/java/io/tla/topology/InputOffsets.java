package io.tla.topology;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The offset of a request's record on the by-tenant repartition topic, which later stages key their stores by. A
 * stage that holds a request back and forwards it later from a punctuator (the rate limit) has no input record
 * then: Kafka Streams reports offset -1 for punctuations. It puts the original offset in the
 * {@value #HEADER} header instead, and {@link #of} prefers that header.
 */
public final class InputOffsets {

    /** Set only by the topology on records it forwards from a punctuator; any incoming one is removed first. */
    public static final String HEADER = "tla.input.offset";

    private InputOffsets() {
    }

    /**
     * The record's input offset: its {@value #HEADER} header, else the offset of the record being processed, else
     * (no input record at all) {@link System#nanoTime()}, which orders within this process.
     */
    public static long of(Record<?, ?> record, ProcessorContext<?, ?> context) {
        Header header = record.headers().lastHeader(HEADER);
        if (header != null && header.value() != null) {
            try {
                return Long.parseLong(new String(header.value(), StandardCharsets.UTF_8));
            } catch (NumberFormatException unreadable) {
                // fall through to the record's own position
            }
        }
        return context.recordMetadata().map(m -> m.offset()).filter(offset -> offset >= 0)
                .orElseGet(System::nanoTime);
    }

    /** {@code headers} with {@value #HEADER} set to {@code offset} (any earlier value removed). */
    public static Headers with(Headers headers, long offset) {
        headers.remove(HEADER);
        headers.add(HEADER, Long.toString(offset).getBytes(StandardCharsets.UTF_8));
        return headers;
    }
}
