package io.tla.connectors.replies;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.ConsumerLoop;
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
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every reply sink shares: a {@link ConsumerLoop} on {@code teams.replies.v1} (read_committed, manual
 * commits), a producer for dead letters and telemetry, the health check, and the delivery order.
 *
 * <p>Each reply read is queued in its conversation's lane ({@link ConversationLanes}) and {@linkplain #deliver
 * delivered} there, one at a time per conversation, in the order read; conversations and tenants do not wait for
 * each other. A reply's offset is committed only once it and every reply before it on its partition is delivered,
 * found already delivered, or dead-lettered (and the dead letter acknowledged), so a crash or a rebalance re-reads
 * rather than loses, and the sink's own duplicate check keeps a re-read from delivering twice. A delivery that
 * fails unexpectedly keeps its place and is tried again after a growing back-off; the consumer thread never dies
 * of bad input (undeserialisable records are dead-lettered). A reply the ingress may deliver as the webhook's HTTP
 * response (it carries a reply deadline) waits, in its own lane only, until {@link WebhookAnswers} knows whether
 * it did; an answered reply is skipped.
 */
public abstract class ReplySink implements AutoCloseable {

    public static final String HEALTH_COMPONENT = "replies";
    /** Failures in a row before the health check reports the sink as not ready. */
    private static final int UNHEALTHY_AFTER_FAILURES = 3;
    /** Replies read but not yet delivered, per partition, before the partition is paused. */
    static final int MAX_PENDING_PER_PARTITION = 1_000;
    private static final Duration MAX_RETRY_BACKOFF = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(ReplySink.class);

    protected final String sink;
    protected final String stage;
    protected final ReplyConfig config;
    protected final Clock clock;
    protected final Producer<byte[], byte[]> producer;
    private final Deserializer<ReplyEvent> replyDeserializer = Topics.REPLIES.valueSerde().deserializer();
    private final KafkaClientMetrics producerMetrics;
    protected final Counter delivered;
    private final Counter duplicates;
    protected final Counter deadLettered;
    private final Counter telemetryFailed;
    private final Counter deliveryFailures;
    private final Counter answeredInWebhook;
    private final WebhookAnswers answers;
    private final Timer endToEnd;
    private final ConsumerLoop loop;
    private final Map<String, Object> consumerProperties;
    private ConversationLanes<Pending> lanes;

    private volatile boolean running;
    private volatile boolean started;
    private volatile boolean closed;
    private volatile int consecutiveFailures;
    private volatile String lastFailure = "";

    /** One reply (or unreadable record) in its lane, with what its sink has done for it so far. */
    protected static final class Pending {
        private final ConsumerRecord<byte[], byte[]> record;
        private final ReplyEvent reply;
        private final Exception unreadable;
        private final ConsumerLoop.Ticket ticket;
        private boolean answerChecked;
        private int failures;
        /** The sink's own progress on this reply, kept across attempts. */
        public Object state;

        Pending(ConsumerRecord<byte[], byte[]> record, ReplyEvent reply, Exception unreadable,
                ConsumerLoop.Ticket ticket) {
            this.record = record;
            this.reply = reply;
            this.unreadable = unreadable;
            this.ticket = ticket;
        }

        public ConsumerRecord<byte[], byte[]> record() {
            return record;
        }

        public ReplyEvent reply() {
            return reply;
        }
    }

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
        // the name predates per-conversation delivery, kept so dashboards and alerts keep working
        this.deliveryFailures = Counter.builder("tla.replies.batch.failures")
                .description("Reply deliveries that failed unexpectedly and were tried again (the reply kept its place)")
                .tag("sink", sink).register(registry);
        Gauge.builder("tla.replies.pending", this, s -> s.lanes == null ? 0 : s.lanes.size())
                .description("Replies read and not yet delivered (waiting for their conversation, tenant, webhook"
                        + " answer or a retry)").tag("sink", sink).register(registry);
        this.endToEnd = Timer.builder("tla.reply.end.to.end.seconds")
                .description("From the message's arrival at the ingress to its reply being delivered")
                .tag("sink", sink).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry);
        this.consumerProperties = consumerProperties(clients, config, sink);
        this.producer = new KafkaProducer<>(producerProperties(clients, sink), new ByteArraySerializer(),
                new ByteArraySerializer());
        this.producerMetrics = new KafkaClientMetrics(producer);
        producerMetrics.bindTo(registry);
        this.loop = new ConsumerLoop(new ConsumerLoop.Settings("tla-" + sink + "-sink", Duration.ofMillis(200),
                Duration.ofMillis(200), MAX_RETRY_BACKOFF, MAX_PENDING_PER_PARTITION), List.of(Topics.REPLIES.name()),
                this::prepareAndConnect, new Handler(), registry);
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
        // bounded, so a broker outage cannot hold a delivery (and close()) for minutes
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
        return props;
    }

    /** Runs before the consumer subscribes, retried with backoff until it succeeds or the sink is closed. */
    protected abstract void prepare() throws Exception;

    /**
     * Attempts one reply, on a lane thread. Returns {@link ConversationLanes#DONE} once the reply is delivered,
     * found already delivered, or dead-lettered with the dead letter acknowledged; or {@link #later} to be attempted
     * again, keeping its place. An exception also keeps its place, and is retried after a growing back-off.
     */
    protected abstract ConversationLanes.Outcome deliver(Pending pending) throws Exception;

    /** What the health check says while the sink is consuming. */
    protected abstract String readyDetail();

    /** Threads delivering replies at once. */
    protected abstract int deliveryThreads();

    /** Conversations of one tenant delivered at once. */
    protected abstract int tenantConcurrency();

    /**
     * A readable reply as it is read, before it is queued (on the consumer thread: must not wait). A sink may start
     * work that does not depend on the replies before it, e.g. a write it must make before delivering.
     */
    protected void read(Pending pending) {
    }

    /** Partitions this instance now owns (called inside {@code poll}, before their records are returned). */
    protected void partitionsAssigned(Collection<TopicPartition> partitions) {
    }

    /** Partitions this instance no longer owns (their deliveries in progress have ended). */
    protected void partitionsLost(Collection<TopicPartition> partitions) {
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
        lanes = new ConversationLanes<>("tla-" + sink + "-deliver", deliveryThreads(), tenantConcurrency(), clock,
                this::attempt);
        answers.start();
        loop.start();
    }

    protected boolean running() {
        return running;
    }

    /** Try again at {@code at}; with {@code wholeTenant}, the tenant's other replies wait too. */
    protected static ConversationLanes.Outcome later(Instant at, boolean wholeTenant) {
        return new ConversationLanes.Later(at, wholeTenant);
    }

    /** Counts a failure that keeps the sink from delivering (for the health check), e.g. a rejected credential. */
    protected void failing(String what) {
        consecutiveFailures++;
        lastFailure = what;
    }

    private Health.Check check() {
        ConsumerLoop.State state = loop.state();
        if (state.died() != null) {
            return Health.Check.notReady("consumer thread stopped: " + state.died());
        }
        if (closed) {
            return Health.Check.notReady("stopped");
        }
        if (!started) {
            return Health.Check.notReady("not started");
        }
        if (!state.joined()) {
            return Health.Check.notReady("joining consumer group " + config.consumerGroup());
        }
        if (state.consecutiveFailures() >= UNHEALTHY_AFTER_FAILURES) {
            return Health.Check.notReady("failing: " + state.lastFailure());
        }
        if (consecutiveFailures >= UNHEALTHY_AFTER_FAILURES) {
            return Health.Check.notReady("failing: " + lastFailure);
        }
        return Health.Check.ready(readyDetail());
    }

    /** The loop's consumer, made on its thread once {@link #prepare} has succeeded. */
    private Consumer<byte[], byte[]> prepareAndConnect() {
        Duration backoff = Duration.ofMillis(500);
        while (true) {
            try {
                prepare();
                consecutiveFailures = 0;
                return new KafkaConsumer<>(consumerProperties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            } catch (Exception e) {
                if (!running) {
                    throw new IllegalStateException("the " + sink + " sink stopped before it could start", e);
                }
                failing("cannot start: " + e.getClass().getSimpleName());
                log.error("event=reply_sink_prepare_failed sink={} error={}", sink, e.toString());
                if (!loop.pause(backoff)) {
                    throw new IllegalStateException("the " + sink + " sink stopped before it could start", e);
                }
                backoff = Duration.ofMillis(Math.min(10_000, backoff.toMillis() * 2));
            }
        }
    }

    /** The loop's side: every record read goes to its lane. */
    private final class Handler implements ConsumerLoop.Handler {
        @Override
        public void handle(ConsumerRecords<byte[], byte[]> records, ConsumerLoop.Batch batch) {
            for (ConsumerRecord<byte[], byte[]> record : records) {
                ConsumerLoop.Ticket ticket = batch.defer(record);
                ReplyEvent reply = null;
                Exception unreadable = null;
                try {
                    reply = deserialize(record);
                } catch (SerializationException | IllegalArgumentException e) {
                    unreadable = e;
                }
                Pending pending = new Pending(record, reply, unreadable, ticket);
                if (reply != null) {
                    read(pending);
                    lanes.add(reply.tenantId(), reply.conversationId(), record.partition(), pending);
                } else {
                    // a lane of its own: nothing orders it
                    lanes.add("", "unreadable/" + record.partition() + "/" + record.offset(), record.partition(),
                            pending);
                }
            }
        }

        @Override
        public void assigned(Collection<TopicPartition> partitions) {
            partitionsAssigned(partitions);
            log.info("event=reply_sink_partitions_assigned sink={} group={} partitions={}", sink,
                    config.consumerGroup(), partitions);
        }

        @Override
        public void revoked(Collection<TopicPartition> partitions) {
            // deliveries in progress end first: the next owner must not post what this one is posting
            lanes.drop(partitions.stream().map(TopicPartition::partition).toList(), Duration.ofSeconds(60));
            partitionsLost(partitions);
        }

        @Override
        public void lost(Collection<TopicPartition> partitions) {
            lanes.drop(partitions.stream().map(TopicPartition::partition).toList(), Duration.ofSeconds(60));
            partitionsLost(partitions);
        }

        @Override
        public void stopping() {
            lanes.close(Duration.ofSeconds(15));
        }
    }

    /** One attempt at one reply: the webhook answer first, then the sink's delivery. */
    private ConversationLanes.Outcome attempt(Pending pending) {
        if (!running) {
            return later(clock.instant().plusSeconds(1), false); // stopping: read again on the next start
        }
        try {
            if (pending.reply == null) {
                awaitDeadLetter(deadLetterPoison(pending.record, pending.unreadable));
                return finished(pending);
            }
            if (pending.reply.replyDeadline() != null && !pending.answerChecked) {
                WebhookAnswers.Decision decision = answers.check(pending.reply);
                if (!decision.known()) {
                    return later(decision.lookAgainAt(), false);
                }
                pending.answerChecked = true;
                if (decision.answered()) {
                    answeredInWebhook.increment();
                    log.info("event=reply_answered_in_webhook sink={} tenant={} conversation={} reply_id={}", sink,
                            pending.reply.tenantId(), pending.reply.conversationId(), pending.reply.replyId());
                    return finished(pending);
                }
            }
            ConversationLanes.Outcome outcome = deliver(pending);
            return outcome instanceof ConversationLanes.Done ? finished(pending) : outcome;
        } catch (Exception e) {
            pending.failures++;
            failing(e.getClass().getSimpleName());
            deliveryFailures.increment();
            long backoffMs = Math.min(MAX_RETRY_BACKOFF.toMillis(), 200L << Math.min(10, pending.failures - 1));
            if (pending.failures < ConsumerLoop.ERROR_AFTER_FAILURES) {
                log.warn("event=reply_delivery_failed sink={} partition={} offset={} attempt={} backoff_ms={}"
                        + " error={}", sink, pending.record.partition(), pending.record.offset(), pending.failures,
                        backoffMs, e.toString());
            } else {
                log.error("event=reply_delivery_failed sink={} partition={} offset={} attempt={} backoff_ms={}"
                        + " error={}", sink, pending.record.partition(), pending.record.offset(), pending.failures,
                        backoffMs, e.toString(), e);
            }
            return later(clock.instant().plusMillis(backoffMs), false);
        }
    }

    private ConversationLanes.Outcome finished(Pending pending) {
        pending.ticket.done();
        consecutiveFailures = 0;
        return ConversationLanes.DONE;
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
    protected void sendTelemetry(String type, ReplyEvent reply, Instant at, Map<String, Object> attributes) {
        sendTelemetry(type + ":" + reply.replyId(), type, reply, at, attributes);
    }

    /**
     * Sends a telemetry event about {@code reply} with its own event id (the store counts each id once). Best
     * effort: the reply itself is delivered, so a failure is counted and logged, not retried.
     */
    protected void sendTelemetry(String eventId, String type, ReplyEvent reply, Instant at,
                                 Map<String, Object> attributes) {
        Map<String, Object> all = attributes;
        if (reply.replyDeadline() != null && TelemetryEvent.Types.REPLY_POSTED.equals(type)) {
            all = new LinkedHashMap<>(attributes);
            all.put("syncReply", "missed"); // the ingress did not answer it within Teams' window
        }
        TelemetryEvent event = new TelemetryEvent(eventId, type, reply.tenantId(),
                reply.conversationId(), reply.replyToId(), at, all);
        String topic = Topics.TELEMETRY.name();
        try {
            producer.send(new ProducerRecord<>(topic,
                    Topics.TELEMETRY.keySerde().serializer().serialize(topic, reply.tenantId()),
                    Topics.TELEMETRY.valueSerde().serializer().serialize(topic, event)), (metadata, error) -> {
                        if (error != null) {
                            telemetryFailed.increment();
                            log.warn("event=reply_telemetry_failed sink={} error={}", sink, error.toString());
                        }
                    });
        } catch (RuntimeException e) {
            telemetryFailed.increment();
            log.warn("event=reply_telemetry_failed sink={} error={}", sink, e.toString());
        }
    }

    /** Waits for a dead letter, which must be stored before its offset is committed. */
    protected void awaitDeadLetter(Future<RecordMetadata> deadLetter) throws Exception {
        deadLetter.get(30, TimeUnit.SECONDS);
        deadLettered.increment();
    }

    protected static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            log.warn("event=reply_sink_close_failed error={}", e.toString());
        }
    }

    /** Stops delivering (waiting for deliveries in progress), commits what was delivered, and closes the clients. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = false;
        }
        loop.close();
        if (lanes != null) {
            lanes.close(Duration.ofSeconds(1)); // already closed by the loop, unless it never ran
        }
        closeQuietly(answers);
        closeQuietly(producerMetrics);
        closeQuietly(() -> producer.close(Duration.ofSeconds(5)));
        closeResources();
        log.info("event=reply_sink_stopped sink={} group={}", sink, config.consumerGroup());
    }
}
