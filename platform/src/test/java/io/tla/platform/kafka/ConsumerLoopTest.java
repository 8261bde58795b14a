package io.tla.platform.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tla.broker.EmbeddedKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsumerLoopTest {

    @TempDir
    static Path dir;

    private static EmbeddedKafkaBroker broker;
    private static KafkaClients clients;
    private static final AtomicInteger topics = new AtomicInteger();

    @BeforeAll
    static void start() {
        broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
        clients = new KafkaClients(broker.bootstrapServers(), Map.of());
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void aHandlerThatFinishesInHandleHasEveryOffsetCommittedAfterIt() throws Exception {
        String topic = topicWith(20);
        List<String> seen = new CopyOnWriteArrayList<>();
        try (ConsumerLoop loop = loop(topic, "sync", 100, (records, batch) -> records.forEach(r -> seen.add(value(r))))) {
            loop.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> committed(topic, "sync") == 20);
        }
        assertThat(seen).hasSize(20).doesNotHaveDuplicates();
    }

    @Test
    void aFailedBatchIsReadAgainFromTheCommittedOffsetAndNothingIsCommittedBeforeItSucceeds() throws Exception {
        String topic = topicWith(10);
        AtomicInteger calls = new AtomicInteger();
        List<Long> committedWhileFailing = new CopyOnWriteArrayList<>();
        List<String> stored = new CopyOnWriteArrayList<>();
        try (ConsumerLoop loop = loop(topic, "failing", 100, (records, batch) -> {
            if (calls.incrementAndGet() <= 2) {
                committedWhileFailing.add(committed(topic, "failing"));
                throw new IllegalStateException("store unavailable");
            }
            records.forEach(r -> stored.add(value(r)));
        })) {
            loop.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> committed(topic, "failing") == 10);
            assertThat(loop.alive()).isTrue();
            assertThat(loop.state().consecutiveFailures()).isZero();
        }
        assertThat(committedWhileFailing).containsOnly(0L);
        assertThat(stored).hasSize(10).doesNotHaveDuplicates();
    }

    @Test
    void deferredRecordsHoldTheCommitAtTheOldestUnfinishedOne() throws Exception {
        String topic = topicWith(6);
        List<ConsumerLoop.Ticket> tickets = Collections.synchronizedList(new ArrayList<>());
        try (ConsumerLoop loop = loop(topic, "deferred", 100,
                (records, batch) -> records.forEach(r -> tickets.add(batch.defer(r))))) {
            loop.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> tickets.size() == 6);
            // finished out of order: 1, 2 and 5; offset 0 is still open, so nothing may be committed
            tickets.get(1).done();
            tickets.get(2).done();
            tickets.get(5).done();
            Thread.sleep(1_500);
            assertThat(committed(topic, "deferred")).isZero();
            tickets.get(0).done();
            await().atMost(Duration.ofSeconds(10)).until(() -> committed(topic, "deferred") == 3);
            tickets.get(3).done();
            tickets.get(4).done();
            await().atMost(Duration.ofSeconds(10)).until(() -> committed(topic, "deferred") == 6);
        }
    }

    @Test
    void aPartitionWithTooMuchUnfinishedWorkIsPausedUntilHalfOfItIsDone() throws Exception {
        String topic = topicWith(40);
        List<ConsumerLoop.Ticket> tickets = Collections.synchronizedList(new ArrayList<>());
        try (ConsumerLoop loop = loop(topic, "paused", 8,
                (records, batch) -> records.forEach(r -> tickets.add(batch.defer(r))))) {
            loop.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> tickets.size() >= 8);
            Thread.sleep(1_500);
            // one poll may bring more than the limit; after it, the partition stays paused
            int heldWhilePaused = tickets.size();
            assertThat(heldWhilePaused).isLessThan(40);
            Thread.sleep(1_000);
            assertThat(tickets).hasSize(heldWhilePaused);
            List<ConsumerLoop.Ticket> firstTaken = List.copyOf(tickets);
            firstTaken.forEach(ConsumerLoop.Ticket::done);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                List.copyOf(tickets).forEach(ConsumerLoop.Ticket::done);
                return committed(topic, "paused") == 40;
            });
        }
        assertThat(tickets).hasSize(40);
    }

    @Test
    void aRecordStillDeferredIsNotHandedOverAgainAfterARewind() throws Exception {
        String topic = topicWith(3);
        List<String> handed = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        List<ConsumerLoop.Ticket> tickets = new CopyOnWriteArrayList<>();
        try (ConsumerLoop loop = loop(topic, "rewind", 100, (records, batch) -> {
            for (ConsumerRecord<byte[], byte[]> record : records) {
                handed.add(value(record));
                if (value(record).equals("m0")) {
                    tickets.add(batch.defer(record)); // long-running work on the first record
                }
            }
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("the rest of the batch failed");
            }
        })) {
            loop.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> calls.get() >= 2);
            tickets.forEach(ConsumerLoop.Ticket::done);
            await().atMost(Duration.ofSeconds(10)).until(() -> committed(topic, "rewind") == 3);
        }
        assertThat(handed.stream().filter("m0"::equals).count()).isEqualTo(1);
        assertThat(handed.stream().filter("m1"::equals).count()).isEqualTo(2);
    }

    private static ConsumerLoop loop(String topic, String group, int maxPending, ConsumerLoop.Handler handler) {
        Map<String, Object> props = clients.properties("loop-test-" + group);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, topic + "-" + group);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10);
        return new ConsumerLoop(new ConsumerLoop.Settings("loop-test-" + group, Duration.ofMillis(100),
                Duration.ofMillis(50), Duration.ofMillis(200), maxPending), List.of(topic),
                () -> new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer()), handler,
                null);
    }

    private static String value(ConsumerRecord<byte[], byte[]> record) {
        return new String(record.value(), StandardCharsets.UTF_8);
    }

    private static String topicWith(int records) throws Exception {
        String topic = "loop-" + topics.incrementAndGet();
        try (Admin admin = Admin.create(clients.properties("loop-test-admin"))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(clients.properties("loop-test-producer"),
                new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, "k", "m" + i)).get();
            }
        }
        return topic;
    }

    private static long committed(String topic, String group) {
        try (Admin admin = Admin.create(clients.properties("loop-test-offsets"))) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(topic + "-" + group)
                    .partitionsToOffsetAndMetadata().get();
            OffsetAndMetadata offset = offsets.get(new TopicPartition(topic, 0));
            return offset == null ? 0 : offset.offset();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
