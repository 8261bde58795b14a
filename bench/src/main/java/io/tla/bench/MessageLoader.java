package io.tla.bench;

import io.tla.platform.kafka.KafkaClients;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Topics;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/** Writes benchmark messages to {@code teams.messages.v1} as the ingress would: keyed by conversation, acks=all. */
final class MessageLoader {

    private MessageLoader() {
    }

    /**
     * Loads messages {@code 0..count-1}; {@code loadedNanos[i]} gets the {@link System#nanoTime()} at which
     * message {@code i} was created, which is also its {@code receivedAt} and record timestamp.
     */
    static void load(KafkaClients clients, SyntheticTraffic traffic, int count, long[] loadedNanos) {
        Map<String, Object> props = clients.properties("tla-bench-loader");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (KafkaProducer<String, NormalizedMessage> producer = new KafkaProducer<>(props, new StringSerializer(),
                Topics.MESSAGES.valueSerde().serializer())) {
            for (int i = 0; i < count; i++) {
                Instant now = Instant.now();
                loadedNanos[i] = System.nanoTime();
                NormalizedMessage message = traffic.message(i, now);
                producer.send(new ProducerRecord<>(Topics.MESSAGES.name(), null, now.toEpochMilli(),
                        message.conversationId(), message), (metadata, e) -> {
                            if (e != null) {
                                failure.compareAndSet(null, e);
                            }
                        });
            }
            producer.flush();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("loading benchmark messages failed: " + failure.get(), failure.get());
        }
    }
}
