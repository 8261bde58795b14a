package io.tla.connectors.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.connectors.replay.DeadLetterReplay.Action;
import io.tla.connectors.replay.DeadLetterReplay.Request;
import io.tla.connectors.replay.DeadLetterReplay.Result;
import io.tla.connectors.replay.DeadLetterReplay.Row;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replay against a real broker. Each test writes dead letters for its own tenant and selects by it, so tests
 * sharing the broker do not see each other's records.
 */
class DeadLetterReplayTest {

    @TempDir
    static Path brokerDir;

    private static EmbeddedKafkaBroker broker;
    private static KafkaClients clients;
    private static KafkaProducer<byte[], byte[]> producer;

    private final String tenant = "tenant-" + UUID.randomUUID();
    private final List<String> progress = new ArrayList<>();

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaBroker(brokerDir.resolve("kafka"), 0, 0).start();
        clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        List<io.tla.schemas.Topic<?, ?>> topics = new ArrayList<>(Topics.ALL);
        topics.add(Topics.REPLAY);
        TopicAdmin.ensureTopics(clients, topics, 2, (short) 1, Duration.ofSeconds(30));
        producer = new KafkaProducer<>(clients.properties("replay-test"), new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    @AfterAll
    static void stopBroker() {
        if (producer != null) {
            producer.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private String deadLetter(String dlq, String tenantId, String errorClass, String reason, Instant at,
                              Integer previousAttempt) throws Exception {
        RecordHeaders headers = new RecordHeaders();
        headers.add(ErrorHeaders.CLASS, utf8(errorClass));
        headers.add(ErrorHeaders.MESSAGE, utf8("failed"));
        headers.add(ErrorHeaders.STAGE, utf8("graph-sink"));
        headers.add(ErrorHeaders.TOPIC, utf8(DeadLetterReplay.SOURCES.get(dlq)));
        headers.add(ErrorHeaders.PARTITION, utf8("0"));
        headers.add(ErrorHeaders.OFFSET, utf8("42"));
        headers.add(ErrorHeaders.AT, utf8(at.toString()));
        if (reason != null) {
            headers.add(ErrorHeaders.REASON, utf8(reason));
        }
        if (previousAttempt != null) {
            headers.add(ErrorHeaders.REPLAY_ATTEMPT, utf8(previousAttempt.toString()));
        }
        String value = "{\"tenantId\":\"" + tenantId + "\",\"replyId\":\"" + UUID.randomUUID() + "\"}";
        RecordMetadata sent = producer.send(new ProducerRecord<>(dlq, null, utf8("conv-" + tenantId), utf8(value),
                headers)).get();
        return sent.topic() + "/" + sent.partition() + "/" + sent.offset();
    }

    private String deadLetter(String tenantId, String errorClass, String reason) throws Exception {
        return deadLetter(Topics.REPLIES_DLQ.name(), tenantId, errorClass, reason, Instant.now(), null);
    }

    private Result replay(Request request) {
        return new DeadLetterReplay(clients, Duration.ofSeconds(30), progress::add).run(request);
    }

    private Request request(String error, int maxAttempts, boolean dryRun) {
        return new Request(Topics.REPLIES_DLQ.name(), tenant, null, null, error, maxAttempts, 0, dryRun);
    }

    /** Every committed record on {@code topic} that replay re-published from one of {@code positions}. */
    /**
     * The replayed records on {@code topic}, read until at least {@code expected} are there (or 15 s): a
     * transaction's commit markers reach the partitions shortly after the commit returns.
     */
    private static List<ConsumerRecord<byte[], byte[]>> replayedOnto(String topic, List<String> positions, int expected) {
        long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        List<ConsumerRecord<byte[], byte[]>> found = replayedOnto(topic, positions);
        while (found.size() < expected && System.nanoTime() < until) {
            found = replayedOnto(topic, positions);
        }
        return found;
    }

    private static List<ConsumerRecord<byte[], byte[]>> replayedOnto(String topic, List<String> positions) {
        Map<String, Object> props = clients.properties("replay-test-reader");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    Header of = record.headers().lastHeader(ErrorHeaders.REPLAY_OF);
                    if (of != null && positions.contains(new String(of.value(), StandardCharsets.UTF_8))) {
                        found.add(record);
                    }
                }
            }
        }
        return found;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    // --- tests -----------------------------------------------------------------------------------------------

    @Test
    void republishesEachSelectedRecordOnceWithItsAttemptAndSkipsItOnASecondRun() throws Exception {
        String first = deadLetter(tenant, "io.tla.connectors.graph.GraphException", "http-503");
        String second = deadLetter(Topics.REPLIES_DLQ.name(), tenant, "java.io.IOException", null, Instant.now(), 1);

        Result result = replay(request(null, 3, false));

        assertThat(result.failed()).isFalse();
        assertThat(result.summary()).isEqualTo("replayed 2, skipped 0, parked 0");
        List<ConsumerRecord<byte[], byte[]>> replayed = replayedOnto(Topics.REPLIES.name(), List.of(first, second), 2);
        assertThat(replayed).hasSize(2);
        ConsumerRecord<byte[], byte[]> fromFirst = replayed.stream()
                .filter(r -> header(r, ErrorHeaders.REPLAY_OF).equals(first)).findFirst().orElseThrow();
        assertThat(header(fromFirst, ErrorHeaders.REPLAY_ATTEMPT)).isEqualTo("1");
        assertThat(new String(fromFirst.key(), StandardCharsets.UTF_8)).isEqualTo("conv-" + tenant);
        assertThat(new String(fromFirst.value(), StandardCharsets.UTF_8)).contains("\"tenantId\":\"" + tenant + "\"");
        assertThat(fromFirst.headers().lastHeader(ErrorHeaders.CLASS)).isNull();
        ConsumerRecord<byte[], byte[]> fromSecond = replayed.stream()
                .filter(r -> header(r, ErrorHeaders.REPLAY_OF).equals(second)).findFirst().orElseThrow();
        assertThat(header(fromSecond, ErrorHeaders.REPLAY_ATTEMPT)).isEqualTo("2");
        assertThat(progress).contains("[####################] 100% 2/2 replaying to teams.replies.v1");

        Result again = replay(request(null, 3, false));

        assertThat(again.summary()).isEqualTo("replayed 0, skipped 2, parked 0");
        assertThat(again.rows()).extracting(Row::reason).containsOnly("already replayed");
        assertThat(replayedOnto(Topics.REPLIES.name(), List.of(first, second), 2)).hasSize(2);
    }

    @Test
    void messagesDeadLettersGoBackToTheMessagesTopic() throws Exception {
        String position = deadLetter(Topics.MESSAGES_DLQ.name(), tenant, "java.lang.IllegalStateException", null,
                Instant.now(), null);

        Result result = replay(new Request(Topics.MESSAGES_DLQ.name(), tenant, null, null, null, 3, 0, false));

        assertThat(result.replayed()).isEqualTo(1);
        assertThat(replayedOnto(Topics.MESSAGES.name(), List.of(position), 1)).hasSize(1);
        assertThat(replayedOnto(Topics.REPLIES.name(), List.of(position))).isEmpty();
    }

    @Test
    void aDryRunListsTheRecordsAndWritesNothing() throws Exception {
        String position = deadLetter(tenant, "java.io.IOException", "timeout");

        Result dry = replay(request(null, 3, true));

        assertThat(dry.rows()).extracting(Row::position, Row::action).containsExactly(
                org.assertj.core.groups.Tuple.tuple(position, Action.REPLAY));
        assertThat(dry.summary()).isEqualTo("replayed 0, skipped 0, parked 0");
        assertThat(replayedOnto(Topics.REPLIES.name(), List.of(position))).isEmpty();
        // Nothing was remembered either: a real run after the dry run still replays the record.
        assertThat(replay(request(null, 3, false)).replayed()).isEqualTo(1);
    }

    @Test
    void selectsByTenantAndByReasonOrExceptionSimpleName() throws Exception {
        String otherTenant = "tenant-" + UUID.randomUUID();
        deadLetter(otherTenant, "java.io.IOException", "http-503");
        String byReason = deadLetter(tenant, "io.tla.connectors.graph.GraphException", "http-503");
        String byClass = deadLetter(tenant, "java.net.SocketTimeoutException", null);
        deadLetter(tenant, "java.io.IOException", "http-403");

        assertThat(replay(request("http-503", 3, true)).rows()).extracting(Row::position).containsExactly(byReason);
        assertThat(replay(request("SocketTimeoutException", 3, true)).rows()).extracting(Row::position)
                .containsExactly(byClass);
        assertThat(replay(request(null, 3, true)).rows()).extracting(Row::tenant).containsOnly(tenant).hasSize(3);
    }

    @Test
    void selectsByTimeWindowAndLimit() throws Exception {
        Instant base = Instant.parse("2026-11-01T10:00:00Z");
        deadLetter(Topics.REPLIES_DLQ.name(), tenant, "java.io.IOException", null, base.minusSeconds(3600), null);
        String inside = deadLetter(Topics.REPLIES_DLQ.name(), tenant, "java.io.IOException", null, base, null);
        String insideToo = deadLetter(Topics.REPLIES_DLQ.name(), tenant, "java.io.IOException", null,
                base.plusSeconds(60), null);
        deadLetter(Topics.REPLIES_DLQ.name(), tenant, "java.io.IOException", null, base.plusSeconds(7200), null);

        Result window = replay(new Request(Topics.REPLIES_DLQ.name(), tenant, base, base.plusSeconds(3600), null, 3,
                0, true));
        assertThat(window.rows()).extracting(Row::position).containsExactlyInAnyOrder(inside, insideToo);

        Result limited = replay(new Request(Topics.REPLIES_DLQ.name(), tenant, null, null, null, 3, 1, true));
        assertThat(limited.rows()).hasSize(1);
    }

    @Test
    void parksRecordsWhoseNextAttemptWouldExceedTheMaximum() throws Exception {
        String parked = deadLetter(Topics.REPLIES_DLQ.name(), tenant, "java.io.IOException", null, Instant.now(), 3);
        String replayed = deadLetter(Topics.REPLIES_DLQ.name(), tenant, "java.io.IOException", null, Instant.now(), 2);

        Result result = replay(request(null, 3, false));

        assertThat(result.summary()).isEqualTo("replayed 1, skipped 0, parked 1");
        Row park = result.rows().stream().filter(row -> row.position().equals(parked)).findFirst().orElseThrow();
        assertThat(park.action()).isEqualTo(Action.PARK);
        assertThat(park.attempt()).isEqualTo(4);
        List<ConsumerRecord<byte[], byte[]>> onSource = replayedOnto(Topics.REPLIES.name(), List.of(parked, replayed), 1);
        assertThat(onSource).extracting(r -> header(r, ErrorHeaders.REPLAY_OF)).containsExactly(replayed);
        assertThat(header(onSource.get(0), ErrorHeaders.REPLAY_ATTEMPT)).isEqualTo("3");
    }

    @Test
    void refusesATopicThatIsNotADeadLetterTopic() {
        assertThatThrownBy(() -> new Request(Topics.REPLIES.name(), null, null, null, null, 3, 0, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--from");
    }

    @Test
    void progressBarFillsTwentyCellsInProportionToTheRecordsReplayed() {
        assertThat(DeadLetterReplay.progressBar(0, 40)).isEqualTo("[--------------------]   0% 0/40");
        assertThat(DeadLetterReplay.progressBar(10, 40)).isEqualTo("[#####---------------]  25% 10/40");
        assertThat(DeadLetterReplay.progressBar(40, 40)).isEqualTo("[####################] 100% 40/40");
    }
}
