package io.tla.schemas;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A reply to one Teams message: the value of {@code teams.replies.v1}, keyed by conversation id.
 * The contract fields come first; the addressing fields after {@code createdAt} let a reply connector post
 * it without reading any other topic, and {@code messageReceivedAt} gives end-to-end latency.
 */
public record ReplyEvent(
        String replyId,
        String tenantId,
        String conversationId,
        String replyToId,
        ReplyKind kind,
        String sourceLanguage,
        List<Translation> translations,
        String provider,
        String model,
        Usage usage,
        Instant createdAt,
        ConversationType conversationType,
        String teamAadGroupId,
        String channelId,
        String rootMessageId,
        String serviceUrl,
        Instant messageReceivedAt) {

    public ReplyEvent {
        Objects.requireNonNull(replyId, "replyId");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(conversationId, "conversationId");
        Objects.requireNonNull(replyToId, "replyToId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(createdAt, "createdAt");
        translations = translations == null ? List.of() : List.copyOf(translations);
        usage = usage == null ? Usage.NONE : usage;
    }
}
