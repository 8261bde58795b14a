package io.tla.connectors.replies;

import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicFollower;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.Topics;
import io.tla.schemas.WebhookAnswer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the ingress answered inside Teams' webhook window ({@code tla.replies.answered.v1}), followed by every reply
 * connector instance. A reply that carries a {@link ReplyEvent#replyDeadline()} is held until either its answer is
 * seen and the deadline has passed by a short settle time (the ingress withdraws an answer, with a tombstone, when
 * it could not confirm it before the deadline), or the deadline plus the hand-off grace has passed without one.
 * Only that reply's conversation waits; {@link #check} never blocks.
 */
public final class WebhookAnswers implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebhookAnswers.class);
    /** How far back a starting connector reads answers: longer than any deadline plus grace. */
    static final Duration LOOK_BACK = Duration.ofMinutes(10);
    private static final Duration SETTLE = Duration.ofMillis(250);
    private static final Duration FORGET_AFTER = Duration.ofMinutes(30);

    private final Clock clock;
    private final Duration grace;
    private final TopicFollower follower;
    private final Deserializer<WebhookAnswer> values = Topics.WEBHOOK_ANSWERS.valueSerde().deserializer();
    private final Map<String, WebhookAnswer> answers = new ConcurrentHashMap<>();
    private volatile Instant lastForget = Instant.EPOCH;

    public WebhookAnswers(KafkaClients clients, String clientId, Duration grace, Clock clock) {
        this.clock = clock;
        this.grace = grace;
        this.follower = new TopicFollower(clients, clientId, Topics.WEBHOOK_ANSWERS.name(),
                clock.instant().minus(LOOK_BACK), Duration.ofMillis(20), this::apply);
    }

    public WebhookAnswers start() {
        follower.start();
        return this;
    }

    /** Whether the answers written before this connector started have been read. */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return follower.awaitCaughtUp(timeout);
    }

    private void apply(ConsumerRecords<byte[], byte[]> records) {
        for (ConsumerRecord<byte[], byte[]> record : records) {
            if (record.key() == null) {
                continue;
            }
            String replyId = new String(record.key(), StandardCharsets.UTF_8);
            if (record.value() == null) {
                answers.remove(replyId);
                continue;
            }
            try {
                answers.put(replyId, values.deserialize(record.topic(), record.value()));
            } catch (RuntimeException e) {
                log.warn("event=webhook_answer_unreadable partition={} offset={} error={}", record.partition(),
                        record.offset(), e.getClass().getSimpleName());
            }
        }
        forgetOld();
    }

    /**
     * Whether the ingress delivered {@code reply} as the webhook response, without waiting: {@link Decision#answered}
     * is true or false once it is known, null (with a time to look again) while the answer may still come.
     */
    public Decision check(ReplyEvent reply) {
        Instant deadline = reply.replyDeadline();
        if (deadline == null) {
            return Decision.NOT_ANSWERED;
        }
        Instant giveUp = deadline.plus(grace);
        Instant settled = deadline.plus(SETTLE.compareTo(grace) < 0 ? SETTLE : grace);
        Instant now = clock.instant();
        boolean seen = answers.containsKey(reply.replyId());
        if (seen && !now.isBefore(settled)) {
            return Decision.ANSWERED;
        }
        if (!seen && !now.isBefore(giveUp)) {
            return Decision.NOT_ANSWERED;
        }
        Instant next = now.plusMillis(50); // answers arrive within tens of milliseconds of being written
        Instant decisive = seen ? settled : giveUp;
        return new Decision(null, next.isBefore(decisive) ? next : decisive);
    }

    /** What {@link #check} knows: answered or not, or when to look again. */
    public record Decision(Boolean answered, Instant lookAgainAt) {
        static final Decision ANSWERED = new Decision(true, null);
        static final Decision NOT_ANSWERED = new Decision(false, null);

        public boolean known() {
            return answered != null;
        }
    }

    /** Answers held in memory. */
    public int size() {
        return answers.size();
    }

    private void forgetOld() {
        Instant now = clock.instant();
        if (Duration.between(lastForget, now).compareTo(Duration.ofMinutes(1)) < 0) {
            return;
        }
        lastForget = now;
        Instant cutoff = now.minus(FORGET_AFTER);
        answers.values().removeIf(answer -> answer.answeredAt().isBefore(cutoff));
    }

    @Override
    public void close() {
        follower.close();
    }
}
