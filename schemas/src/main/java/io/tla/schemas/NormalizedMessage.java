package io.tla.schemas;

import java.time.Instant;
import java.util.Objects;

/**
 * A Teams activity accepted by the ingress, normalised: the value of {@code teams.messages.v1}, keyed by
 * {@link #conversationId()}. {@code text} is plain text with the bot mention and HTML removed.
 * Channel fields ({@code teamAadGroupId}, {@code teamId}, {@code channelId}, {@code rootMessageId}) are null in
 * chats. {@code teamId} is the team's {@code 19:...@thread} id, from which its AAD group id can be resolved when the
 * activity does not carry it. {@code registration} names the outgoing-webhook registration the request was signed
 * for (null for the default key); {@code replyDeadline} is set when that registration answers the webhook call with
 * the reply ({@code sync-reply}): a reply ready before it may be delivered as the HTTP response instead of posted.
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
        Instant receivedAt,
        String teamId,
        String registration,
        Instant replyDeadline) {

    public NormalizedMessage {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(conversationId, "conversationId");
        Objects.requireNonNull(conversationType, "conversationType");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(receivedAt, "receivedAt");
    }

    /** A message without team thread id, registration or reply deadline. */
    public NormalizedMessage(String messageId, String tenantId, String conversationId, ConversationType conversationType,
                             Sender from, String text, String teamAadGroupId, String channelId, String rootMessageId,
                             String serviceUrl, Instant receivedAt) {
        this(messageId, tenantId, conversationId, conversationType, from, text, teamAadGroupId, channelId,
                rootMessageId, serviceUrl, receivedAt, null, null, null);
    }

    /** This message as received for webhook registration {@code registration}, answered in the call until {@code replyDeadline} (null: not). */
    public NormalizedMessage forRegistration(String registration, Instant replyDeadline) {
        return new NormalizedMessage(messageId, tenantId, conversationId, conversationType, from, text, teamAadGroupId,
                channelId, rootMessageId, serviceUrl, receivedAt, teamId, registration, replyDeadline);
    }

    /**
     * This message as its webhook key's binding speaks for it: the binding's tenant and team ids in place of what
     * the body said.
     */
    public NormalizedMessage withIdentity(String tenantId, String teamId, String teamAadGroupId) {
        return new NormalizedMessage(messageId, tenantId, conversationId, conversationType, from, text, teamAadGroupId,
                channelId, rootMessageId, serviceUrl, receivedAt, teamId, registration, replyDeadline);
    }

    /** This message with {@code text} in place of its text (every other field kept). */
    public NormalizedMessage withText(String text) {
        return new NormalizedMessage(messageId, tenantId, conversationId, conversationType, from, text, teamAadGroupId,
                channelId, rootMessageId, serviceUrl, receivedAt, teamId, registration, replyDeadline);
    }
}
