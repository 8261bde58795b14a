package io.tla.connectors.graph;

import io.tla.schemas.ConversationType;
import io.tla.schemas.ReplyEvent;
import java.util.regex.Pattern;

/**
 * Where in Teams a reply is posted, as Graph addresses it: a reply in a channel thread
 * ({@code /teams/{team}/channels/{channel}/messages/{root}/replies}) or a chat message ({@code /chats/{chat}/messages}).
 */
public sealed interface ReplyAddress {

    /** A reply in the thread of channel message {@code rootMessageId}; {@code teamId} is the team's AAD group id. */
    record ChannelThread(String teamId, String channelId, String rootMessageId) implements ReplyAddress {
        @Override
        public String describe() {
            return "teams/" + teamId + "/channels/" + channelId + "/messages/" + rootMessageId + "/replies";
        }
    }

    /** A message in chat {@code chatId} (a group chat's or a one-to-one chat's Graph id, {@code 19:...}). */
    record Chat(String chatId) implements ReplyAddress {
        @Override
        public String describe() {
            return "chats/" + chatId + "/messages";
        }
    }

    /** The Graph path, for logs and dead-letter messages (ids only, never content). */
    String describe();

    /** A reply Graph cannot be told where to post, and why. */
    final class UnaddressableException extends Exception {
        public UnaddressableException(String message) {
            super(message);
        }
    }

    Pattern GUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    String MESSAGE_ID_MARKER = ";messageid=";

    /**
     * The address of {@code reply}. A channel reply needs the team's AAD group id (a GUID: never the tenant id nor
     * the {@code 19:...@thread} id), the channel id and the thread's root message (from the conversation id's
     * {@code ;messageid=}, else the answered message itself, which is then the thread's root). A chat needs a
     * Graph chat id: Bot Framework's personal conversation ids ({@code a:...}) are not one.
     */
    static ReplyAddress of(ReplyEvent reply) throws UnaddressableException {
        return of(reply, reply.teamAadGroupId());
    }

    /** The address of {@code reply} in team {@code teamAadGroupId} (resolved from its thread id), same checks. */
    static ReplyAddress of(ReplyEvent reply, String teamAadGroupId) throws UnaddressableException {
        String conversationId = reply.conversationId();
        ConversationType type = typeOf(reply);
        if (type == ConversationType.CHANNEL) {
            String team = teamAadGroupId;
            if (blank(team)) {
                throw new UnaddressableException("channel reply without the team's AAD group id"
                        + " (channelData.team.aadGroupId, or the webhook registration's team-aad-group-id)");
            }
            if (!GUID.matcher(team).matches() || team.equalsIgnoreCase(reply.tenantId())) {
                throw new UnaddressableException("channel reply whose team id is not a team's AAD group id"
                        + (team.equalsIgnoreCase(reply.tenantId()) ? " (it is the tenant id)"
                        : team.startsWith("19:") ? " (it is the team's thread id)" : ""));
            }
            int marker = conversationId.indexOf(MESSAGE_ID_MARKER);
            String channel = !blank(reply.channelId()) ? reply.channelId()
                    : marker > 0 ? conversationId.substring(0, marker) : conversationId;
            if (!channel.startsWith("19:")) {
                throw new UnaddressableException("channel reply without a channel id (19:...@thread...)");
            }
            String root = !blank(reply.rootMessageId()) ? reply.rootMessageId()
                    : marker > 0 ? conversationId.substring(marker + MESSAGE_ID_MARKER.length()) : reply.replyToId();
            if (blank(root)) {
                throw new UnaddressableException("channel reply without the thread's root message id");
            }
            return new ChannelThread(team, channel, root);
        }
        if (!conversationId.startsWith("19:")) {
            throw new UnaddressableException(type.wireName() + " conversation id is not a Graph chat id (19:...)"
                    + (conversationId.startsWith("a:") ? "; a:... is a Bot Framework personal conversation id" : ""));
        }
        int marker = conversationId.indexOf(MESSAGE_ID_MARKER);
        return new Chat(marker > 0 ? conversationId.substring(0, marker) : conversationId);
    }

    /** Whether {@code reply} goes to a channel thread (by its type, else by {@code ;messageid=} in its id). */
    static boolean isChannel(ReplyEvent reply) {
        return typeOf(reply) == ConversationType.CHANNEL;
    }

    private static ConversationType typeOf(ReplyEvent reply) {
        return reply.conversationType() != null ? reply.conversationType()
                : reply.conversationId().contains(MESSAGE_ID_MARKER) ? ConversationType.CHANNEL
                : ConversationType.GROUP_CHAT;
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
