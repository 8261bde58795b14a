package io.tla.platform.kafka;

import io.tla.schemas.Topic;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Reading and writing the small compacted topics operators manage from the command line (tenant glossaries, tone
 * templates, languages per channel and person): the whole topic read to its current end, and changes written in
 * one transaction. What a record means is the caller's.
 */
public final class CompactedTopics {

    private CompactedTopics() {
    }

    /**
     * Hands every committed record of {@code topic}, from the beginning to the topic's end as of the call, to
     * {@code each}, in order per partition. Nothing when the topic does not exist.
     *
     * @param clientId names the consumer in the broker's logs ({@code tla-glossary-list})
     * @throws IllegalStateException when Kafka cannot be reached, or the end is not reached within {@code timeout}
     */
    public static void readAll(KafkaClients clients, String topic, String clientId, Duration timeout,
                               Consumer<ConsumerRecord<String, byte[]>> each) {
        Map<String, Object> props = clients.properties(clientId);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                return;
            }
            List<TopicPartition> partitions = infos.stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reached(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s reading " + topic
                            + " from " + clients.bootstrapServers());
                }
                consumer.poll(Duration.ofMillis(200)).forEach(each);
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw unreachable(clients, e);
        }
    }

    /**
     * Writes {@code records} (key to value, in the map's order; a null value is a tombstone) to {@code topic} in
     * one transaction: all or none. Two writers with the same {@code transactionalId} fence each other instead of
     * interleaving, so callers use one per tenant.
     *
     * @param what names the change in the error when it is not committed ({@code the glossary import})
     */
    public static <V> void writeAll(KafkaClients clients, Topic<String, V> topic, String transactionalId,
                                    Map<String, V> records, Duration timeout, String what) {
        Map<String, Object> props = clients.properties(transactionalId);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
        try (KafkaProducer<String, V> producer = new KafkaProducer<>(props, new StringSerializer(),
                topic.valueSerde().serializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            try {
                records.forEach((key, value) -> producer.send(new ProducerRecord<>(topic.name(), key, value)));
                producer.commitTransaction();
            } catch (KafkaException e) {
                try {
                    producer.abortTransaction();
                } catch (KafkaException ignored) {
                    // the producer is fenced or broken: nothing was committed either way
                }
                throw new IllegalStateException(what + " was not committed: " + e.getMessage(), e);
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw unreachable(clients, e);
        }
    }

    private static boolean reached(KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> partition : end.entrySet()) {
            if (consumer.position(partition.getKey()) < partition.getValue()) {
                return false;
            }
        }
        return true;
    }

    private static IllegalStateException unreachable(KafkaClients clients, Exception cause) {
        return new IllegalStateException("cannot reach Kafka at " + clients.bootstrapServers()
                + " (is ./tla run running, or kafka.bootstrap.servers set?): " + cause.getMessage(), cause);
    }
}
