package io.tla.bench;

import io.tla.platform.config.StreamsSettings;
import io.tla.platform.kafka.KafkaClients;
import io.tla.schemas.JsonSerde;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Topic;
import io.tla.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The pipeline benchmark's baseline: a bare Kafka Streams application that reads {@code teams.messages.v1},
 * deserialises each message from JSON and serialises it again to {@link #OUTPUT}. Same broker, same partition
 * count, the product's stream thread count (1 by default), {@code exactly_once_v2}, and the product's commit
 * interval and client latency settings, so the ratio measures what the topology's stages cost, not a
 * configuration difference.
 */
final class PassthroughStreamsApp implements AutoCloseable {

    static final Topic<String, NormalizedMessage> OUTPUT =
            new Topic<>("tla.bench.passthrough.v1", Serdes.String(), new JsonSerde<>(NormalizedMessage.class));

    private final KafkaStreams streams;
    private final CountDownLatch running = new CountDownLatch(1);

    PassthroughStreamsApp(KafkaClients clients, StreamsSettings product, Path stateDir) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(Topics.MESSAGES.name(), Consumed.with(Topics.MESSAGES.keySerde(), Topics.MESSAGES.valueSerde())
                        .withName("read-messages"))
                .to(OUTPUT.name(), Produced.with(OUTPUT.keySerde(), OUTPUT.valueSerde()).withName("write-passthrough"));
        Properties props = new Properties();
        for (Map.Entry<String, Object> entry : clients.properties("tla-bench-passthrough").entrySet()) {
            props.put(entry.getKey(), entry.getValue());
        }
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "tla-bench-passthrough");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, product.threads());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, product.commitIntervalMs());
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 1);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 50);
        this.streams = new KafkaStreams(builder.build(), props);
        streams.setStateListener((newState, oldState) -> {
            if (newState == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
        });
    }

    boolean awaitRunning() throws InterruptedException {
        return running.await(60, TimeUnit.SECONDS);
    }

    PassthroughStreamsApp start() {
        streams.start();
        return this;
    }

    @Override
    public void close() {
        streams.close(CloseOptions.timeout(Duration.ofSeconds(8))
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
}
