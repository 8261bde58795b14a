package io.tla.schemas;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A reply to one Teams message: the value of {@code teams.replies.v1}, keyed by conversation id.
 * The contract fields come first; the addressing fields after {@code createdAt} let a reply connector post
 * it without reading any other topic, {@code messageReceivedAt} gives end-to-end latency, and
 * {@code senderAadObjectId} names the user an on-behalf-of Graph post acts for, {@code teamId} (the team's
 * {@code 19:...@thread} id) lets a connector resolve a missing AAD group id, and {@code replyDeadline} (copied from
 * the message) tells reply connectors that the ingress may deliver this reply as the webhook's HTTP response until
 * then. {@code registration} (copied from the message) names the webhook registration whose key the message came
 * under: the ingress answers a webhook call only with a reply of its own registration. {@code verification} says
 * whether a translation passed the model stage's checks ({@code verified}, {@code unverified}, {@code not-checked});
 * null for other kinds and for replies of earlier releases.
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
        Instant messageReceivedAt,
        String senderAadObjectId,
        String teamId,
        Instant replyDeadline,
        String registration,
        String verification) {

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

    /** A reply without verification status (not a translation, or not checked). */
    public ReplyEvent(String replyId, String tenantId, String conversationId, String replyToId, ReplyKind kind,
                      String sourceLanguage, List<Translation> translations, String provider, String model, Usage usage,
                      Instant createdAt, ConversationType conversationType, String teamAadGroupId, String channelId,
                      String rootMessageId, String serviceUrl, Instant messageReceivedAt, String senderAadObjectId,
                      String teamId, Instant replyDeadline, String registration) {
        this(replyId, tenantId, conversationId, replyToId, kind, sourceLanguage, translations, provider, model, usage,
                createdAt, conversationType, teamAadGroupId, channelId, rootMessageId, serviceUrl, messageReceivedAt,
                senderAadObjectId, teamId, replyDeadline, registration, null);
    }

    /** A reply without team thread id or reply deadline. */
    public ReplyEvent(String replyId, String tenantId, String conversationId, String replyToId, ReplyKind kind,
                      String sourceLanguage, List<Translation> translations, String provider, String model, Usage usage,
                      Instant createdAt, ConversationType conversationType, String teamAadGroupId, String channelId,
                      String rootMessageId, String serviceUrl, Instant messageReceivedAt, String senderAadObjectId) {
        this(replyId, tenantId, conversationId, replyToId, kind, sourceLanguage, translations, provider, model, usage,
                createdAt, conversationType, teamAadGroupId, channelId, rootMessageId, serviceUrl, messageReceivedAt,
                senderAadObjectId, null, null, null);
    }

    /** A reply without registration. */
    public ReplyEvent(String replyId, String tenantId, String conversationId, String replyToId, ReplyKind kind,
                      String sourceLanguage, List<Translation> translations, String provider, String model, Usage usage,
                      Instant createdAt, ConversationType conversationType, String teamAadGroupId, String channelId,
                      String rootMessageId, String serviceUrl, Instant messageReceivedAt, String senderAadObjectId,
                      String teamId, Instant replyDeadline) {
        this(replyId, tenantId, conversationId, replyToId, kind, sourceLanguage, translations, provider, model, usage,
                createdAt, conversationType, teamAadGroupId, channelId, rootMessageId, serviceUrl, messageReceivedAt,
                senderAadObjectId, teamId, replyDeadline, null);
    }

    /**
     * The same reply with the result of its translation's checks: {@code verified}, {@code unverified} (the text
     * says so too) or {@code not-checked}.
     */
    public ReplyEvent withVerification(String status) {
        return new ReplyEvent(replyId, tenantId, conversationId, replyToId, kind, sourceLanguage, translations,
                provider, model, usage, createdAt, conversationType, teamAadGroupId, channelId, rootMessageId,
                serviceUrl, messageReceivedAt, senderAadObjectId, teamId, replyDeadline, registration, status);
    }

    /** A reply to {@code message}, carrying its addressing fields. */
    public static ReplyEvent answering(NormalizedMessage message, String replyId, ReplyKind kind, String sourceLanguage,
                                       List<Translation> translations, String provider, String model, Usage usage,
                                       Instant createdAt) {
        return new ReplyEvent(replyId, message.tenantId(), message.conversationId(), message.messageId(), kind,
                sourceLanguage, translations, provider, model, usage, createdAt, message.conversationType(),
                message.teamAadGroupId(), message.channelId(), message.rootMessageId(), message.serviceUrl(),
                message.receivedAt(), message.from() == null ? null : message.from().aadObjectId(), message.teamId(),
                message.replyDeadline(), message.registration());
    }
}
