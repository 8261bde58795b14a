package io.tla.connectors.replies;

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
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
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
 * What every reply sink shares: a consumer of {@code teams.replies.v1} (read_committed, manual commits) on its own
 * thread, a producer for dead letters and telemetry, the health check, and the failure loop. A poll batch is
 * handed to {@link #process}; offsets are committed only after it returns, so a crash or a failed batch re-reads
 * rather than loses, and the sink's own duplicate check keeps a re-read from delivering twice. A failed batch
 * rewinds to the committed offsets and is retried with a growing backoff; the thread never dies of bad input
 * (undeserialisable records are dead-lettered). A reply the ingress may deliver as the webhook's HTTP response
 * (it carries a reply deadline) is held until {@link WebhookAnswers} knows whether it did; an answered reply is
 * skipped, the others are delivered as usual.
 */
public abstract class ReplySink implements AutoCloseable {

    public static final String HEALTH_COMPONENT = "replies";
    /** Failures in a row before the health check reports the sink as not ready. */
    private static final int UNHEALTHY_AFTER_FAILURES = 3;

    private static final Logger log = LoggerFactory.getLogger(ReplySink.class);

    protected final String sink;
    protected final String stage;
    protected final ReplyConfig config;
    protected final Clock clock;
    protected final Consumer<byte[], byte[]> consumer;
    protected final Producer<byte[], byte[]> producer;
    private final Deserializer<ReplyEvent> replyDeserializer = Topics.REPLIES.valueSerde().deserializer();
    private final KafkaClientMetrics consumerMetrics;
    private final KafkaClientMetrics producerMetrics;
    protected final Counter delivered;
    private final Counter duplicates;
    protected final Counter deadLettered;
    private final Counter telemetryFailed;
    private final Counter batchFailures;
    private final Counter answeredInWebhook;
    private final WebhookAnswers answers;
    private final Timer endToEnd;
    private final Thread thread;

    private volatile boolean running;
    private volatile boolean started;
    private volatile boolean joined;
    private volatile boolean closed;
    private volatile Throwable died;
    private volatile int consecutiveFailures;
    private volatile String lastFailure = "";
    private boolean needsRewind;
    private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();
    /** The current batch's replies, read once before {@link #process} (sink thread only). */
    private final Map<ConsumerRecord<byte[], byte[]>, ReplyEvent> readInBatch = new IdentityHashMap<>();

    protected ReplySink(String sink, String stage, ReplyConfig config, KafkaClients clients, TlaMetrics metrics,
                        Health health, Clock clock) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.stage = Objects.requireNonNull(stage, "stage");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        MeterRegistry registry = metrics.registry();
        this.delivered = Counter.builder("tla.replies.written").description("Replies delivered by the reply sink")
                .tag("sink", sink).register(registry);
        this.duplicates = Counter.builder("tla.replies.duplicates.skipped")
                .description("Replies not delivered again because their replyId was already delivered")
                .tag("sink", sink).register(registry);
        this.deadLettered = Counter.builder("tla.replies.dead.lettered")
                .description("Reply records sent to teams.replies.dlq.v1").tag("sink", sink).register(registry);
        this.telemetryFailed = Counter.builder("tla.replies.telemetry.failed")
                .description("reply.posted and reply.failed telemetry events that could not be produced")
                .tag("sink", sink).register(registry);
        this.answeredInWebhook = Counter.builder("tla.replies.answered.in.webhook")
                .description("Sync-reply replies not posted because the ingress delivered them in the webhook response")
                .tag("sink", sink).register(registry);
        this.answers = new WebhookAnswers(clients, "tla-replies-" + sink + "-answers", config.syncReplyGrace(), clock);
        this.batchFailures = Counter.builder("tla.replies.batch.failures")
                .description("Poll batches the reply sink had to retry").tag("sink", sink).register(registry);
        this.endToEnd = Timer.builder("tla.reply.end.to.end.seconds")
                .description("From the message's arrival at the ingress to its reply being delivered")
                .tag("sink", sink).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry);
        this.consumer = new KafkaConsumer<>(consumerProperties(clients, config, sink), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        this.producer = new KafkaProducer<>(producerProperties(clients, sink), new ByteArraySerializer(),
                new ByteArraySerializer());
        this.consumerMetrics = new KafkaClientMetrics(consumer);
        consumerMetrics.bindTo(registry);
        this.producerMetrics = new KafkaClientMetrics(producer);
        producerMetrics.bindTo(registry);
        this.thread = new Thread(this::run, "tla-" + sink + "-sink");
        health.register(HEALTH_COMPONENT, this::check);
    }

    public static Map<String, Object> consumerProperties(KafkaClients clients, ReplyConfig config, String sink) {
        Map<String, Object> props = clients.properties("tla-replies-" + sink);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, config.consumerGroup());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
        return props;
    }

    public static Map<String, Object> producerProperties(KafkaClients clients, String sink) {
        Map<String, Object> props = clients.properties("tla-replies-" + sink + "-producer");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        // bounded, so a broker outage cannot hold the sink thread (and close()) for minutes
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
        return props;
    }

    /** Runs before the consumer subscribes, retried with backoff until it succeeds or the sink is closed. */
    protected abstract void prepare() throws Exception;

    /**
     * Delivers one poll batch. Every record must be delivered, found already delivered, or dead-lettered (and the
     * dead letter acknowledged) before this returns; an exception fails the batch, which is then re-read.
     */
    protected abstract void process(ConsumerRecords<byte[], byte[]> records) throws Exception;

    /** What the health check says while the sink is consuming. */
    protected abstract String readyDetail();

    /** Partitions this instance now owns (called inside {@code poll}, before their records are returned). */
    protected void partitionsAssigned(Collection<TopicPartition> partitions) {
    }

    /** Partitions this instance no longer owns (their last batch is processed and committed). */
    protected void partitionsLost(Collection<TopicPartition> partitions) {
    }

    /** After a failed batch, before its records are read again. */
    protected void batchFailed() {
    }

    /** Whether offsets of processed records may be committed on shutdown. */
    protected boolean canCommitOnShutdown() {
        return true;
    }

    /** Releases the sink's own resources after the clients are closed. */
    protected void closeResources() {
    }

    /** Starts the consumer thread. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("the " + sink + " sink is already started");
        }
        started = true;
        running = true;
        thread.start();
    }

    protected boolean running() {
        return running;
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
        return Health.Check.ready(readyDetail());
    }

    private void run() {
        Duration backoff = Duration.ofMillis(200);
        try {
            answers.start();
            prepareWithRetry();
            consumer.subscribe(List.of(Topics.REPLIES.name()), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    // offsets are committed per batch, before the next poll: nothing is pending here
                    partitionsLost(partitions);
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    partitionsLost(partitions);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    partitionsAssigned(partitions);
                    joined = true;
                    log.info("event=reply_sink_partitions_assigned sink={} group={} partitions={}", sink,
                            config.consumerGroup(), partitions);
                }
            });
            while (running) {
                try {
                    if (needsRewind) {
                        rewindToCommitted();
                    }
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                    if (!records.isEmpty()) {
                        for (ConsumerRecord<byte[], byte[]> record : records) {
                            uncommitted.put(new TopicPartition(record.topic(), record.partition()),
                                    new OffsetAndMetadata(record.offset() + 1));
                        }
                        ConsumerRecords<byte[], byte[]> toDeliver = withoutWebhookAnswers(records);
                        if (!toDeliver.isEmpty()) {
                            process(toDeliver);
                        }
                        readInBatch.clear();
                        consumer.commitSync(uncommitted);
                        uncommitted.clear();
                    }
                    consecutiveFailures = 0;
                    backoff = Duration.ofMillis(200);
                } catch (WakeupException e) {
                    if (!running) {
                        break;
                    }
                } catch (InterruptedException e) {
                    // stopping while a reply waited for its webhook answer: nothing of this batch is committed
                    uncommitted.clear();
                    break;
                } catch (Exception e) {
                    consecutiveFailures++;
                    lastFailure = e.getClass().getSimpleName();
                    batchFailures.increment();
                    needsRewind = true;
                    batchFailed();
                    log.error("event=reply_batch_failed sink={} attempt={} backoff_ms={} error={}", sink,
                            consecutiveFailures, backoff.toMillis(), e.toString(), e);
                    sleep(backoff);
                    backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0
                            ? Duration.ofSeconds(10) : backoff.multipliedBy(2);
                }
            }
        } catch (Throwable t) {
            died = t;
            log.error("event=reply_sink_died sink={} error={}", sink, t.toString(), t);
        } finally {
            shutdownClients();
        }
    }

    private void prepareWithRetry() throws Exception {
        Duration backoff = Duration.ofMillis(500);
        while (true) {
            try {
                prepare();
                return;
            } catch (Exception e) {
                if (!running) {
                    throw e;
                }
                consecutiveFailures++;
                lastFailure = "cannot start: " + e.getClass().getSimpleName();
                log.error("event=reply_sink_prepare_failed sink={} error={}", sink, e.toString());
                sleep(backoff);
                if (!running) {
                    throw e;
                }
                backoff = Duration.ofMillis(Math.min(10_000, backoff.toMillis() * 2));
            }
        }
    }

    /**
     * The batch without the replies the ingress delivered in Teams' webhook window. Holds the thread while such a
     * reply's answer is pending (at most until its deadline plus the grace); records that are not readable replies
     * are kept, for {@link #process} to dead-letter.
     */
    private ConsumerRecords<byte[], byte[]> withoutWebhookAnswers(ConsumerRecords<byte[], byte[]> records)
            throws InterruptedException {
        Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> kept = new HashMap<>();
        readInBatch.clear();
        int skipped = 0;
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> partition = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> record : records.records(tp)) {
                ReplyEvent reply = null;
                try {
                    reply = deserialize(record);
                    readInBatch.put(record, reply); // process() reads it from here instead of parsing it again
                } catch (SerializationException | IllegalArgumentException e) {
                    // not a reply: process() dead-letters it
                }
                if (reply != null && reply.replyDeadline() != null && answers.answered(reply, this::running)) {
                    skipped++;
                    answeredInWebhook.increment();
                    log.info("event=reply_answered_in_webhook sink={} tenant={} conversation={} reply_id={}", sink,
                            reply.tenantId(), reply.conversationId(), reply.replyId());
                } else {
                    partition.add(record);
                }
            }
            kept.put(tp, partition);
        }
        return skipped == 0 ? records : new ConsumerRecords<>(kept, Map.of());
    }

    /** The record's reply; throws {@link SerializationException} or {@link IllegalArgumentException} for poison. */
    protected ReplyEvent deserialize(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            throw new SerializationException("record has no value");
        }
        ReplyEvent reply = replyDeserializer.deserialize(record.topic(), record.headers(), record.value());
        if (reply.replyId().isBlank() || reply.tenantId().isBlank() || reply.conversationId().isBlank()) {
            throw new IllegalArgumentException("replyId, tenantId and conversationId must not be blank");
        }
        return reply;
    }

    /**
     * The record's reply, or null after adding a dead letter for it to {@code deadLetters} when it is not a reply
     * event.
     */
    protected ReplyEvent readOrDeadLetter(ConsumerRecord<byte[], byte[]> record,
                                          List<Future<RecordMetadata>> deadLetters) {
        ReplyEvent read = readInBatch.get(record);
        if (read != null) {
            return read;
        }
        try {
            return deserialize(record);
        } catch (SerializationException | IllegalArgumentException e) {
            deadLetters.add(deadLetterPoison(record, e));
            return null;
        }
    }

    /** Counts and logs a reply not delivered again because it was delivered already. */
    protected void skipDuplicate(ReplyEvent reply) {
        duplicates.increment();
        log.info("event=reply_duplicate_skipped sink={} tenant={} conversation={} reply_id={}", sink,
                reply.tenantId(), reply.conversationId(), reply.replyId());
    }

    /** Dead-letters a record that is not a reply event, saying what is wrong without quoting it. */
    protected Future<RecordMetadata> deadLetterPoison(ConsumerRecord<byte[], byte[]> record, Exception e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        Map<String, String> error = new LinkedHashMap<>();
        error.put(ErrorHeaders.CLASS, cause.getClass().getName());
        error.put(ErrorHeaders.MESSAGE, describe(e));
        error.put(ErrorHeaders.REASON, "invalid-reply");
        return deadLetter(record, error);
    }

    /**
     * Sends {@code record} unchanged to {@code teams.replies.dlq.v1} with its own headers (so replay sees earlier
     * attempts), the given {@code tla.error.*} headers, and the stage, position and time of the failure.
     */
    protected Future<RecordMetadata> deadLetter(ConsumerRecord<byte[], byte[]> record, Map<String, String> error) {
        RecordHeaders headers = new RecordHeaders();
        record.headers().forEach(headers::add);
        Map<String, String> all = new LinkedHashMap<>(error);
        all.put(ErrorHeaders.STAGE, stage);
        all.put(ErrorHeaders.TOPIC, record.topic());
        all.put(ErrorHeaders.PARTITION, Integer.toString(record.partition()));
        all.put(ErrorHeaders.OFFSET, Long.toString(record.offset()));
        all.putIfAbsent(ErrorHeaders.AT, clock.instant().toString());
        all.forEach((name, value) -> {
            headers.remove(name);
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        });
        log.warn("event=reply_dead_lettered sink={} topic={} partition={} offset={} reason={} detail=\"{}\"", sink,
                record.topic(), record.partition(), record.offset(), error.get(ErrorHeaders.REASON),
                error.get(ErrorHeaders.MESSAGE));
        return producer.send(new ProducerRecord<>(Topics.REPLIES_DLQ.name(), null, record.key(), record.value(),
                headers));
    }

    /** What is wrong with a record, without quoting its content (a reply carries message text). */
    public static String describe(Exception e) {
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

    /** Counts a delivered reply and its end-to-end latency. */
    protected void recordDelivered(ReplyEvent reply, Instant now) {
        delivered.increment();
        if (reply.messageReceivedAt() != null && !reply.messageReceivedAt().isAfter(now)) {
            endToEnd.record(Duration.between(reply.messageReceivedAt(), now));
        }
    }

    /** Sends a telemetry event about {@code reply}; the event id is the type plus the reply id. */
    protected Future<RecordMetadata> sendTelemetry(String type, ReplyEvent reply, Instant at,
                                                   Map<String, Object> attributes) {
        return sendTelemetry(type + ":" + reply.replyId(), type, reply, at, attributes);
    }

    /** Sends a telemetry event about {@code reply} with its own event id (the store counts each id once). */
    protected Future<RecordMetadata> sendTelemetry(String eventId, String type, ReplyEvent reply, Instant at,
                                                   Map<String, Object> attributes) {
        Map<String, Object> all = attributes;
        if (reply.replyDeadline() != null && TelemetryEvent.Types.REPLY_POSTED.equals(type)) {
            all = new LinkedHashMap<>(attributes);
            all.put("syncReply", "missed"); // the ingress did not answer it within Teams' window
        }
        TelemetryEvent event = new TelemetryEvent(eventId, type, reply.tenantId(),
                reply.conversationId(), reply.replyToId(), at, all);
        String topic = Topics.TELEMETRY.name();
        return producer.send(new ProducerRecord<>(topic,
                Topics.TELEMETRY.keySerde().serializer().serialize(topic, reply.tenantId()),
                Topics.TELEMETRY.valueSerde().serializer().serialize(topic, event)));
    }

    /** Waits for dead letters, which must be stored before their offsets are committed. */
    protected void awaitDeadLetters(List<Future<RecordMetadata>> deadLetters) throws Exception {
        for (Future<RecordMetadata> sent : deadLetters) {
            sent.get(30, TimeUnit.SECONDS);
        }
        deadLettered.increment(deadLetters.size());
    }

    /** Waits for telemetry, which is best effort: the reply itself is delivered. */
    protected void awaitTelemetry(List<Future<RecordMetadata>> telemetry) throws InterruptedException {
        for (Future<RecordMetadata> sent : telemetry) {
            try {
                sent.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                telemetryFailed.increment();
                log.warn("event=reply_telemetry_failed sink={} error={}", sink, e.toString());
            }
        }
    }

    /** After a failed batch: go back to the committed offsets; the duplicate check skips what was delivered. */
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
            log.info("event=reply_sink_rewound sink={} partitions={}", sink, assignment);
        }
        needsRewind = false;
    }

    private void shutdownClients() {
        try {
            if (!uncommitted.isEmpty() && !needsRewind && canCommitOnShutdown()) {
                consumer.commitSync(uncommitted, Duration.ofSeconds(5)); // delivered before shutdown
            }
        } catch (RuntimeException e) {
            log.warn("event=reply_sink_final_commit_failed sink={} error={}", sink, e.toString());
        }
        closeQuietly(answers);
        closeQuietly(consumerMetrics);
        closeQuietly(producerMetrics);
        closeQuietly(() -> consumer.close(CloseOptions.timeout(Duration.ofSeconds(5))));
        closeQuietly(() -> producer.close(Duration.ofSeconds(5)));
        closeResources();
        log.info("event=reply_sink_stopped sink={} group={}", sink, config.consumerGroup());
    }

    protected static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            log.warn("event=reply_sink_close_failed error={}", e.toString());
        }
    }

    /** Sleeps up to {@code duration}, returning early when the sink is closed. */
    protected void sleep(Duration duration) {
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

    /** Stops the consumer thread (within a few seconds) after committing what was delivered. */
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
            log.warn("event=reply_sink_stop_slow sink={} detail=\"consumer thread still running after 15 s\"", sink);
        }
    }
}
