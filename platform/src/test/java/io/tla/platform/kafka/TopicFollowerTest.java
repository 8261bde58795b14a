package io.tla.platform.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
        try (Admin admin = Admin.create(clients.properties("follower-test-admin"))) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
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
