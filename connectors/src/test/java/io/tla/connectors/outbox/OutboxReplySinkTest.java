package io.tla.connectors.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.schemas.ConversationType;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.Json;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.HashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbox sink against a real broker. Every test uses its own outbox directory, consumer group and reply
 * ids. Absence is proven without timing: a later reply with the same key (same partition) is awaited, so every
 * record before it has been handled.
 */
class OutboxReplySinkTest {

    @TempDir
    static Path brokerDir;

    @TempDir
    Path outbox;

    private static EmbeddedKafkaBroker broker;
    private static KafkaClients clients;
    private static KafkaProducer<String, ReplyEvent> producer;
    private static KafkaProducer<byte[], byte[]> rawProducer;

    private final List<OutboxReplySink> sinks = new ArrayList<>();
    private final String group = "outbox-test-" + UUID.randomUUID();
    private final String conversation = "19:" + UUID.randomUUID() + "@thread.v2";

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaBroker(brokerDir.resolve("kafka"), 0, 0).start();
        clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        TopicAdmin.ensureTopics(clients, Topics.ALL, 3, (short) 1, Duration.ofSeconds(30));
        producer = new KafkaProducer<>(clients.properties("outbox-test-plain"), Topics.REPLIES.keySerde().serializer(),
                Topics.REPLIES.valueSerde().serializer());
        rawProducer = new KafkaProducer<>(clients.properties("outbox-test-raw"), new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    @AfterAll
    static void stopBroker() {
        if (producer != null) {
            producer.close();
        }
        if (rawProducer != null) {
            rawProducer.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void closeSinks() {
        sinks.forEach(OutboxReplySink::close);
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    private record Started(OutboxReplySink sink, TlaMetrics metrics, Health health) {
    }

    /** A sink whose group starts at the topic's current end, so earlier tests' replies stay out of it. */
    private Started startSink(Path dir, String consumerGroup) throws Exception {
        try (Admin admin = Admin.create(clients.properties("outbox-test-admin"))) {
            if (admin.listConsumerGroupOffsets(consumerGroup).partitionsToOffsetAndMetadata().get().isEmpty()) {
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                for (int p = 0; p < 3; p++) {
                    latest.put(new TopicPartition(Topics.REPLIES.name(), p), OffsetSpec.latest());
                }
                Map<TopicPartition, OffsetAndMetadata> end = new HashMap<>();
                admin.listOffsets(latest).all().get()
                        .forEach((tp, info) -> end.put(tp, new OffsetAndMetadata(info.offset())));
                admin.alterConsumerGroupOffsets(consumerGroup, end).all().get();
            }
        }
        return startSinkFromCommitted(dir, consumerGroup);
    }

    /** A sink whose group starts where it committed, or at the start of the topic when it never did. */
    private Started startSinkFromCommitted(Path dir, String consumerGroup) {
        TlaMetrics metrics = new TlaMetrics();
        Health health = new Health();
        OutboxReplySink sink = new OutboxReplySink(dir, new ReplyConfig("outbox", consumerGroup), clients, metrics,
                health);
        sinks.add(sink);
        sink.start();
        return new Started(sink, metrics, health);
    }

    private ReplyEvent reply(String replyId) {
        return reply(replyId, Instant.now().minusMillis(250));
    }

    private ReplyEvent reply(String replyId, Instant messageReceivedAt) {
        return new ReplyEvent(replyId, "tenant-6f1c", conversation, "msg-" + replyId, ReplyKind.TRANSLATION, "de",
                List.of(new Translation("en", "Can we discuss the release tomorrow?"),
                        new Translation("fr", "Pouvons-nous parler de la version demain ?")),
                "primary", "gpt-4o-mini", new Usage(41, 23, new BigDecimal("0.000021")),
                Instant.now().truncatedTo(ChronoUnit.MILLIS), ConversationType.GROUP_CHAT, null, null, null,
                "https://smba.trafficmanager.net/emea/", messageReceivedAt, null);
    }

    private static String newId() {
        return "reply-" + UUID.randomUUID();
    }

    private RecordMetadata send(ReplyEvent reply) throws Exception {
        return producer.send(new ProducerRecord<>(Topics.REPLIES.name(), reply.conversationId(), reply)).get();
    }

    /** Waits until the group committed past {@code record}: the sink finished its batch, metrics included. */
    private static void awaitCommitted(String consumerGroup, RecordMetadata record) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        try (Admin admin = Admin.create(clients.properties("outbox-test-admin"))) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets(consumerGroup)
                        .partitionsToOffsetAndMetadata().get().get(tp);
                return committed != null && committed.offset() > record.offset();
            });
        }
    }

    private static List<String> lines(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            List<String> lines = new ArrayList<>();
            for (Path file : files.filter(p -> OutboxFiles.dateOf(p).isPresent()).sorted().toList()) {
                lines.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
            }
            return lines;
        } catch (IOException e) {
            if (!Files.exists(dir)) {
                return List.of();
            }
            throw new UncheckedIOException(e);
        }
    }

    private static List<ReplyEvent> replies(Path dir) {
        List<ReplyEvent> replies = new ArrayList<>();
        for (String line : lines(dir)) {
            try {
                replies.add(Json.mapper().readValue(line, ReplyEvent.class));
            } catch (IOException e) {
                // torn lines are checked by the tests that create them
            }
        }
        return replies;
    }

    private static long count(Path dir, String replyId) {
        return replies(dir).stream().filter(r -> r.replyId().equals(replyId)).count();
    }

    private static void awaitWritten(Path dir, String... replyIds) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            List<String> written = replies(dir).stream().map(ReplyEvent::replyId).toList();
            return written.containsAll(List.of(replyIds));
        });
    }

    /** Every record of a topic (read_committed, all partitions, from the start) until one matches. */
    private static <T> List<ConsumerRecord<byte[], byte[]>> readUntil(String topic,
                                                                       java.util.function.Predicate<ConsumerRecord<byte[], byte[]>> found) {
        Map<String, Object> props = clients.properties("outbox-test-reader-" + UUID.randomUUID());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props,
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map((PartitionInfo p) -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<byte[], byte[]>> seen = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(seen::add);
                return seen.stream().anyMatch(found);
            });
            return seen;
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String todaysFile() {
        return "replies-" + LocalDate.now(ZoneOffset.UTC) + ".jsonl";
    }

    // --- tests -----------------------------------------------------------------------------------------------

    @Test
    void writesPlainAndCommittedTransactionalRepliesAsJsonLinesButNotAbortedOnes() throws Exception {
        startSink(outbox, group);
        String beforeStart = todaysFile();
        ReplyEvent aborted = reply(newId());
        ReplyEvent transactional = reply(newId());
        ReplyEvent plain = reply(newId());
        Map<String, Object> props = clients.properties("outbox-test-tx");
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "outbox-test-" + UUID.randomUUID());
        try (KafkaProducer<String, ReplyEvent> tx = new KafkaProducer<>(props, Topics.REPLIES.keySerde().serializer(),
                Topics.REPLIES.valueSerde().serializer())) {
            tx.initTransactions();
            tx.beginTransaction();
            tx.send(new ProducerRecord<>(Topics.REPLIES.name(), conversation, aborted)).get();
            tx.abortTransaction();
            tx.beginTransaction();
            tx.send(new ProducerRecord<>(Topics.REPLIES.name(), conversation, transactional));
            tx.commitTransaction();
        }
        send(plain);

        awaitWritten(outbox, transactional.replyId(), plain.replyId());

        List<ReplyEvent> written = replies(outbox);
        assertThat(written).usingRecursiveFieldByFieldElementComparator(
                        org.assertj.core.api.recursive.comparison.RecursiveComparisonConfiguration.builder()
                                .withComparatorForType(BigDecimal::compareTo, BigDecimal.class).build())
                .containsExactly(transactional, plain);
        assertThat(count(outbox, aborted.replyId())).isZero();
        try (Stream<Path> files = Files.list(outbox)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .singleElement().isIn(beforeStart, todaysFile());
        }
        assertThat(lines(outbox)).allSatisfy(line -> assertThat(line).startsWith("{").endsWith("}"));
    }

    @Test
    void aReplyWaitingForItsWebhookAnswerHoldsItsOwnConversationOnly() throws Exception {
        startSink(outbox, group);
        // the ingress may still answer this one inside Teams' window: it waits until its deadline (plus grace)
        ReplyEvent waiting = withDeadline(reply(newId()), Instant.now().plusSeconds(3));
        ReplyEvent behindIt = reply(newId());
        ReplyEvent otherConversation = new ReplyEvent(newId(), "tenant-6f1c", "19:" + UUID.randomUUID() + "@thread.v2",
                "msg-other", ReplyKind.TRANSLATION, "de", List.of(new Translation("en", "Another chat.")), "primary",
                "gpt-4o-mini", Usage.NONE, Instant.now(), ConversationType.GROUP_CHAT, null, null, null,
                "https://smba.trafficmanager.net/emea/", Instant.now(), null);
        send(waiting);
        send(behindIt);
        send(otherConversation);

        awaitWritten(outbox, otherConversation.replyId());
        assertThat(Instant.now()).isBefore(waiting.replyDeadline());
        assertThat(count(outbox, waiting.replyId())).isZero();
        assertThat(count(outbox, behindIt.replyId())).isZero(); // its conversation's order is kept
        awaitWritten(outbox, behindIt.replyId());
        List<String> written = lines(outbox);
        assertThat(indexOf(written, waiting.replyId())).isLessThan(indexOf(written, behindIt.replyId()));
    }

    private static ReplyEvent withDeadline(ReplyEvent r, Instant deadline) {
        return new ReplyEvent(r.replyId(), r.tenantId(), r.conversationId(), r.replyToId(), r.kind(),
                r.sourceLanguage(), r.translations(), r.provider(), r.model(), r.usage(), r.createdAt(),
                r.conversationType(), r.teamAadGroupId(), r.channelId(), r.rootMessageId(), r.serviceUrl(),
                r.messageReceivedAt(), r.senderAadObjectId(), null, deadline);
    }

    private static int indexOf(List<String> lines, String replyId) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(replyId)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void writesTheSameReplyIdOnlyOnce() throws Exception {
        Started started = startSink(outbox, group);
        ReplyEvent twice = reply(newId());
        String sentinel = newId();

        send(twice);
        send(twice);
        RecordMetadata last = send(reply(sentinel));
        awaitWritten(outbox, sentinel);
        awaitCommitted(group, last);

        assertThat(count(outbox, twice.replyId())).isEqualTo(1);
        assertThat(started.metrics().registry().get("tla.replies.duplicates.skipped").counter().count()).isEqualTo(1.0);
        assertThat(started.metrics().registry().get("tla.replies.written").tag("sink", "outbox").counter().count())
                .isEqualTo(2.0);
    }

    @Test
    void aRestartedSinkInTheSameGroupWritesNothingAgain() throws Exception {
        Started first = startSink(outbox, group);
        String a = newId();
        String b = newId();
        send(reply(a));
        send(reply(b));
        awaitWritten(outbox, a, b);
        first.sink().close();
        List<String> before = lines(outbox);

        Started second = startSink(outbox, group);
        String sentinel = newId();
        RecordMetadata last = send(reply(sentinel));
        awaitWritten(outbox, sentinel);
        awaitCommitted(group, last);

        List<String> after = lines(outbox);
        assertThat(after).hasSize(before.size() + 1);
        assertThat(after.subList(0, before.size())).isEqualTo(before);
        assertThat(second.metrics().registry().get("tla.replies.written").counter().count()).isEqualTo(1.0);
    }

    @Test
    void aNewGroupOverTheSameOutboxSkipsRepliesAlreadyWritten() throws Exception {
        Started first = startSink(outbox, group);
        String a = newId();
        send(reply(a));
        awaitWritten(outbox, a);
        first.sink().close();

        Started second = startSinkFromCommitted(outbox, group + "-new"); // reads the topic from the start
        String sentinel = newId();
        RecordMetadata last = send(reply(sentinel));
        awaitWritten(outbox, sentinel);
        awaitCommitted(group + "-new", last);

        assertThat(count(outbox, a)).isEqualTo(1);
        assertThat(second.metrics().registry().get("tla.replies.duplicates.skipped").counter().count())
                .isGreaterThanOrEqualTo(1.0);
        assertThat(replies(outbox).stream().map(ReplyEvent::replyId).distinct().count())
                .isEqualTo(replies(outbox).size());
    }

    @Test
    void sendsAPoisonRecordToTheDeadLetterTopicWithErrorHeadersAndKeepsGoing() throws Exception {
        Started started = startSink(outbox, group);
        byte[] key = conversation.getBytes(StandardCharsets.UTF_8);
        byte[] notJson = "{\"replyId\": zzTranslatedSecretText".getBytes(StandardCharsets.UTF_8);
        byte[] noReplyId = Json.mapper().writeValueAsBytes(Map.of("tenantId", "t", "conversationId", conversation));
        String next = newId();

        var first = rawProducer.send(new ProducerRecord<>(Topics.REPLIES.name(), key, notJson)).get();
        rawProducer.send(new ProducerRecord<>(Topics.REPLIES.name(), key, noReplyId)).get();
        RecordMetadata last = send(reply(next));
        awaitWritten(outbox, next);
        awaitCommitted(group, last);

        List<ConsumerRecord<byte[], byte[]>> dlq = readUntil(Topics.REPLIES_DLQ.name(),
                r -> java.util.Arrays.equals(r.value(), noReplyId));
        if (dlq.stream().noneMatch(r -> java.util.Arrays.equals(r.value(), notJson))) {
            dlq = readUntil(Topics.REPLIES_DLQ.name(), r -> java.util.Arrays.equals(r.value(), notJson));
        }
        List<ConsumerRecord<byte[], byte[]>> ours = dlq.stream()
                .filter(r -> java.util.Arrays.equals(r.key(), key)).toList();
        assertThat(ours).hasSize(2);
        // unreadable records have no conversation to keep in order: each is dead-lettered on its own
        ConsumerRecord<byte[], byte[]> poison = ours.stream().filter(r -> java.util.Arrays.equals(r.value(), notJson))
                .findFirst().orElseThrow();
        ConsumerRecord<byte[], byte[]> withoutReplyId = ours.stream()
                .filter(r -> java.util.Arrays.equals(r.value(), noReplyId)).findFirst().orElseThrow();
        assertThat(header(poison, ErrorHeaders.STAGE)).isEqualTo("outbox-sink");
        assertThat(header(poison, ErrorHeaders.TOPIC)).isEqualTo(Topics.REPLIES.name());
        assertThat(header(poison, ErrorHeaders.PARTITION)).isEqualTo(Integer.toString(first.partition()));
        assertThat(header(poison, ErrorHeaders.OFFSET)).isEqualTo(Long.toString(first.offset()));
        assertThat(header(poison, ErrorHeaders.CLASS)).startsWith("com.fasterxml.jackson");
        assertThat(header(poison, ErrorHeaders.MESSAGE)).isNotBlank().doesNotContain("zzTranslatedSecretText");
        assertThat(Instant.parse(header(poison, ErrorHeaders.AT))).isBeforeOrEqualTo(Instant.now());
        assertThat(header(withoutReplyId, ErrorHeaders.MESSAGE)).contains("replyId");
        assertThat(started.metrics().registry().get("tla.replies.dead.lettered").counter().count()).isEqualTo(2.0);
        assertThat(started.health().evaluate().get(OutboxReplySink.HEALTH_COMPONENT).ready()).isTrue();
    }

    @Test
    void publishesReplyPostedTelemetryKeyedByTenant() throws Exception {
        startSink(outbox, group);
        ReplyEvent reply = reply(newId());

        send(reply);

        String eventId = "reply.posted:" + reply.replyId();
        List<ConsumerRecord<byte[], byte[]>> records = readUntil(Topics.TELEMETRY.name(),
                r -> new String(r.value(), StandardCharsets.UTF_8).contains(eventId));
        ConsumerRecord<byte[], byte[]> record = records.stream()
                .filter(r -> new String(r.value(), StandardCharsets.UTF_8).contains(eventId)).findFirst().orElseThrow();
        TelemetryEvent event = Topics.TELEMETRY.valueSerde().deserializer().deserialize(record.topic(), record.value());
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("tenant-6f1c");
        assertThat(event.eventId()).isEqualTo(eventId);
        assertThat(event.type()).isEqualTo(TelemetryEvent.Types.REPLY_POSTED);
        assertThat(event.conversationId()).isEqualTo(conversation);
        assertThat(event.messageId()).isEqualTo(reply.replyToId());
        assertThat(event.attributes()).containsEntry("replyId", reply.replyId()).containsEntry("sink", "outbox")
                .containsEntry("kind", "translation");
        assertThat(count(outbox, reply.replyId())).isEqualTo(1); // posted after it was written
    }

    @Test
    void recordsEndToEndLatencyFromMessageArrival() throws Exception {
        Started started = startSink(outbox, group);
        String id = newId();

        RecordMetadata sent = send(reply(id, Instant.now().minusSeconds(2)));
        awaitWritten(outbox, id);
        awaitCommitted(group, sent);

        var timer = started.metrics().registry().get("tla.reply.end.to.end.seconds").timer();
        assertThat(timer.count()).isEqualTo(1);
        assertThat(timer.max(java.util.concurrent.TimeUnit.SECONDS)).isGreaterThanOrEqualTo(2.0);
    }

    @Test
    void isReadyOnceItHasJoinedTheGroupAndNotAfterClose() throws Exception {
        Started started = startSink(outbox, group);

        await().atMost(Duration.ofSeconds(60))
                .until(() -> started.health().evaluate().get(OutboxReplySink.HEALTH_COMPONENT).ready());
        started.sink().close();

        assertThat(started.health().evaluate().get(OutboxReplySink.HEALTH_COMPONENT).ready()).isFalse();
    }

    @Test
    void endsATornLastLineBeforeAppendingAndKnowsTheIdsBeforeIt() throws Exception {
        String existing = newId();
        Files.createDirectories(outbox);
        Path file = outbox.resolve(todaysFile());
        Files.write(file, (Json.mapper().writeValueAsString(reply(existing)) + "\n{\"replyId\":\"torn-")
                .getBytes(StandardCharsets.UTF_8));
        startSink(outbox, group);
        String next = newId();

        send(reply(existing));
        send(reply(next));
        awaitWritten(outbox, next);

        List<String> lines = lines(outbox);
        assertThat(lines.get(1)).isEqualTo("{\"replyId\":\"torn-");
        assertThat(lines).filteredOn(l -> !l.startsWith("{\"replyId\":\"torn-"))
                .allSatisfy(l -> assertThat(Json.mapper().readTree(l).get("replyId")).isNotNull());
        assertThat(count(outbox, existing)).isEqualTo(1);
        assertThat(count(outbox, next)).isEqualTo(1);
    }
}
