package io.tla.schemas;

import java.time.Instant;
import java.util.Objects;

/**
 * A Teams activity accepted by the ingress, normalised: the value of {@code teams.messages.v1}, keyed by
 * {@link #conversationId()}. {@code text} is plain text with the bot mention and HTML removed.
 * Channel fields ({@code teamAadGroupId}, {@code channelId}, {@code rootMessageId}) are null in chats.
 */
public record NormalizedMessage(
        String messageId,
        String tenantId,
        String conversationId,
        ConversationType conversationType,
        Sender from,
        String text,
        String teamAadGroupId,
        String channelId,
        String rootMessageId,
        String serviceUrl,
        Instant receivedAt) {

    public NormalizedMessage {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(conversationId, "conversationId");
        Objects.requireNonNull(conversationType, "conversationType");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(receivedAt, "receivedAt");
    }
}
