package io.tla.connectors.ingress;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.schemas.ConversationType;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Sender;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;

/**
 * Turns a schema-valid Teams activity (outgoing webhook or Bot Framework) into a {@link NormalizedMessage}:
 * resolves the tenant, the conversation type, the team and channel and the channel thread's root, and reduces the
 * text to what should be translated (no bot mention, no markup, structure kept as line breaks). Pure: no I/O, no
 * clock. The rules are summarised in docs/api.md ("How POST /api/messages normalises an activity").
 */
public final class ActivityNormalizer {

    /** Values a webhook registration supplies when the activity carries none. */
    public record Defaults(String tenantId, String teamAadGroupId) {
        public static final Defaults NONE = new Defaults(null, null);
    }

    private static final String MESSAGE_ID_MARKER = ";messageid=";
    /** Bot Framework ids of bots (and outgoing webhooks) start with this; people's with {@code 29:}. */
    private static final String BOT_ID_PREFIX = "28:";

    private ActivityNormalizer() {
    }

    public static NormalizedMessage normalize(JsonNode activity, Defaults defaults, Instant receivedAt)
            throws InvalidActivityException {
        String tenantId = tenantId(activity, defaults).orElseThrow(() -> InvalidActivityException.invalidActivity(
                "/conversation/tenantId", "no tenant id: expected conversation.tenantId or channelData.tenant.id"));
        String text = plainText(activity);
        if (text.isEmpty()) {
            throw InvalidActivityException.invalidActivity("/text",
                    "nothing to translate: the text is empty without the bot mention and markup");
        }
        if (hasControlCharacter(text)) { // e.g. "&#1;" decodes to a control character
            throw InvalidActivityException.invalidActivity("/text",
                    "contains control characters (only tab, CR and LF are allowed)");
        }
        String conversationId = activity.path("conversation").path("id").asText();
        ConversationType type = conversationType(activity);
        JsonNode channelData = activity.path("channelData");
        String channelId = firstText(text(channelData, "channel", "id"), text(channelData, "teamsChannelId"));
        if (channelId == null && type == ConversationType.CHANNEL) {
            // a channel thread's conversation id is the channel id plus ";messageid=<root>"
            int marker = conversationId.indexOf(MESSAGE_ID_MARKER);
            channelId = marker > 0 ? conversationId.substring(0, marker) : conversationId;
        }
        // the General channel's id is the team's id, so channel and team may well be the same string
        String teamId = firstText(text(channelData, "team", "id"), text(channelData, "teamsTeamId"));
        // the registration's team belongs to channel messages only: a chat has no team
        String teamAadGroupId = firstText(text(channelData, "team", "aadGroupId"),
                type == ConversationType.CHANNEL ? blankToNull(defaults.teamAadGroupId()) : null);
        JsonNode from = activity.path("from");
        return new NormalizedMessage(
                activity.path("id").asText(),
                tenantId,
                conversationId,
                type,
                new Sender(text(from, "id"), text(from, "name"), text(from, "aadObjectId")),
                text,
                teamAadGroupId,
                channelId,
                rootMessageId(conversationId).orElse(null),
                text(activity, "serviceUrl"),
                receivedAt,
                teamId,
                null, // registration: set by the ingress, which knows which key verified the request
                null); // replyDeadline: likewise
    }

    /** {@code conversation.tenantId}, else {@code channelData.tenant.id}, else the registration's tenant. */
    public static Optional<String> tenantId(JsonNode activity, Defaults defaults) {
        return Optional.ofNullable(firstText(
                text(activity, "conversation", "tenantId"),
                text(activity, "channelData", "tenant", "id"),
                blankToNull(defaults.tenantId())));
    }

    /**
     * The declared type when it is one of the contract's; otherwise inferred: channel data or a thread id
     * ({@code ;messageid=}) mean a channel, {@code isGroup} or a {@code 19:...@thread} id a group chat (meeting chats
     * included), anything else (an {@code a:} or {@code 8:} id) a personal chat.
     */
    public static ConversationType conversationType(JsonNode activity) {
        String declared = text(activity, "conversation", "conversationType");
        if (declared != null) {
            for (ConversationType type : ConversationType.values()) {
                if (type.wireName().equals(declared)) {
                    return type;
                }
            }
        }
        JsonNode channelData = activity.path("channelData");
        String conversationId = Objects.requireNonNullElse(text(activity, "conversation", "id"), "");
        if (text(channelData, "channel", "id") != null || text(channelData, "teamsChannelId") != null
                || conversationId.contains(MESSAGE_ID_MARKER)) {
            return ConversationType.CHANNEL;
        }
        if (activity.path("conversation").path("isGroup").asBoolean(false)
                || (conversationId.startsWith("19:") && conversationId.contains("@thread"))) {
            return ConversationType.GROUP_CHAT;
        }
        return ConversationType.PERSONAL;
    }

    /** The root message id of a channel thread: what follows {@code ;messageid=} in the conversation id. */
    public static Optional<String> rootMessageId(String conversationId) {
        int marker = conversationId.indexOf(MESSAGE_ID_MARKER);
        if (marker < 0) {
            return Optional.empty();
        }
        String root = conversationId.substring(marker + MESSAGE_ID_MARKER.length());
        int end = root.indexOf(';');
        return Optional.ofNullable(blankToNull(end < 0 ? root : root.substring(0, end)));
    }

    /**
     * The text to translate: the activity's {@code text}, or its {@code text/html} attachment when that carries
     * structure the text lost (line breaks, list items, link URLs, code); either reduced by
     * {@link MessageText} with the bot's own mention removed (see {@link #botMention}) and other people's mentions
     * kept as their names.
     */
    public static String plainText(JsonNode activity) {
        Parsed parsed = new Parsed();
        BotMention bot = botMention(activity, parsed);
        MessageText.Converted plain = MessageText.convert(parsed.of(activity.path("text").asText("")), true,
                bot::matches);
        MessageText.Converted best = plain;
        for (JsonNode attachment : activity.path("attachments")) {
            String contentType = text(attachment, "contentType");
            if (contentType == null || !contentType.strip().toLowerCase(Locale.ROOT).startsWith("text/html")
                    || !attachment.path("content").isTextual()) {
                continue;
            }
            MessageText.Converted html = MessageText.convert(parsed.of(attachment.path("content").asText()),
                    false, bot::matches);
            if (html.structure() > best.structure()) {
                best = html;
            }
        }
        return best.text();
    }

    /**
     * How the bot's own mention is recognised. With a recipient (Bot Framework), it is the mention entity whose
     * {@code mentioned.id} is the recipient's id. Outgoing webhooks send no recipient (or, as documented, one whose
     * id is the string {@code "null"}); there the webhook is the mention entity with a bot id ({@code 28:}) and,
     * failing that, the mention the text starts with (Teams only calls a webhook that is @mentioned), unless the
     * entities name that one as somebody else. Every mention element with the recognised name is removed.
     */
    record BotMention(Set<String> names, boolean leading, Set<String> others, Map<Node, Node> firstByDocument) {

        BotMention(Set<String> names, boolean leading, Set<String> others) {
            this(names, leading, others, new IdentityHashMap<>());
        }

        boolean matches(Element mention) {
            String name = MessageText.squash(mention.text());
            if (names.contains(name)) {
                return true;
            }
            return leading && !others.contains(name) && isLeading(mention);
        }

        /** Whether nothing but whitespace and markup comes before this element in its document. */
        private boolean isLeading(Element mention) {
            Node root = mention.root();
            return firstByDocument.computeIfAbsent(root, BotMention::firstMeaningful) == mention;
        }

        private static Node firstMeaningful(Node node) {
            // siblings, not childNodes(): jsoup copies the child list on every childNodes() call
            for (Node child = node.firstChild(); child != null; child = child.nextSibling()) {
                if (child instanceof TextNode t) {
                    if (!MessageText.squash(t.getWholeText()).isEmpty()) {
                        return t;
                    }
                } else if (child instanceof Element e) {
                    if (MessageText.isMention(e) || e.normalName().equals("img")) {
                        return e;
                    }
                    Node inner = firstMeaningful(e);
                    if (inner != null) {
                        return inner;
                    }
                }
            }
            return null;
        }
    }

    /** The bodies of one activity, each parsed once though the bot's mention and the text both read it. */
    private static final class Parsed {
        // by identity: the strings come from the activity's nodes, which hand out the same instance each time
        private final Map<String, Element> bodies = new IdentityHashMap<>();

        Element of(String markup) {
            return bodies.computeIfAbsent(markup, MessageText::parse);
        }
    }

    static BotMention botMention(JsonNode activity) {
        return botMention(activity, new Parsed());
    }

    private static BotMention botMention(JsonNode activity, Parsed parsed) {
        String recipientId = text(activity, "recipient", "id");
        boolean webhook = recipientId == null || recipientId.equalsIgnoreCase("null");
        Set<String> own = new HashSet<>();
        Set<String> bots = new HashSet<>();
        Set<String> others = new HashSet<>();
        for (JsonNode entity : activity.path("entities")) {
            String type = text(entity, "type");
            if (type == null || !type.toLowerCase(Locale.ROOT).equals("mention")) {
                continue;
            }
            String id = Objects.requireNonNullElse(text(entity, "mentioned", "id"), "");
            Set<String> names = !webhook && id.equals(recipientId) ? own
                    : webhook && id.startsWith(BOT_ID_PREFIX) ? bots
                    : others;
            String entityText = text(entity, "text");
            if (entityText != null) {
                names.add(MessageText.squash(MessageText.parse(entityText).text()));
            }
            String name = text(entity, "mentioned", "name");
            if (name != null) {
                names.add(MessageText.squash(name));
            }
        }
        own.remove("");
        bots.remove("");
        others.remove("");
        if (!webhook) {
            return new BotMention(own, false, Set.of());
        }
        bots.removeAll(others);
        if (!bots.isEmpty() && mentionsAny(activity, bots, parsed)) {
            return new BotMention(bots, false, Set.of());
        }
        return new BotMention(Set.of(), true, others);
    }

    /** Whether the text or an HTML attachment has a mention element with one of these names. */
    private static boolean mentionsAny(JsonNode activity, Set<String> names, Parsed parsed) {
        List<String> bodies = new ArrayList<>();
        bodies.add(activity.path("text").asText(""));
        for (JsonNode attachment : activity.path("attachments")) {
            if (attachment.path("content").isTextual()) {
                bodies.add(attachment.path("content").asText());
            }
        }
        for (String body : bodies) {
            for (Element e : parsed.of(body).getAllElements()) {
                if (MessageText.isMention(e) && names.contains(MessageText.squash(e.text()))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** ASCII control characters other than tab, CR and LF (which the text may now carry as line breaks). */
    private static boolean hasControlCharacter(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7F) {
                return true;
            }
        }
        return false;
    }

    /** A non-blank string at the path, or null. */
    static String text(JsonNode node, String... path) {
        JsonNode current = node;
        for (String name : path) {
            current = current.path(name);
        }
        return current.isTextual() ? blankToNull(current.asText()) : null;
    }

    private static String firstText(String... candidates) {
        for (String candidate : candidates) {
            if (candidate != null) {
                return candidate;
            }
        }
        return null;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
