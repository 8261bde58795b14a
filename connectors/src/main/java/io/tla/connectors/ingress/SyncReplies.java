package io.tla.connectors.ingress;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tla.platform.config.SyncReplyConfig;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicFollower;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.schemas.WebhookAnswer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replies delivered inside Teams' outgoing-webhook window. For a message of a {@code sync-reply} registration the
 * ingress registers the message as pending before storing it, then waits (without holding a request thread) for
 * its reply on {@code teams.replies.v1}, which every ingress instance follows whole, so the instance holding the
 * HTTP request sees the reply wherever the topology ran. A reply that arrives before the deadline is first recorded
 * on {@code tla.replies.answered.v1} (so reply connectors do not post it again) and, once the broker confirmed that
 * before the deadline, becomes the HTTP response; otherwise the ingress answers 202 and withdraws a late record.
 *
 * <p>A pending call is keyed by registration, tenant, conversation and message, and only a reply carrying all four
 * completes it: a request can only ever receive the answer for the message it carried, under its own key. (A Teams
 * retry of an answered call gets the same answer from the ingress's delivery memory, not from here.)
 */
public final class SyncReplies implements AutoCloseable {

    public static final String SINK = "webhook-response";
    static final String CLIENT_ID = "tla-ingress-replies";
    private static final Logger log = LoggerFactory.getLogger(SyncReplies.class);
    private static final Duration FOLLOW_BATCH_WAIT = Duration.ofMillis(20);

    /** A message waiting for its reply; requests for the same activity (Teams retries) share it. */
    public static final class Pending {
        private final NormalizedMessage message;
        private final CompletableFuture<Optional<Map<String, Object>>> answer = new CompletableFuture<>();
        private final long startedNanos = System.nanoTime();
        private volatile boolean cancelled;

        private Pending(NormalizedMessage message) {
            this.message = message;
        }

        public NormalizedMessage message() {
            return message;
        }
    }

    private final SyncReplyConfig config;
    private final Clock clock;
    private final Producer<byte[], byte[]> producer;
    private final TopicFollower follower;
    private final Deserializer<ReplyEvent> replies = Topics.REPLIES.valueSerde().deserializer();
    /** Pending messages by conversation id (the replies' key), then by registration, tenant and message id. */
    private final Map<String, Map<String, Pending>> pending = new ConcurrentHashMap<>();
    private final MeterRegistry registry;
    private final Timer waited;
    private final ExecutorService confirmations = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tla-sync-replies");
        t.setDaemon(true);
        return t;
    });

    public SyncReplies(KafkaClients clients, SyncReplyConfig config, MeterRegistry registry, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.registry = registry;
        Map<String, Object> props = clients.properties(CLIENT_ID + "-producer");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 2); // answers and telemetry of busy moments share requests
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        // 20 ms of batching costs little of the window and reads a busy replies topic in far fewer fetches
        this.follower = new TopicFollower(clients, CLIENT_ID, Topics.REPLIES.name(), null, FOLLOW_BATCH_WAIT,
                this::onReplies);
        this.waited = Timer.builder("tla.ingress.sync.reply.wait.seconds")
                .description("From storing a sync-reply message to answering its webhook call, either way")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(5))
                .maximumExpectedValue(Duration.ofSeconds(5)).register(registry);
        Gauge.builder("tla.ingress.sync.replies.pending", pending,
                        byConversation -> byConversation.values().stream().mapToInt(Map::size).sum())
                .description("Webhook calls of sync-reply registrations waiting for their reply").register(registry);
    }

    public SyncReplies start() {
        follower.start();
        return this;
    }

    /** Whether the follower is positioned on every replies partition. */
    public boolean awaitFollowing(Duration timeout) throws InterruptedException {
        return follower.awaitCaughtUp(timeout);
    }

    /** Replies read while following {@code teams.replies.v1}. */
    public long repliesRead() {
        return follower.records();
    }

    /** The message with its deadline, registered as pending; call before the message is stored. */
    public Pending expect(NormalizedMessage message) {
        Pending created = new Pending(message);
        Pending[] existing = new Pending[1];
        // atomic per conversation, so forget() cannot drop the map this message is being added to
        pending.compute(message.conversationId(), (conversation, byMessage) -> {
            Map<String, Pending> map = byMessage == null ? new ConcurrentHashMap<>() : byMessage;
            existing[0] = map.putIfAbsent(key(message), created);
            return map;
        });
        if (existing[0] != null) {
            return existing[0]; // a retry while the first delivery waits: same deadline, same answer
        }
        long millis = Math.max(0, Duration.between(clock.instant(), message.replyDeadline()).toMillis());
        created.answer.completeOnTimeout(Optional.empty(), millis, TimeUnit.MILLISECONDS);
        created.answer.whenComplete((answer, error) -> {
            forget(created);
            if (created.cancelled) {
                return; // never stored: answered 503, not a missed window
            }
            boolean inTime = answer != null && answer.isPresent();
            waited.record(System.nanoTime() - created.startedNanos, TimeUnit.NANOSECONDS);
            outcome(message, inTime ? "answered" : "missed").increment();
        });
        return created;
    }

    /** The Teams reply message when the reply was recorded in time, else empty (answer 202). */
    public CompletableFuture<Optional<Map<String, Object>>> answer(Pending p) {
        return p.answer;
    }

    /**
     * The caller's time is up: stops waiting for {@code p}'s reply, unless it has already been answered. Returns the
     * answer the call must give: the reply when it won the race (it is recorded as answered, so nobody posts it
     * again), else empty (answer 202; a reply confirmed from now on is withdrawn and posted by the reply connector).
     */
    public Optional<Map<String, Object>> expire(Pending p) {
        p.answer.complete(Optional.empty());
        return p.answer.join();
    }

    /** Forgets a pending message that could not be stored. */
    public void cancel(Pending p) {
        p.cancelled = true;
        forget(p);
        p.answer.complete(Optional.empty());
    }

    private void forget(Pending p) {
        NormalizedMessage m = p.message;
        pending.computeIfPresent(m.conversationId(), (c, byMessage) -> {
            byMessage.remove(key(m), p);
            return byMessage.isEmpty() ? null : byMessage;
        });
    }

    private void onReplies(ConsumerRecords<byte[], byte[]> records) {
        if (pending.isEmpty()) {
            return;
        }
        for (ConsumerRecord<byte[], byte[]> record : records) {
            if (record.key() == null || record.value() == null) {
                continue;
            }
            // only replies in a conversation with a pending message are read further
            Map<String, Pending> byMessage = pending.get(new String(record.key(), StandardCharsets.UTF_8));
            if (byMessage == null) {
                continue;
            }
            ReplyEvent reply;
            try {
                reply = replies.deserialize(record.topic(), record.headers(), record.value());
            } catch (RuntimeException e) {
                continue; // reply connectors dead-letter it
            }
            Pending p = byMessage.get(key(reply.registration(), reply.tenantId(), reply.replyToId()));
            if (p != null && !p.answer.isDone()) {
                record(p, reply);
            }
        }
    }

    /** Records the answer, then completes the request if the broker confirmed it before the deadline. */
    private void record(Pending p, ReplyEvent reply) {
        NormalizedMessage m = p.message;
        Instant now = clock.instant();
        if (!now.isBefore(m.replyDeadline())) {
            return;
        }
        Map<String, Object> body = WebhookReplyMessage.of(reply);
        WebhookAnswer answer = new WebhookAnswer(reply.replyId(), reply.tenantId(), reply.replyToId(),
                m.registration(), now);
        String topic = Topics.WEBHOOK_ANSWERS.name();
        byte[] key = reply.replyId().getBytes(StandardCharsets.UTF_8);
        try {
            producer.send(new ProducerRecord<>(topic, key,
                    Topics.WEBHOOK_ANSWERS.valueSerde().serializer().serialize(topic, answer)),
                    // off the producer's I/O thread: what follows sends again and writes the HTTP response
                    (meta, error) -> confirmations.execute(() -> confirmed(p, reply, body, key, error)));
        } catch (RuntimeException e) {
            log.warn("event=sync_reply_record_failed tenant={} message_id={} error={}", m.tenantId(), m.messageId(),
                    e.getClass().getSimpleName());
        }
    }

    /** After the broker answered for the record: the HTTP answer when still in time, else a withdrawal. */
    private void confirmed(Pending p, ReplyEvent reply, Map<String, Object> body, byte[] key, Exception error) {
        NormalizedMessage m = p.message;
        try {
            if (error == null && clock.instant().isBefore(m.replyDeadline()) && p.answer.complete(Optional.of(body))) {
                sendTelemetry(m, reply, Duration.ofNanos(System.nanoTime() - p.startedNanos));
                return;
            }
            if (error == null) {
                // recorded too late: the call is answered 202, so the reply connector must post the reply
                producer.send(new ProducerRecord<>(Topics.WEBHOOK_ANSWERS.name(), key, null));
                outcome(m, "withdrawn").increment();
            }
            log.info("event=sync_reply_not_answered tenant={} conversation={} message_id={} reason=\"{}\"",
                    m.tenantId(), m.conversationId(), m.messageId(),
                    error == null ? "recorded after the deadline" : error.getClass().getSimpleName());
        } catch (RuntimeException e) {
            log.warn("event=sync_reply_confirm_failed tenant={} message_id={} error={}", m.tenantId(), m.messageId(),
                    e.getClass().getSimpleName());
        }
    }

    private void sendTelemetry(NormalizedMessage m, ReplyEvent reply, Duration waitedFor) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("replyId", reply.replyId());
        attributes.put("sink", SINK);
        attributes.put("syncReply", "answered");
        if (m.registration() != null) {
            attributes.put("registration", m.registration());
        }
        attributes.put("waitedMs", waitedFor.toMillis());
        Instant at = clock.instant();
        TelemetryEvent event = new TelemetryEvent(TelemetryEvent.Types.REPLY_POSTED + ":" + reply.replyId(),
                TelemetryEvent.Types.REPLY_POSTED, reply.tenantId(), reply.conversationId(), reply.replyToId(), at,
                attributes);
        String topic = Topics.TELEMETRY.name();
        try {
            producer.send(new ProducerRecord<>(topic, Topics.TELEMETRY.keySerde().serializer().serialize(topic,
                    reply.tenantId()), Topics.TELEMETRY.valueSerde().serializer().serialize(topic, event)));
        } catch (RuntimeException e) {
            log.warn("event=sync_reply_telemetry_failed tenant={} error={}", reply.tenantId(), e.getClass().getSimpleName());
        }
    }

    private Counter outcome(NormalizedMessage m, String outcome) {
        return Counter.builder("tla.ingress.sync.replies")
                .description("Webhook calls of sync-reply registrations by outcome: answered with the reply, "
                        + "missed (202, posted later), withdrawn (confirmed after the deadline)")
                .tag("registration", m.registration() == null ? "" : m.registration())
                .tag("outcome", outcome).register(registry);
    }

    private static String key(NormalizedMessage m) {
        return key(m.registration(), m.tenantId(), m.messageId());
    }

    /** Within a conversation's map; a reply without registration (an older topology) answers no call. */
    private static String key(String registration, String tenantId, String messageId) {
        return (registration == null ? "" : registration) + '\u0000' + tenantId + '\u0000' + messageId;
    }

    @Override
    public void close() {
        follower.close();
        pending.values().forEach(byMessage -> byMessage.values().forEach(p -> p.answer.complete(Optional.empty())));
        producer.close(Duration.ofSeconds(5));
        confirmations.shutdown();
    }
}
