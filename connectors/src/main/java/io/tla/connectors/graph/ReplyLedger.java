package io.tla.connectors.graph;

import io.tla.connectors.replies.ReplyIdMemory;
import io.tla.platform.kafka.KafkaClients;
import io.tla.schemas.ReplyLedgerEntry;
import io.tla.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reply connector's memory of what it posted ({@code tla.replies.ledger.v1}), held per owned partition. When
 * the connector is given replies partition {@code p} it reads ledger partition {@code p} from its start, so a new
 * owner after a rebalance or a restart knows every reply the previous owner confirmed, and every reply it had
 * started to post without confirming.
 *
 * <p>The memory is bounded ({@code graph.ledger.max-ids-per-partition}, the oldest forgotten first), not the ledger:
 * a reply read again after its entry was forgotten is answered {@link Known#MAYBE_FORGOTTEN}, and the connector
 * looks for its marker in Teams before posting, as for a post that was never confirmed. A reply produced after the
 * newest forgotten entry (less the clocks' skew) cannot have been forgotten, so a miss is {@link Known#ABSENT}.
 */
final class ReplyLedger implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReplyLedger.class);
    private static final String TOPIC = Topics.REPLY_LEDGER.name();

    private final KafkaConsumer<String, ReplyLedgerEntry> reader;
    private final Serializer<String> keySerializer = Topics.REPLY_LEDGER.keySerde().serializer();
    private final Serializer<ReplyLedgerEntry> valueSerializer = Topics.REPLY_LEDGER.valueSerde().serializer();
    private final Map<Integer, ReplyIdMemory> byPartition = new ConcurrentHashMap<>();
    private final int maxIdsPerPartition;

    /** What the memory knows of a reply. */
    enum Known {
        /** Never recorded (or its entry was deleted). */
        ABSENT,
        /** Its post was started and not confirmed: Graph may hold it. */
        POSTING,
        POSTED,
        /** Older than what the memory still holds: it may have been posted. */
        MAYBE_FORGOTTEN
    }

    private static final byte POSTING = 1;
    private static final byte POSTED = 2;
    /** Entries are stamped by the connector's clock and replies by the topology's: allow for the two differing. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(10);

    ReplyLedger(KafkaClients clients, String clientId, int maxIdsPerPartition) {
        this.maxIdsPerPartition = maxIdsPerPartition;
        Map<String, Object> props = clients.properties(clientId);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        Deserializer<ReplyLedgerEntry> values = Topics.REPLY_LEDGER.valueSerde().deserializer();
        this.reader = new KafkaConsumer<>(props, new StringDeserializer(), (topic, data) -> {
            try {
                return data == null ? null : values.deserialize(topic, data);
            } catch (RuntimeException e) {
                return null; // an unreadable entry is treated as absent; the marker check still guards the post
            }
        });
    }

    /** Reads the ledger partitions matching {@code replyPartitions} from their start to their current end. */
    void load(Collection<TopicPartition> replyPartitions) {
        List<TopicPartition> ledger = new ArrayList<>();
        for (TopicPartition tp : replyPartitions) {
            ledger.add(new TopicPartition(TOPIC, tp.partition()));
        }
        if (ledger.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        reader.assign(ledger);
        reader.seekToBeginning(ledger);
        Map<TopicPartition, Long> end = reader.endOffsets(ledger, Duration.ofSeconds(30));
        Map<Integer, ReplyIdMemory> loaded = new HashMap<>();
        ledger.forEach(tp -> loaded.put(tp.partition(), new ReplyIdMemory(maxIdsPerPartition)));
        int records = 0;
        while (ledger.stream().anyMatch(tp -> reader.position(tp, Duration.ofSeconds(30)) < end.get(tp))) {
            for (ConsumerRecord<String, ReplyLedgerEntry> record : reader.poll(Duration.ofMillis(500))) {
                records++;
                ReplyIdMemory entries = loaded.get(record.partition());
                if (record.value() == null) {
                    entries.remove(record.key());
                } else {
                    remember(entries, record.value());
                }
            }
        }
        reader.unsubscribe();
        byPartition.putAll(loaded);
        log.info("event=reply_ledger_loaded partitions={} records={} held={} forgotten={} millis={}", ledger,
                records, loaded.values().stream().mapToInt(ReplyIdMemory::size).sum(),
                loaded.values().stream().mapToLong(ReplyIdMemory::forgotten).sum(),
                (System.nanoTime() - started) / 1_000_000);
    }

    /** Forgets partitions this instance no longer owns. */
    void drop(Collection<TopicPartition> replyPartitions) {
        replyPartitions.forEach(tp -> byPartition.remove(tp.partition()));
    }

    /** What is known of {@code replyId}, read from replies partition {@code partition} and produced at {@code producedAt}. */
    Known get(int partition, String replyId, Instant producedAt) {
        ReplyIdMemory entries = byPartition.get(partition);
        if (entries == null) {
            return Known.ABSENT;
        }
        switch (entries.get(replyId)) {
            case POSTING:
                return Known.POSTING;
            case POSTED:
                return Known.POSTED;
            default:
                Instant forgottenThrough = entries.forgottenThrough();
                return forgottenThrough != null && !producedAt.isAfter(forgottenThrough.plus(CLOCK_SKEW))
                        ? Known.MAYBE_FORGOTTEN : Known.ABSENT;
        }
    }

    /** Records {@code entry} for a reply read from replies partition {@code partition}. */
    Future<RecordMetadata> record(Producer<byte[], byte[]> producer, int partition, ReplyLedgerEntry entry) {
        remember(byPartition.computeIfAbsent(partition, p -> new ReplyIdMemory(maxIdsPerPartition)), entry);
        return producer.send(new ProducerRecord<>(TOPIC, partition, keySerializer.serialize(TOPIC, entry.replyId()),
                valueSerializer.serialize(TOPIC, entry)));
    }

    private static void remember(ReplyIdMemory entries, ReplyLedgerEntry entry) {
        entries.put(entry.replyId(), entry.state() == ReplyLedgerEntry.State.POSTED ? POSTED : POSTING, entry.at());
    }

    int size() {
        return byPartition.values().stream().mapToInt(ReplyIdMemory::size).sum();
    }

    /** Ids forgotten by the memories of the partitions held now. */
    long forgotten() {
        return byPartition.values().stream().mapToLong(ReplyIdMemory::forgotten).sum();
    }

    @Override
    public void close() {
        reader.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
