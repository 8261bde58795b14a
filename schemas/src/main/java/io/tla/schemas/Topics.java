package io.tla.schemas;

import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Every topic of the contract, typed. Names are stable: operators and acceptance checks rely on them. */
public final class Topics {

    /** Accepted Teams activities, normalised; key: conversation id. */
    public static final Topic<String, NormalizedMessage> MESSAGES =
            new Topic<>("teams.messages.v1", Serdes.String(), new JsonSerde<>(NormalizedMessage.class));

    /** Reply events; key: conversation id. */
    public static final Topic<String, ReplyEvent> REPLIES =
            new Topic<>("teams.replies.v1", Serdes.String(), new JsonSerde<>(ReplyEvent.class));

    /** Telemetry events; key: tenant id. */
    public static final Topic<String, TelemetryEvent> TELEMETRY =
            new Topic<>("tla.telemetry.v1", Serdes.String(), new JsonSerde<>(TelemetryEvent.class));

    /** Messages the topology could not process, original bytes plus {@link ErrorHeaders}. */
    public static final Topic<byte[], byte[]> MESSAGES_DLQ =
            new Topic<>("teams.messages.dlq.v1", Serdes.ByteArray(), Serdes.ByteArray());

    /** Replies a connector could not post, original bytes plus {@link ErrorHeaders}. */
    public static final Topic<byte[], byte[]> REPLIES_DLQ =
            new Topic<>("teams.replies.dlq.v1", Serdes.ByteArray(), Serdes.ByteArray());

    /** The topics a deployment must have before any role starts. */
    public static final List<Topic<?, ?>> ALL = List.of(MESSAGES, REPLIES, TELEMETRY, MESSAGES_DLQ, REPLIES_DLQ);

    private Topics() {
    }

    public static <T> Serde<T> json(Class<T> type) {
        return new JsonSerde<>(type);
    }
}
