package io.tla.topology.glossary;

import io.tla.platform.kafka.KafkaClients;
import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.Json;
import io.tla.schemas.Topics;
import java.time.Duration;
import java.util.Collection;
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
 * Writes and reads {@code tla.glossary.v1} with plain Kafka clients, for the {@code tla glossary} command. An
 * import is one transaction, so the topology's global store (read committed under exactly-once) sees a file's
 * entries all at once or not at all.
 */
public final class GlossaryTopic {

    private GlossaryTopic() {
    }

    /** The latest entry per key as of the read, and how many records could not be read as entries. */
    public record Snapshot(Map<String, GlossaryEntry> entries, int invalidRecords) {
        public Snapshot {
            entries = java.util.Collections.unmodifiableMap(new TreeMap<>(entries));
        }

        /** Entries of one tenant, in key order (scope, scope id, term, language). */
        public List<GlossaryEntry> tenant(String tenantId) {
            String prefix = GlossaryEntry.keyPrefix(tenantId);
            return entries.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                    .map(Map.Entry::getValue).filter(entry -> entry.tenantId().equals(tenantId)).toList();
        }
    }

    /**
     * Puts {@code entries} under their {@link GlossaryEntry#storeKey()} and writes a tombstone for each of
     * {@code deletedKeys}, in one transaction. The transactional id is per tenant, so two imports for one tenant
     * at the same time fence each other instead of interleaving.
     */
    public static void publish(KafkaClients clients, String tenantId, Collection<GlossaryEntry> entries,
                               Collection<String> deletedKeys, Duration timeout) {
        Map<String, Object> props = clients.properties("tla-glossary-import");
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tla-glossary-import-" + tenantId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
        try (KafkaProducer<String, GlossaryEntry> producer = new KafkaProducer<>(props, new StringSerializer(),
                Topics.GLOSSARY.valueSerde().serializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            try {
                for (GlossaryEntry entry : entries) {
                    producer.send(new ProducerRecord<>(Topics.GLOSSARY.name(), entry.storeKey(), entry));
                }
                for (String key : deletedKeys) {
                    producer.send(new ProducerRecord<>(Topics.GLOSSARY.name(), key, null));
                }
                producer.commitTransaction();
            } catch (KafkaException e) {
                try {
                    producer.abortTransaction();
                } catch (KafkaException ignored) {
                    // the producer is fenced or broken: nothing was committed either way
                }
                throw new IllegalStateException("the glossary import was not committed: " + e.getMessage(), e);
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw unreachable(clients, e);
        }
    }

    /** Reads the whole topic up to its current end (committed records only). Empty when the topic is missing. */
    public static Snapshot read(KafkaClients clients, Duration timeout) {
        Map<String, Object> props = clients.properties("tla-glossary-list");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(Topics.GLOSSARY.name(), timeout);
            if (infos == null || infos.isEmpty()) {
                return new Snapshot(Map.of(), 0);
            }
            List<TopicPartition> partitions = infos.stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            Map<String, GlossaryEntry> entries = new HashMap<>();
            int invalid = 0;
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reached(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s reading "
                            + Topics.GLOSSARY.name() + " from " + clients.bootstrapServers());
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key() == null) {
                        invalid++;
                    } else if (record.value() == null) {
                        entries.remove(record.key());
                    } else {
                        try {
                            GlossaryEntry entry = Json.mapper().readValue(record.value(), GlossaryEntry.class);
                            if (record.key().equals(entry.storeKey())) {
                                entries.put(record.key(), entry);
                            } else {
                                invalid++;
                            }
                        } catch (Exception e) {
                            invalid++;
                        }
                    }
                }
            }
            return new Snapshot(entries, invalid);
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
