package io.tla.topology.preferences;

import io.tla.platform.kafka.KafkaClients;
import io.tla.schemas.Json;
import io.tla.schemas.LanguagePreference;
import io.tla.schemas.Topics;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * Writes and reads {@code tla.languages.v1} with plain Kafka clients, for the {@code tla languages} command. A
 * write is transactional (its transactional id is per tenant), so the topology's global store (read committed
 * under exactly-once) never sees half of one.
 */
public final class LanguagePreferencesTopic {

    private LanguagePreferencesTopic() {
    }

    /** The latest choice per key as of the read, and how many records could not be read as choices. */
    public record Snapshot(Map<String, LanguagePreference> preferences, int invalidRecords) {
        public Snapshot {
            preferences = Collections.unmodifiableMap(new TreeMap<>(preferences));
        }

        /** The choices of one tenant, in key order (channels, then people). */
        public List<LanguagePreference> tenant(String tenantId) {
            String prefix = LanguagePreference.keyPrefix(tenantId);
            return preferences.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                    .map(Map.Entry::getValue).filter(p -> p.tenantId().equals(tenantId)).toList();
        }

        /** The choice of one channel or person; null when none. */
        public LanguagePreference get(String tenantId, LanguagePreference.Scope scope, String id) {
            return preferences.get(LanguagePreference.storeKey(tenantId, scope, id));
        }
    }

    /** Puts {@code preference} under {@code key}, or clears the key when it is null. */
    public static void publish(KafkaClients clients, String tenantId, String key, LanguagePreference preference,
                               Duration timeout) {
        Map<String, Object> props = clients.properties("tla-languages");
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tla-languages-" + tenantId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
        try (KafkaProducer<String, LanguagePreference> producer = new KafkaProducer<>(props, new StringSerializer(),
                Topics.LANGUAGES.valueSerde().serializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            try {
                producer.send(new ProducerRecord<>(Topics.LANGUAGES.name(), key, preference));
                producer.commitTransaction();
            } catch (KafkaException e) {
                try {
                    producer.abortTransaction();
                } catch (KafkaException ignored) {
                    // the producer is fenced or broken: nothing was committed either way
                }
                throw new IllegalStateException("the language change was not committed: " + e.getMessage(), e);
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw unreachable(clients, e);
        }
    }

    /** Reads the whole topic up to its current end (committed records only). Empty when the topic is missing. */
    public static Snapshot read(KafkaClients clients, Duration timeout) {
        Map<String, Object> props = clients.properties("tla-languages-list");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(Topics.LANGUAGES.name(), timeout);
            if (infos == null || infos.isEmpty()) {
                return new Snapshot(Map.of(), 0);
            }
            List<TopicPartition> partitions = infos.stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            Map<String, LanguagePreference> preferences = new HashMap<>();
            int invalid = 0;
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reached(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s reading "
                            + Topics.LANGUAGES.name() + " from " + clients.bootstrapServers());
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key() == null) {
                        invalid++;
                    } else if (record.value() == null) {
                        preferences.remove(record.key());
                    } else {
                        try {
                            LanguagePreference preference = Json.mapper().readValue(record.value(),
                                    LanguagePreference.class);
                            if (record.key().equals(preference.storeKey())) {
                                preferences.put(record.key(), preference);
                            } else {
                                invalid++;
                            }
                        } catch (Exception e) {
                            invalid++;
                        }
                    }
                }
            }
            return new Snapshot(preferences, invalid);
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
