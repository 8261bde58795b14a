package io.tla.connectors.ingress;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.schemas.ConversationType;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Sender;
import java.time.Instant;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;

/**
 * Turns a schema-valid Teams activity into a {@link NormalizedMessage}: resolves the tenant, the conversation
 * type and the channel thread's root, and reduces the text to what should be translated (no bot mention, no
 * HTML). Pure: no I/O, no clock.
 */
public final class ActivityNormalizer {

    /** Values a webhook registration supplies when the activity carries none. */
    public record Defaults(String tenantId, String teamAadGroupId) {
        public static final Defaults NONE = new Defaults(null, null);
    }

    private static final String MESSAGE_ID_MARKER = ";messageid=";
    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern INVISIBLE = Pattern.compile("[\\u200B\\u200C\\u200D\\u2060\\uFEFF]");
    private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");

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
        if (CONTROL.matcher(text).find()) { // e.g. "&#1;" decodes to a control character
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
        JsonNode from = activity.path("from");
        return new NormalizedMessage(
                activity.path("id").asText(),
                tenantId,
                conversationId,
                type,
                new Sender(text(from, "id"), text(from, "name"), text(from, "aadObjectId")),
                text,
                firstText(text(channelData, "team", "aadGroupId"), blankToNull(defaults.teamAadGroupId())),
                channelId,
                rootMessageId(conversationId).orElse(null),
                text(activity, "serviceUrl"),
                receivedAt);
    }

    /** {@code conversation.tenantId}, else {@code channelData.tenant.id}, else the registration's tenant. */
    public static Optional<String> tenantId(JsonNode activity, Defaults defaults) {
        return Optional.ofNullable(firstText(
                text(activity, "conversation", "tenantId"),
                text(activity, "channelData", "tenant", "id"),
                blankToNull(defaults.tenantId())));
    }

    /** The declared type when it is one of the contract's; otherwise inferred from channel data and isGroup. */
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
        if (text(channelData, "channel", "id") != null || text(channelData, "teamsChannelId") != null) {
            return ConversationType.CHANNEL;
        }
        return activity.path("conversation").path("isGroup").asBoolean(false)
                ? ConversationType.GROUP_CHAT
                : ConversationType.PERSONAL;
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
     * The text to translate: the bot's own mention removed (the mention entity whose {@code mentioned.id} is the
     * recipient; without a recipient, as in outgoing webhooks, the {@code <at>} element the text starts with),
     * other HTML reduced to its text (other people's mentions keep their names), whitespace collapsed.
     */
    public static String plainText(JsonNode activity) {
        Element body = Jsoup.parseBodyFragment(activity.path("text").asText("")).body();
        String recipientId = text(activity, "recipient", "id");
        if (recipientId != null) {
            Set<String> botMentions = botMentionNames(activity, recipientId);
            for (Element at : body.select("at")) {
                if (botMentions.contains(squash(at.text()))) {
                    at.remove();
                }
            }
        } else {
            Lead lead = leadingAt(body);
            if (lead.at != null) {
                lead.at.remove();
            }
        }
        return squash(INVISIBLE.matcher(body.text()).replaceAll(""));
    }

    private static Set<String> botMentionNames(JsonNode activity, String recipientId) {
        Set<String> names = new HashSet<>();
        for (JsonNode entity : activity.path("entities")) {
            String type = text(entity, "type");
            if (type == null || !type.toLowerCase(Locale.ROOT).equals("mention")
                    || !recipientId.equals(text(entity, "mentioned", "id"))) {
                continue;
            }
            String entityText = text(entity, "text");
            if (entityText != null) {
                names.add(squash(Jsoup.parseBodyFragment(entityText).body().text()));
            }
            String name = text(entity, "mentioned", "name");
            if (name != null) {
                names.add(squash(name));
            }
        }
        names.remove("");
        return names;
    }

    /** The first meaningful node in document order: an {@code <at>} element, other content, or nothing. */
    private record Lead(Element at, boolean content) {
        static final Lead NOTHING = new Lead(null, false);
        static final Lead CONTENT = new Lead(null, true);
    }

    private static Lead leadingAt(Element element) {
        for (Node child : element.childNodes()) {
            if (child instanceof TextNode textNode) {
                if (squash(INVISIBLE.matcher(textNode.getWholeText()).replaceAll("")).isEmpty()) {
                    continue;
                }
                return Lead.CONTENT;
            }
            if (child instanceof Element e) {
                if (e.normalName().equals("at")) {
                    return new Lead(e, true);
                }
                Lead inner = leadingAt(e);
                if (inner != Lead.NOTHING) {
                    return inner;
                }
            }
        }
        return Lead.NOTHING;
    }

    private static String squash(String s) {
        return WHITESPACE.matcher(s).replaceAll(" ").strip();
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
