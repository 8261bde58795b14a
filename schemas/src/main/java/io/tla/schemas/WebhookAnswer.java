package io.tla.schemas;

import java.time.Instant;
import java.util.Objects;

/**
 * A reply the ingress delivered as the HTTP response to Teams' outgoing-webhook call (a {@code sync-reply}
 * registration): the value of {@code tla.replies.answered.v1}, keyed by reply id. Reply connectors hold a reply that
 * carries a {@link ReplyEvent#replyDeadline()} until they see its answer or the deadline has passed, and post only
 * what was not answered. A null value (tombstone) withdraws an answer whose HTTP response could not be sent in time.
 */
public record WebhookAnswer(String replyId, String tenantId, String messageId, String registration,
                            Instant answeredAt) {

    public WebhookAnswer {
        Objects.requireNonNull(replyId, "replyId");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(answeredAt, "answeredAt");
    }
}
