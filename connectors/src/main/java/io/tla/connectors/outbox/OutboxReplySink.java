package io.tla.connectors.outbox;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.Json;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code outbox} reply sink: consumes {@code teams.replies.v1} (read_committed) and appends each reply as one
 * JSON line to {@code outboxDir/replies-YYYY-MM-DD.jsonl}. Per poll batch it writes, forces the file to disk,
 * and only then commits the offsets, so a crash re-reads rather than loses; a reply id already in the outbox is
 * skipped, so a re-read never writes a reply twice. Undeserialisable records go to {@code teams.replies.dlq.v1}.
 */
public final class OutboxReplySink implements AutoCloseable {

    public static final String HEALTH_COMPONENT = "replies";
    public static final String STAGE = "outbox-sink";
    public static final String SINK = "outbox";
    /** How far back the duplicate index reaches on start. */
    static final int DEDUPE_DAYS = 7;
    static final int DEDUPE_MAX_IDS = 1_000_000;
    /** Failures in a row before the health check reports the sink as not ready. */
    private static final int UNHEALTHY_AFTER_FAILURES = 3;

    private static final Logger log = LoggerFactory.getLogger(OutboxReplySink.class);

    private final Path outboxDir;
    private final ReplyConfig config;
    private final Clock clock;
    private final Deserializer<ReplyEvent> replyDeserializer = Topics.REPLIES.valueSerde().deserializer();
    private final Consumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final KafkaClientMetrics consumerMetrics;
    private final KafkaClientMetrics producerMetrics;
    private final OutboxWriter writer;
    private final Counter written;
    private final Counter duplicates;
    private final Counter deadLettered;
    private final Counter telemetryFailed;
    private final Counter batchFailures;
    private final Timer endToEnd;
    private final Thread thread;

    private ReplyIdIndex index;
    private volatile boolean running;
    private volatile boolean started;
    private volatile boolean joined;
    private volatile boolean closed;
    private volatile Throwable died;
    private volatile int consecutiveFailures;
    private volatile String lastFailure = "";
    private boolean needsRewind;
    private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();

    public OutboxReplySink(Path outboxDir, ReplyConfig config, KafkaClients clients, TlaMetrics metrics, Health health) {
        this(outboxDir, config, clients, metrics, health, Clock.systemUTC());
    }

    OutboxReplySink(Path outboxDir, ReplyConfig config, KafkaClients clients, TlaMetrics metrics, Health health,
                    Clock clock) {
        this.outboxDir = Objects.requireNonNull(outboxDir, "outboxDir");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        MeterRegistry registry = metrics.registry();
        this.written = Counter.builder("tla.replies.written").description("Replies delivered by the reply sink")
                .tag("sink", SINK).register(registry);
        this.duplicates = Counter.builder("tla.replies.duplicates.skipped")
                .description("Replies not written again because their replyId was already delivered")
                .tag("sink", SINK).register(registry);
        this.deadLettered = Counter.builder("tla.replies.dead.lettered")
                .description("Reply records sent to teams.replies.dlq.v1").tag("sink", SINK).register(registry);
        this.telemetryFailed = Counter.builder("tla.replies.telemetry.failed")
                .description("reply.posted telemetry events that could not be produced").tag("sink", SINK)
                .register(registry);
        this.batchFailures = Counter.builder("tla.replies.batch.failures")
                .description("Poll batches the reply sink had to retry").tag("sink", SINK).register(registry);
        this.endToEnd = Timer.builder("tla.reply.end.to.end.seconds")
                .description("From the message's arrival at the ingress to its reply being delivered")
                .tag("sink", SINK).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry);
        this.consumer = new KafkaConsumer<>(consumerProperties(clients, config), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        this.producer = new KafkaProducer<>(producerProperties(clients), new ByteArraySerializer(),
                new ByteArraySerializer());
        this.consumerMetrics = new KafkaClientMetrics(consumer);
        consumerMetrics.bindTo(registry);
        this.producerMetrics = new KafkaClientMetrics(producer);
        producerMetrics.bindTo(registry);
        this.writer = new OutboxWriter(outboxDir);
        this.thread = new Thread(this::run, "tla-outbox-sink");
        health.register(HEALTH_COMPONENT, this::check);
    }

    static Map<String, Object> consumerProperties(KafkaClients clients, ReplyConfig config) {
        Map<String, Object> props = clients.properties("tla-replies-outbox");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, config.consumerGroup());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
        return props;
    }

    static Map<String, Object> producerProperties(KafkaClients clients) {
        Map<String, Object> props = clients.properties("tla-replies-outbox-producer");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        // bounded, so a broker outage cannot hold the sink thread (and close()) for minutes
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
        return props;
    }

    /** Starts the consumer thread. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("the outbox sink is already started");
        }
        started = true;
        running = true;
        thread.start();
    }

    private Health.Check check() {
        if (died != null) {
            return Health.Check.notReady("consumer thread stopped: " + died.getClass().getSimpleName());
        }
        if (closed) {
            return Health.Check.notReady("stopped");
        }
        if (!started) {
            return Health.Check.notReady("not started");
        }
        if (!joined) {
            return Health.Check.notReady("joining consumer group " + config.consumerGroup());
        }
        if (consecutiveFailures >= UNHEALTHY_AFTER_FAILURES) {
            return Health.Check.notReady("failing: " + lastFailure);
        }
        return Health.Check.ready("consuming " + Topics.REPLIES.name() + " into " + outboxDir);
    }

    private void run() {
        Duration backoff = Duration.ofMillis(200);
        try {
            index = loadIndex();
            consumer.subscribe(List.of(Topics.REPLIES.name()), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    // offsets are committed per batch, before the next poll: nothing is pending here
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    joined = true;
                    log.info("event=outbox_partitions_assigned group={} partitions={}", config.consumerGroup(),
                            partitions);
                }
            });
            while (running) {
                try {
                    if (needsRewind) {
                        rewindToCommitted();
                    }
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                    if (!records.isEmpty()) {
                        process(records);
                    }
                    consecutiveFailures = 0;
                    backoff = Duration.ofMillis(200);
                } catch (WakeupException e) {
                    if (!running) {
                        break;
                    }
                } catch (Exception e) {
                    consecutiveFailures++;
                    lastFailure = e.getClass().getSimpleName();
                    batchFailures.increment();
                    needsRewind = true;
                    writer.discardPending();
                    log.error("event=outbox_batch_failed attempt={} backoff_ms={} error={}", consecutiveFailures,
                            backoff.toMillis(), e.toString(), e);
                    sleep(backoff);
                    backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0
                            ? Duration.ofSeconds(10) : backoff.multipliedBy(2);
                }
            }
        } catch (Throwable t) {
            died = t;
            log.error("event=outbox_sink_died error={}", t.toString(), t);
        } finally {
            shutdownClients();
        }
    }

    private ReplyIdIndex loadIndex() throws IOException {
        Duration backoff = Duration.ofMillis(500);
        while (true) {
            try {
                Files.createDirectories(outboxDir);
                long started = System.nanoTime();
                ReplyIdIndex loaded = ReplyIdIndex.load(outboxDir, today(), DEDUPE_DAYS, DEDUPE_MAX_IDS);
                log.info("event=outbox_index_loaded dir={} reply_ids={} millis={}", outboxDir, loaded.size(),
                        (System.nanoTime() - started) / 1_000_000);
                return loaded;
            } catch (IOException e) {
                if (!running) {
                    throw e;
                }
                consecutiveFailures++;
                lastFailure = "cannot read outbox " + outboxDir + ": " + e.getClass().getSimpleName();
                log.error("event=outbox_index_failed dir={} error={}", outboxDir, e.toString());
                sleep(backoff);
                if (!running) {
                    throw e;
                }
                backoff = Duration.ofMillis(Math.min(10_000, backoff.toMillis() * 2));
            }
        }
    }

    /** One poll batch: write new replies, force the file, dead-letter poison, then commit. */
    private void process(ConsumerRecords<byte[], byte[]> records) throws Exception {
        Set<String> batchIds = new HashSet<>();
        List<ReplyEvent> toWrite = new ArrayList<>();
        List<Future<RecordMetadata>> deadLetters = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            uncommitted.put(tp, new OffsetAndMetadata(record.offset() + 1));
            ReplyEvent reply;
            try {
                reply = deserialize(record);
            } catch (SerializationException | IllegalArgumentException e) {
                deadLetters.add(deadLetter(record, e));
                continue;
            }
            if (index.contains(reply.replyId()) || !batchIds.add(reply.replyId())) {
                duplicates.increment();
                log.info("event=reply_duplicate_skipped tenant={} conversation={} reply_id={}", reply.tenantId(),
                        reply.conversationId(), reply.replyId());
                continue;
            }
            writer.append(Json.mapper().writeValueAsBytes(reply));
            toWrite.add(reply);
        }
        Instant now = clock.instant();
        writer.commit(LocalDate.ofInstant(now, ZoneOffset.UTC)); // one write + force per batch
        batchIds.forEach(index::add);                           // only once durable

        List<Future<RecordMetadata>> telemetry = new ArrayList<>();
        for (ReplyEvent reply : toWrite) {
            written.increment();
            if (reply.messageReceivedAt() != null && !reply.messageReceivedAt().isAfter(now)) {
                endToEnd.record(Duration.between(reply.messageReceivedAt(), now));
            }
            telemetry.add(producer.send(telemetryRecord(reply, now)));
            log.info("event=reply_written sink=outbox tenant={} conversation={} reply_id={} kind={}", reply.tenantId(),
                    reply.conversationId(), reply.replyId(), reply.kind().wireName());
        }
        producer.flush();
        for (Future<RecordMetadata> sent : deadLetters) {
            sent.get(30, TimeUnit.SECONDS); // a dead letter not stored must not be committed past
        }
        deadLettered.increment(deadLetters.size());
        for (Future<RecordMetadata> sent : telemetry) {
            try {
                sent.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                telemetryFailed.increment(); // the reply itself is delivered; telemetry is best effort here
                log.warn("event=reply_telemetry_failed error={}", e.toString());
            }
        }
        consumer.commitSync(uncommitted);
        uncommitted.clear();
    }

    private ReplyEvent deserialize(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            throw new SerializationException("record has no value");
        }
        ReplyEvent reply = replyDeserializer.deserialize(record.topic(), record.headers(), record.value());
        if (reply.replyId().isBlank() || reply.tenantId().isBlank() || reply.conversationId().isBlank()) {
            throw new IllegalArgumentException("replyId, tenantId and conversationId must not be blank");
        }
        return reply;
    }

    private Future<RecordMetadata> deadLetter(ConsumerRecord<byte[], byte[]> record, Exception e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        String message = describe(e);
        RecordHeaders headers = new RecordHeaders();
        record.headers().forEach(headers::add); // keep the original headers for replay
        headers.remove(ErrorHeaders.CLASS);
        headers.add(ErrorHeaders.CLASS, utf8(cause.getClass().getName()));
        headers.remove(ErrorHeaders.MESSAGE);
        headers.add(ErrorHeaders.MESSAGE, utf8(message));
        headers.remove(ErrorHeaders.STAGE);
        headers.add(ErrorHeaders.STAGE, utf8(STAGE));
        headers.remove(ErrorHeaders.TOPIC);
        headers.add(ErrorHeaders.TOPIC, utf8(record.topic()));
        headers.remove(ErrorHeaders.PARTITION);
        headers.add(ErrorHeaders.PARTITION, utf8(Integer.toString(record.partition())));
        headers.remove(ErrorHeaders.OFFSET);
        headers.add(ErrorHeaders.OFFSET, utf8(Long.toString(record.offset())));
        headers.remove(ErrorHeaders.AT);
        headers.add(ErrorHeaders.AT, utf8(clock.instant().toString()));
        log.warn("event=reply_dead_lettered topic={} partition={} offset={} error={} detail=\"{}\"", record.topic(),
                record.partition(), record.offset(), cause.getClass().getName(), message);
        return producer.send(new ProducerRecord<>(Topics.REPLIES_DLQ.name(), null, record.key(), record.value(),
                headers));
    }

    /** What is wrong with a record, without quoting its content (a reply carries message text). */
    static String describe(Exception e) {
        Throwable cause = e.getCause();
        if (cause == null) {
            return "not a valid reply event: " + e.getMessage(); // our own messages only
        }
        if (cause instanceof ValueInstantiationException vi && vi.getCause() instanceof NullPointerException npe) {
            return "not a valid reply event: missing required field " + npe.getMessage();
        }
        if (cause instanceof JsonMappingException jm && !jm.getPath().isEmpty()) {
            return "not a valid reply event: field " + pointer(jm) + " cannot be read ("
                    + cause.getClass().getSimpleName() + ")";
        }
        if (cause instanceof JsonProcessingException jp) {
            JsonLocation location = jp.getLocation();
            return "not a valid reply event (" + cause.getClass().getSimpleName() + ")"
                    + (location == null || location.getLineNr() < 0 ? ""
                    : " at line " + location.getLineNr() + ", column " + location.getColumnNr());
        }
        return "not a valid reply event (" + cause.getClass().getSimpleName() + ")";
    }

    private static String pointer(JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : Integer.toString(ref.getIndex()))
                .collect(Collectors.joining("/", "/", ""));
    }

    private ProducerRecord<byte[], byte[]> telemetryRecord(ReplyEvent reply, Instant now) {
        TelemetryEvent event = new TelemetryEvent("reply.posted:" + reply.replyId(), TelemetryEvent.Types.REPLY_POSTED,
                reply.tenantId(), reply.conversationId(), reply.replyToId(), now,
                Map.of("replyId", reply.replyId(), "sink", SINK, "kind", reply.kind().wireName()));
        String topic = Topics.TELEMETRY.name();
        return new ProducerRecord<>(topic, Topics.TELEMETRY.keySerde().serializer().serialize(topic, reply.tenantId()),
                Topics.TELEMETRY.valueSerde().serializer().serialize(topic, event));
    }

    /** After a failed batch: go back to the committed offsets; the index skips what was already written. */
    private void rewindToCommitted() {
        uncommitted.clear();
        Set<TopicPartition> assignment = consumer.assignment();
        if (!assignment.isEmpty()) {
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assignment, Duration.ofSeconds(10));
            List<TopicPartition> fromStart = new ArrayList<>();
            for (TopicPartition tp : assignment) {
                OffsetAndMetadata offset = committed.get(tp);
                if (offset != null) {
                    consumer.seek(tp, offset);
                } else {
                    fromStart.add(tp); // auto.offset.reset=earliest
                }
            }
            if (!fromStart.isEmpty()) {
                consumer.seekToBeginning(fromStart);
            }
            log.info("event=outbox_rewound partitions={}", assignment);
        }
        needsRewind = false;
    }

    private void shutdownClients() {
        try {
            if (!uncommitted.isEmpty() && !needsRewind && !writer.hasPending()) {
                consumer.commitSync(uncommitted, Duration.ofSeconds(5)); // written and forced before shutdown
            }
        } catch (RuntimeException e) {
            log.warn("event=outbox_final_commit_failed error={}", e.toString());
        }
        closeQuietly(consumerMetrics);
        closeQuietly(producerMetrics);
        closeQuietly(() -> consumer.close(CloseOptions.timeout(Duration.ofSeconds(5))));
        closeQuietly(() -> producer.close(Duration.ofSeconds(5)));
        closeQuietly(writer);
        log.info("event=outbox_sink_stopped group={}", config.consumerGroup());
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            log.warn("event=outbox_close_failed error={}", e.toString());
        }
    }

    private void sleep(Duration duration) {
        long until = System.nanoTime() + duration.toNanos();
        while (running && System.nanoTime() < until) {
            try {
                Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Stops the consumer thread (within a few seconds) after committing what was written. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = false;
        }
        if (!started) {
            shutdownClients();
            return;
        }
        consumer.wakeup(); // backoff sleeps watch the running flag; no interrupt, Kafka clients treat it as fatal
        try {
            thread.join(TimeUnit.SECONDS.toMillis(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("event=outbox_sink_stop_slow detail=\"consumer thread still running after 15 s\"");
        }
    }
}
