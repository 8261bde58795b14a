package io.tla.platform.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tla.broker.EmbeddedKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopicFollowerTest {

    @TempDir
    static Path dir;

    private static EmbeddedKafkaBroker broker;
    private static KafkaClients clients;
    private static KafkaProducer<String, String> producer;

    @BeforeAll
    static void start() {
        broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
        clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        producer = new KafkaProducer<>(clients.properties("follower-test"), new StringSerializer(),
                new StringSerializer());
    }

    @AfterAll
    static void stop() {
        if (producer != null) {
            producer.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    private static void createTopic(String topic) throws Exception {
        createTopic(topic, 3);
    }

    private static void createTopic(String topic, int partitions) throws Exception {
        try (Admin admin = Admin.create(clients.properties("follower-test-admin"))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        }
    }

    private static void send(String topic, int partition, Instant at, String value) throws Exception {
        producer.send(new ProducerRecord<>(topic, partition, at.toEpochMilli(), "k", value)).get();
    }

    @Test
    void fromTheEndEveryInstanceSeesOnlyWhatArrivesAfterItStartedOnEveryPartition() throws Exception {
        createTopic("follow-end");
        for (int p = 0; p < 3; p++) {
            send("follow-end", p, Instant.now(), "before-" + p);
        }
        List<String> first = new CopyOnWriteArrayList<>();
        List<String> second = new CopyOnWriteArrayList<>();
        try (TopicFollower a = follower("follow-end", null, first); TopicFollower b = follower("follow-end", null, second)) {
            assertThat(a.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            assertThat(b.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            for (int p = 0; p < 3; p++) {
                send("follow-end", p, Instant.now(), "after-" + p);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> first.size() == 3 && second.size() == 3);
            assertThat(first).containsExactlyInAnyOrder("after-0", "after-1", "after-2");
            assertThat(second).containsExactlyInAnyOrderElementsOf(first); // no group splits the partitions
            assertThat(a.records()).isEqualTo(3);
        }
    }

    @ParameterizedTest(name = "{0} records on {1} partitions")
    @CsvSource({"1, 1", "3, 3", "200, 3", "500, 6", "1200, 12"})
    void fromTheBeginningEveryRecordOnEveryPartitionIsHandedOverBeforeCaughtUp(int count, int partitions)
            throws Exception {
        String topic = "follow-beginning-" + count + "-" + partitions;
        createTopic(topic, partitions);
        Set<String> written = new HashSet<>();
        for (int i = 0; i < count; i++) {
            String value = "v" + i;
            // every partition holds records: none is empty and left to a seek to its end
            var sent = producer.send(new ProducerRecord<>(topic, i % partitions, "k" + i % 50, value));
            if (i < partitions) {
                sent.get(); // one at a time until each new partition has its leader, then a burst
            }
            written.add(value);
        }
        producer.flush();
        List<String> seen = new CopyOnWriteArrayList<>();
        try (TopicFollower follower = follower(topic, TopicFollower.FROM_BEGINNING, seen)) {
            assertThat(follower.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            assertThat(new HashSet<>(seen)).hasSize(count).isEqualTo(written);
            assertThat(follower.records()).isEqualTo(count);
        }
    }

    @Test
    void fromAGivenTimeEveryPartitionWithNewerRecordsIsReadFromThem() throws Exception {
        createTopic("follow-time-all");
        Instant now = Instant.now();
        for (int p = 0; p < 3; p++) {
            send("follow-time-all", p, now.minus(Duration.ofHours(1)), "old-" + p);
            send("follow-time-all", p, now.minus(Duration.ofMinutes(1)), "new-" + p);
        }
        List<String> seen = new CopyOnWriteArrayList<>();
        try (TopicFollower follower = follower("follow-time-all", now.minus(Duration.ofMinutes(10)), seen)) {
            assertThat(follower.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            assertThat(seen).containsExactlyInAnyOrder("new-0", "new-1", "new-2");
        }
    }

    @Test
    void fromAGivenTimeRecordsOlderThanItAreSkipped() throws Exception {
        createTopic("follow-time");
        Instant now = Instant.now();
        send("follow-time", 0, now.minus(Duration.ofHours(1)), "an hour ago");
        send("follow-time", 1, now.minus(Duration.ofMinutes(1)), "a minute ago");
        send("follow-time", 2, now.minus(Duration.ofMinutes(2)), "two minutes ago");
        List<String> seen = new CopyOnWriteArrayList<>();
        try (TopicFollower follower = follower("follow-time", now.minus(Duration.ofMinutes(10)), seen)) {
            assertThat(follower.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            assertThat(seen).containsExactlyInAnyOrder("a minute ago", "two minutes ago");
        }
    }

    @Test
    void aTopicCreatedAfterTheFollowerStartedIsFollowedFromItsBeginning() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (TopicFollower follower = follower("follow-later", null, seen)) {
            Thread.sleep(500); // the follower has looked once and found no topic
            createTopic("follow-later");
            send("follow-later", 1, Instant.now(), "first");
            await().atMost(Duration.ofSeconds(30)).until(() -> seen.contains("first"));
            assertThat(follower.isCaughtUp()).isTrue();
        }
    }

    private static TopicFollower follower(String topic, Instant startAt, List<String> into) {
        return new TopicFollower(clients, "follower-" + topic + "-" + System.nanoTime(), topic, startAt,
                records -> records.forEach(r -> into.add(new String(r.value(), StandardCharsets.UTF_8)))).start();
    }
}
