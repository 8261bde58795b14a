package io.tla.bench;

import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Topics;
import io.tla.topology.model.ModelRequest;
import io.tla.topology.model.ModelResponse;
import io.tla.topology.model.OfflineModelProvider;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The per-record hot code of the topology, without Kafka: the JSON serdes of the message and reply topics and
 * the offline provider. {@link #perRecord} chains what every message costs at least once (read the message,
 * translate offline, write the reply) and is sampled for percentiles; the others measure throughput alone.
 * Run through {@code ./tla bench --scenario serde}.
 */
@State(Scope.Thread)
public class SerdeBenchmark {

    private static final String TOPIC = Topics.MESSAGES.name();

    private Serializer<NormalizedMessage> messageSerializer;
    private Deserializer<NormalizedMessage> messageDeserializer;
    private Serializer<ReplyEvent> replySerializer;
    private Deserializer<ReplyEvent> replyDeserializer;
    private OfflineModelProvider offline;
    private NormalizedMessage message;
    private byte[] messageJson;
    private ModelRequest request;
    private ReplyEvent reply;
    private byte[] replyJson;

    @Setup
    public void setUp() {
        messageSerializer = Topics.MESSAGES.valueSerde().serializer();
        messageDeserializer = Topics.MESSAGES.valueSerde().deserializer();
        replySerializer = Topics.REPLIES.valueSerde().serializer();
        replyDeserializer = Topics.REPLIES.valueSerde().deserializer();
        offline = new OfflineModelProvider("offline");
        message = new SyntheticTraffic("jmh-", 1_000, 5, 1_024).message(42, Instant.parse("2026-11-25T10:15:30.123Z"));
        messageJson = messageSerializer.serialize(TOPIC, message);
        request = request(message);
        reply = reply(message, offline.translate(request).toCompletableFuture().join());
        replyJson = replySerializer.serialize(Topics.REPLIES.name(), reply);
    }

    private static ModelRequest request(NormalizedMessage message) {
        return new ModelRequest(message.tenantId(), message.conversationId(), message.messageId(), message.text(),
                List.of("en"), List.of(), 1024, "de", "business", List.of());
    }

    private static ReplyEvent reply(NormalizedMessage m, ModelResponse response) {
        return ReplyEvent.answering(m, "reply-" + m.messageId(), ReplyKind.TRANSLATION, response.sourceLanguage(),
                response.translations(), response.provider(), response.model(), response.usage(), m.receivedAt());
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public NormalizedMessage deserializeMessage() {
        return messageDeserializer.deserialize(TOPIC, messageJson);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public byte[] serializeMessage() {
        return messageSerializer.serialize(TOPIC, message);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public ReplyEvent deserializeReply() {
        return replyDeserializer.deserialize(TOPIC, replyJson);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public byte[] serializeReply() {
        return replySerializer.serialize(TOPIC, reply);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public ModelResponse offlineTranslate() {
        return offline.translate(request).toCompletableFuture().join();
    }

    /** Read a message, translate it offline, write the reply: the least every record costs. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public byte[] perRecord() {
        NormalizedMessage m = messageDeserializer.deserialize(TOPIC, messageJson);
        ModelResponse response = offline.translate(request(m)).toCompletableFuture().join();
        return replySerializer.serialize(TOPIC, reply(m, response));
    }
}
