package io.tla.app;

import io.tla.schemas.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads what is committed on a topic (read_committed), as any outside Kafka client would. */
final class CommittedTopic {

    private CommittedTopic() {
    }

    /** Every committed record, in offset order per partition. */
    static List<ConsumerRecord<String, String>> records(String bootstrap, String topic) {
        return records(bootstrap, topic, new StringDeserializer());
    }

    /** Every committed record with its value decoded by {@code values}, in offset order per partition. */
    static <V> List<ConsumerRecord<String, V>> records(String bootstrap, String topic, Deserializer<V> values) {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<String, V>> records = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
            }
        }
        return records;
    }

    /** Every committed value as {@code type}, across partitions in record-timestamp order. */
    static <T> List<T> values(String bootstrap, String topic, Class<T> type) throws IOException {
        List<ConsumerRecord<String, String>> records = new ArrayList<>(records(bootstrap, topic));
        records.sort(Comparator.comparingLong(ConsumerRecord::timestamp));
        List<T> values = new ArrayList<>();
        for (ConsumerRecord<String, String> record : records) {
            values.add(Json.mapper().readValue(record.value(), type));
        }
        return values;
    }
}
