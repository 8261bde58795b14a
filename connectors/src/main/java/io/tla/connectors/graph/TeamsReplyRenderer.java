package io.tla.connectors.graph;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.platform.config.GraphConfig;
import io.tla.schemas.Json;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Translation;
import java.nio.charset.StandardCharsets;
import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.jsoup.nodes.Entities;

/**
 * Turns a reply into the Teams messages that carry it: a paragraph (or Adaptive Card text blocks) per target
 * language, the provider label, and a marker {@code tla-reply:<replyId>:<part>} by which a later run finds the
 * message again in the thread or chat. A reply longer than the size limit becomes ordered parts, split between
 * languages where it can, else between sentences, else between words.
 */
public final class TeamsReplyRenderer {

    public static final String MARKER_PREFIX = "tla-reply:";
    public static final String CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";

    /** One Teams message of a reply. {@code cardJson} and {@code attachmentId} are set for the card format only. */
    public record Part(int index, int total, String html, String cardJson, String attachmentId) {
        public boolean isCard() {
            return cardJson != null;
        }

        /** The size the limit applies to: the HTML, or the card's JSON. */
        public int bytes() {
            return (isCard() ? cardJson : html).getBytes(StandardCharsets.UTF_8).length;
        }
    }

    private record Block(String heading, String text) {
    }

    private final boolean card;

    public TeamsReplyRenderer(String format) {
        this.card = GraphConfig.FORMAT_ADAPTIVE_CARD.equals(format);
    }

    /** The marker of part {@code index} (1-based) of reply {@code replyId}. */
    public static String marker(String replyId, int index) {
        return MARKER_PREFIX + replyId + ":" + index;
    }

    /** The parts of {@code reply}, each at most {@code maxBytes} (UTF-8) of HTML or card JSON. */
    public List<Part> render(ReplyEvent reply, int maxBytes) {
        String label = label(reply);
        // the largest header and footer a part of this reply can have, so packing never overshoots
        String worstFooter = footer(label, marker(reply.replyId(), 999));
        String worstHeader = header(999, 999);
        List<Block> blocks = new ArrayList<>();
        for (Translation translation : reply.translations()) {
            String heading = heading(translation.language());
            int budget = maxBytes - size(List.of(new Block(heading + " (continued)", "")), worstHeader, worstFooter);
            if (budget < 64) {
                throw new IllegalArgumentException("graph.reply.max-message-bytes is too small for a reply part");
            }
            List<String> chunks = chunks(translation.text() == null ? "" : translation.text(), budget);
            for (int i = 0; i < chunks.size(); i++) {
                blocks.add(new Block(i == 0 ? heading : heading + " (continued)", chunks.get(i)));
            }
        }
        List<List<Block>> packed = new ArrayList<>();
        List<Block> current = new ArrayList<>();
        for (Block block : blocks) {
            current.add(block);
            if (current.size() > 1 && size(current, worstHeader, worstFooter) > maxBytes) {
                current.remove(current.size() - 1);
                packed.add(current);
                current = new ArrayList<>(List.of(block));
            }
        }
        packed.add(current);
        int total = packed.size();
        List<Part> parts = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            int index = i + 1;
            String header = total > 1 ? header(index, total) : null;
            String footer = footer(label, marker(reply.replyId(), index));
            if (card) {
                String attachmentId = UUID.nameUUIDFromBytes((reply.replyId() + ":" + index)
                        .getBytes(StandardCharsets.UTF_8)).toString();
                parts.add(new Part(index, total, "<attachment id=\"" + attachmentId + "\"></attachment>",
                        cardJson(packed.get(i), header, footer), attachmentId));
            } else {
                parts.add(new Part(index, total, html(packed.get(i), header, footer), null, null));
            }
        }
        return parts;
    }

    private int size(List<Block> blocks, String header, String footer) {
        String content = card ? cardJson(blocks, header, footer) : html(blocks, header, footer);
        return content.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String html(List<Block> blocks, String header, String footer) {
        StringBuilder html = new StringBuilder("<div>");
        if (header != null) {
            html.append("<p><em>").append(escape(header)).append("</em></p>");
        }
        for (Block block : blocks) {
            html.append("<p><strong>").append(escape(block.heading())).append("</strong><br>")
                    .append(escape(block.text()).replace("\r\n", "<br>").replace("\n", "<br>")).append("</p>");
        }
        return html.append("<p><small>").append(escape(footer)).append("</small></p></div>").toString();
    }

    private static String cardJson(List<Block> blocks, String header, String footer) {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
        root.put("type", "AdaptiveCard");
        root.put("version", "1.4");
        ArrayNode body = root.putArray("body");
        if (header != null) {
            body.addObject().put("type", "TextBlock").put("text", header).put("isSubtle", true).put("wrap", true);
        }
        for (Block block : blocks) {
            body.addObject().put("type", "TextBlock").put("text", block.heading()).put("weight", "Bolder")
                    .put("wrap", true);
            body.addObject().put("type", "TextBlock").put("text", block.text()).put("wrap", true);
        }
        body.addObject().put("type", "TextBlock").put("text", footer).put("isSubtle", true).put("size", "Small")
                .put("wrap", true);
        return root.toString();
    }

    /**
     * Splits {@code text} into chunks whose escaped size is at most {@code budget} bytes: between sentences,
     * else between words, else between code points. Escaping is per character, so sizes add up exactly.
     */
    private List<String> chunks(String text, int budget) {
        if (escapedSize(text) <= budget) {
            return List.of(text);
        }
        List<String> chunks = new ArrayList<>();
        StringBuilder chunk = new StringBuilder();
        int chunkSize = 0;
        for (String piece : pieces(text, true, budget)) {
            int pieceSize = escapedSize(piece);
            if (chunkSize + pieceSize > budget && chunk.length() > 0) {
                chunks.add(chunk.toString().strip());
                chunk.setLength(0);
                chunkSize = 0;
            }
            chunk.append(piece);
            chunkSize += pieceSize;
        }
        if (!chunk.toString().isBlank()) {
            chunks.add(chunk.toString().strip());
        }
        return chunks;
    }

    /**
     * Text cut between sentences; a piece still over budget is cut between words, then between code points.
     * Boundaries inside a whitespace-delimited token are skipped, so a URL or a word stays in one part if it fits.
     */
    private List<String> pieces(String text, boolean sentences, int budget) {
        BreakIterator breaks = sentences ? BreakIterator.getSentenceInstance(Locale.ROOT)
                : BreakIterator.getWordInstance(Locale.ROOT);
        List<String> pieces = new ArrayList<>();
        breaks.setText(text);
        int start = breaks.first();
        for (int end = breaks.next(); end != BreakIterator.DONE; end = breaks.next()) {
            if (end < text.length() && !betweenWords(text, end)) {
                continue;
            }
            String piece = text.substring(start, end);
            start = end;
            if (escapedSize(piece) <= budget) {
                pieces.add(piece);
            } else if (sentences) {
                pieces.addAll(pieces(piece, false, budget));
            } else {
                pieces.addAll(codePointPieces(piece, budget));
            }
        }
        return pieces;
    }

    /**
     * Whether a boundary at {@code at} separates words as a reader sees them: next to whitespace, or next to a
     * script written without spaces. The iterators also break inside tokens (the word iterator in {@code e-mail},
     * {@code 3,5} or {@code snake_case}, the sentence iterator after the {@code ?} of a URL), which a part
     * boundary must not cut.
     */
    private static boolean betweenWords(String text, int at) {
        int before = text.codePointBefore(at);
        int after = text.codePointAt(at);
        return Character.isWhitespace(before) || Character.isWhitespace(after) || unspaced(before) || unspaced(after);
    }

    private static boolean unspaced(int codePoint) {
        return switch (Character.UnicodeScript.of(codePoint)) {
            case HAN, HIRAGANA, KATAKANA, THAI, LAO, KHMER, MYANMAR, TIBETAN -> true;
            default -> false;
        };
    }

    private List<String> codePointPieces(String text, int budget) {
        List<String> pieces = new ArrayList<>();
        StringBuilder piece = new StringBuilder();
        int size = 0;
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            String c = new String(Character.toChars(codePoint));
            int cSize = escapedSize(c);
            if (size + cSize > budget && piece.length() > 0) {
                pieces.add(piece.toString());
                piece.setLength(0);
                size = 0;
            }
            piece.append(c);
            size += cSize;
            i += Character.charCount(codePoint);
        }
        if (piece.length() > 0) {
            pieces.add(piece.toString());
        }
        return pieces;
    }

    private int escapedSize(String text) {
        String escaped;
        if (card) {
            String json = Json.mapper().getNodeFactory().textNode(text).toString();
            escaped = json.substring(1, json.length() - 1);
        } else {
            escaped = escape(text).replace("\r\n", "<br>").replace("\n", "<br>");
        }
        return escaped.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String escape(String text) {
        return Entities.escape(text);
    }

    /** A language's heading in a reply, e.g. {@code German (de)}. */
    public static String heading(String language) {
        Locale locale = Locale.forLanguageTag(language);
        String name = locale.getDisplayName(Locale.ENGLISH);
        return name.isBlank() || name.equalsIgnoreCase(language) ? language : name + " (" + language + ")";
    }

    private static String header(int index, int total) {
        return "Part " + index + " of " + total;
    }

    private static String footer(String label, String marker) {
        return label + " · ref " + marker;
    }

    /** The reply's closing line: who translated it, or why it is not a translation. */
    public static String label(ReplyEvent reply) {
        if (reply.kind() == ReplyKind.TRANSLATION) {
            return "Translated by " + (reply.provider() == null ? "tla-streams" : reply.provider())
                    + (reply.model() == null ? "" : " (" + reply.model() + ")");
        }
        if (reply.kind() == ReplyKind.RATE_LIMITED) {
            return "Translation rate limit reached";
        }
        if (reply.kind() == ReplyKind.CONFIRMATION) {
            return "Language settings"; // the answer to a command sent to the bot, not a translation
        }
        return reply.kind() == ReplyKind.BUDGET_EXCEEDED ? "Translation budget reached" : "Not translated";
    }
}
