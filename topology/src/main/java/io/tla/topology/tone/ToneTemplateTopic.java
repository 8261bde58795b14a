package io.tla.topology.tone;

import io.tla.platform.kafka.KafkaClients;
import io.tla.schemas.Json;
import io.tla.schemas.ToneTemplateEntry;
import io.tla.schemas.Topics;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes and reads {@code tla.tones.v1} with plain Kafka clients, for the {@code tla tone} command. A template is
 * one record, written with {@code acks=all} and waited for, so when {@code set} or {@code remove} returns the
 * change is on the topic and every topology instance's global store picks it up within moments.
 */
public final class ToneTemplateTopic {

    private ToneTemplateTopic() {
    }

    /** The latest template per key as of the read, and how many records could not be read as templates. */
    public record Snapshot(Map<String, ToneTemplateEntry> templates, int invalidRecords) {
        public Snapshot {
            templates = Collections.unmodifiableMap(new TreeMap<>(templates));
        }

        /** Every template, in key order: per tenant, the tenant-wide one ({@code TENANT/*}) before its channels'. */
        public List<ToneTemplateEntry> all() {
            return templates.values().stream()
                    .sorted(java.util.Comparator.comparing(ToneTemplateEntry::tenantId)
                            .thenComparing(entry -> entry.channelId() == null ? "" : entry.channelId()))
                    .toList();
        }

        /** One tenant's templates, the tenant-wide one first. */
        public List<ToneTemplateEntry> tenant(String tenantId) {
            return all().stream().filter(entry -> entry.tenantId().equals(tenantId)).toList();
        }

        /** The template under exactly this key, or null. */
        public ToneTemplateEntry get(String tenantId, String channelId) {
            return templates.get(ToneTemplateEntry.storeKey(tenantId, channelId));
        }
    }

    /** Puts {@code entry} under its {@link ToneTemplateEntry#storeKey()}. */
    public static void put(KafkaClients clients, ToneTemplateEntry entry, Duration timeout) {
        send(clients, entry.storeKey(), entry, timeout);
    }

    /** Writes the tombstone that removes the template of a tenant ({@code channelId} null) or channel. */
    public static void remove(KafkaClients clients, String tenantId, String channelId, Duration timeout) {
        send(clients, ToneTemplateEntry.storeKey(tenantId, channelId), null, timeout);
    }

    private static void send(KafkaClients clients, String key, ToneTemplateEntry value, Duration timeout) {
        Map<String, Object> props = clients.properties("tla-tone");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        // the delivery timeout must cover linger plus one request
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) (timeout.toMillis() / 2));
        try (KafkaProducer<String, ToneTemplateEntry> producer = new KafkaProducer<>(props, new StringSerializer(),
                Topics.TONES.valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(Topics.TONES.name(), key, value))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw unreachable(clients, e.getCause() == null ? e : (Exception) e.getCause());
        } catch (TimeoutException | org.apache.kafka.common.errors.TimeoutException e) {
            throw unreachable(clients, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing to " + Topics.TONES.name(), e);
        }
    }

    /** Reads the whole topic up to its current end (committed records only). Empty when the topic is missing. */
    public static Snapshot read(KafkaClients clients, Duration timeout) {
        Map<String, Object> props = clients.properties("tla-tone-list");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(Topics.TONES.name(), timeout);
            if (infos == null || infos.isEmpty()) {
                return new Snapshot(Map.of(), 0);
            }
            List<TopicPartition> partitions = infos.stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            Map<String, ToneTemplateEntry> templates = new HashMap<>();
            Map<String, Boolean> invalid = new HashMap<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reached(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s reading "
                            + Topics.TONES.name() + " from " + clients.bootstrapServers());
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    apply(record, templates, invalid);
                }
            }
            return new Snapshot(templates, (int) invalid.values().stream().filter(Boolean::booleanValue).count());
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw unreachable(clients, e);
        }
    }

    /**
     * As the topology's store does: a valid record replaces, a tombstone removes, an invalid one leaves the
     * template as it was. {@code invalid} tracks per key whether its latest record was unreadable.
     */
    private static void apply(ConsumerRecord<String, byte[]> record, Map<String, ToneTemplateEntry> templates,
                              Map<String, Boolean> invalid) {
        String key = record.key() == null ? "" : record.key();
        if (record.key() == null) {
            invalid.put(key, true);
        } else if (record.value() == null) {
            templates.remove(key);
            invalid.put(key, false);
        } else {
            try {
                ToneTemplateEntry entry = Json.mapper().readValue(record.value(), ToneTemplateEntry.class);
                if (key.equals(entry.storeKey())) {
                    templates.put(key, entry);
                    invalid.put(key, false);
                } else {
                    invalid.put(key, true);
                }
            } catch (Exception e) {
                invalid.put(key, true);
            }
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
        return new IllegalStateException("cannot write to or read " + Topics.TONES.name() + " at "
                + clients.bootstrapServers() + " (is ./tla run running, or kafka.bootstrap.servers set?): "
                + cause.getMessage(), cause);
    }
}
