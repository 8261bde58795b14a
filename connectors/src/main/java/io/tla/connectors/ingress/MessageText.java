package io.tla.connectors.ingress;

import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;

/**
 * Reduces a Teams message body (the activity's {@code text}, or its {@code text/html} attachment) to the plain text
 * a translator should see, keeping the structure a reader needs: paragraphs and line breaks as {@code \n}, list
 * items as {@code "- "} or {@code "1. "}, a link's URL after its text when they differ, code verbatim. Mentions
 * ({@code <at>} and Teams' {@code itemtype="http://schema.skype.com/Mention"} spans) become their names, except the
 * ones the caller says are the bot's own, which are dropped. Horizontal whitespace is collapsed and lines are
 * trimmed; newlines are kept, at most one blank line in a row. Pure, no I/O.
 */
final class MessageText {

    static final String MENTION_ITEMTYPE = "http://schema.skype.com/Mention";
    private static final String EMOJI_ITEMTYPE = "http://schema.skype.com/Emoji";
    private static final Set<String> BLOCKS = Set.of("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
            "table", "thead", "tbody", "tfoot", "tr", "section", "article", "header", "footer", "hr", "dl", "dt",
            "dd", "figure", "figcaption", "address", "main", "nav", "aside");
    private static final Set<String> VERBATIM_BLOCKS = Set.of("pre", "codeblock");
    private static final Pattern SPACES = Pattern.compile("[\\s\\u00A0\\u2000-\\u200A\\u202F\\u205F\\u3000]+");
    private static final Pattern INVISIBLE = Pattern.compile("[\\u200B\\u200C\\u200D\\u2060\\uFEFF]");
    private static final Set<String> SKIPPED = Set.of("script", "style", "head", "title", "template");

    /** The text, and how much structure (line breaks, list items, link URLs, code) it carries. */
    record Converted(String text, int structure) {
    }

    /** Whether an element is a mention: {@code <at>} or a Teams mention span. */
    static boolean isMention(Element e) {
        return e.normalName().equals("at") || MENTION_ITEMTYPE.equalsIgnoreCase(e.attr("itemtype"));
    }

    /**
     * @param body          the markup
     * @param plainNewlines whether a newline in the text itself is a line break (the activity's {@code text}
     *                      field) or formatting whitespace (real HTML)
     * @param dropMention   which mention elements to leave out
     */
    static Converted convert(Element body, boolean plainNewlines, Predicate<Element> dropMention) {
        Writer out = new Writer();
        new Walker(out, plainNewlines, dropMention).children(body, 0);
        String text = out.finish();
        return new Converted(text, out.marks + (int) text.chars().filter(c -> c == '\n').count());
    }

    static Element parse(String markup) {
        return Jsoup.parseBodyFragment(markup == null ? "" : markup).body();
    }

    /** Collapses all whitespace (newlines too) to single spaces and strips: for comparing names. */
    static String squash(String s) {
        return INVISIBLE.matcher(SPACES.matcher(s).replaceAll(" ")).replaceAll("").strip();
    }

    private record Walker(Writer out, boolean plainNewlines, Predicate<Element> dropMention) {

        void children(Element parent, int listDepth) {
            for (Node child : parent.childNodes()) {
                node(child, listDepth);
            }
        }

        void node(Node node, int listDepth) {
            if (node instanceof TextNode t) {
                out.text(t.getWholeText(), plainNewlines);
                return;
            }
            if (!(node instanceof Element e)) {
                return;
            }
            String name = e.normalName();
            if (isMention(e)) {
                if (!dropMention.test(e)) {
                    children(e, listDepth);
                }
                return;
            }
            if (SKIPPED.contains(name)) {
                return;
            }
            switch (name) {
                case "br" -> out.lineBreak();
                case "img" -> {
                    // Teams sends emoji as images whose alt is the emoji itself; other images carry no text
                    if (EMOJI_ITEMTYPE.equalsIgnoreCase(e.attr("itemtype")) || e.hasClass("emoji")) {
                        out.text(e.attr("alt"), false);
                    }
                }
                case "ul", "ol" -> list(e, listDepth);
                case "li" -> item(e, "- ", listDepth + 1); // an item outside a list
                case "a" -> link(e, listDepth);
                case "code", "kbd", "samp", "tt" -> {
                    out.marks++;
                    out.verbatim(e.wholeText());
                }
                case "td", "th" -> {
                    out.text(" ", false);
                    children(e, listDepth);
                    out.text(" ", false);
                }
                default -> {
                    if (VERBATIM_BLOCKS.contains(name)) {
                        out.block();
                        out.marks++;
                        out.verbatim(stripOneLeadingNewline(verbatimText(e)));
                        out.block();
                    } else if (BLOCKS.contains(name)) {
                        out.block();
                        children(e, listDepth);
                        out.block();
                    } else {
                        children(e, listDepth);
                    }
                }
            }
        }

        void list(Element list, int listDepth) {
            out.block();
            boolean ordered = list.normalName().equals("ol");
            int number = ordered ? start(list) : 0;
            for (Node child : list.childNodes()) {
                if (child instanceof Element li && li.normalName().equals("li")) {
                    item(li, ordered ? (number++) + ". " : "- ", listDepth + 1);
                } else {
                    node(child, listDepth);
                }
            }
            out.block();
        }

        void item(Element li, String marker, int depth) {
            out.block();
            out.marks++;
            out.raw("  ".repeat(Math.max(0, depth - 1)) + marker);
            children(li, depth);
            out.block();
        }

        void link(Element a, int listDepth) {
            int start = out.length();
            children(a, listDepth);
            String shown = squash(out.since(start));
            String href = a.attr("href").strip();
            if (href.isEmpty() || !(href.startsWith("http://") || href.startsWith("https://")
                    || href.startsWith("mailto:"))) {
                return;
            }
            if (shown.isEmpty()) {
                out.text(href, false);
            } else if (!sameTarget(shown, href)) {
                out.marks++;
                out.text(" (" + href + ")", false);
            }
        }

        private static boolean sameTarget(String shown, String href) {
            String h = href.startsWith("mailto:") ? href.substring("mailto:".length()) : href;
            return trimSlash(shown).equalsIgnoreCase(trimSlash(h))
                    || trimSlash(shown).equalsIgnoreCase(trimSlash(h.replaceFirst("^https?://", "")));
        }

        private static String trimSlash(String s) {
            return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        }

        private static int start(Element ol) {
            try {
                return ol.hasAttr("start") ? Integer.parseInt(ol.attr("start").strip()) : 1;
            } catch (NumberFormatException e) {
                return 1;
            }
        }

        /** The text of a code block as written: {@code <br>} as newlines, nothing collapsed. */
        private static String verbatimText(Element e) {
            StringBuilder sb = new StringBuilder();
            for (Node child : e.childNodes()) {
                if (child instanceof TextNode t) {
                    sb.append(t.getWholeText());
                } else if (child instanceof Element c) {
                    if (c.normalName().equals("br")) {
                        sb.append('\n');
                    } else if (BLOCKS.contains(c.normalName()) && !sb.isEmpty() && sb.charAt(sb.length() - 1) != '\n') {
                        sb.append('\n').append(verbatimText(c));
                    } else {
                        sb.append(verbatimText(c));
                    }
                }
            }
            return sb.toString();
        }

        private static String stripOneLeadingNewline(String s) {
            String t = s.replace("\r\n", "\n").replace('\r', '\n');
            t = t.startsWith("\n") ? t.substring(1) : t;
            return t.endsWith("\n") ? t.substring(0, t.length() - 1) : t;
        }
    }

    /** Builds the text: collapses horizontal whitespace as it goes, keeps line breaks. */
    private static final class Writer {
        private final StringBuilder sb = new StringBuilder();
        private boolean pendingSpace;
        /** Just after a list marker, which must keep its trailing space. */
        private boolean afterMarker;
        int marks;

        int length() {
            return sb.length();
        }

        String since(int start) {
            return sb.substring(Math.min(start, sb.length()));
        }

        void text(String s, boolean newlinesBreak) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '\r') {
                    if (newlinesBreak) {
                        lineBreak();
                        if (i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                            i++;
                        }
                    } else {
                        pendingSpace = true;
                    }
                } else if (c == '\n') {
                    if (newlinesBreak) {
                        lineBreak();
                    } else {
                        pendingSpace = true;
                    }
                } else if (isHorizontalSpace(c)) {
                    pendingSpace = true;
                } else if (!isInvisible(c)) {
                    flushSpace();
                    sb.append(c);
                }
            }
        }

        /** Text that is not collapsed (code), after any pending space. */
        void verbatim(String s) {
            flushSpace();
            sb.append(s.replace("\r\n", "\n").replace('\r', '\n'));
        }

        /** Text written as is at the current position (list markers). */
        void raw(String s) {
            pendingSpace = false;
            sb.append(s);
            afterMarker = true;
        }

        void lineBreak() {
            trimTrailingSpaces();
            pendingSpace = false;
            int n = sb.length();
            if (n >= 2 && sb.charAt(n - 1) == '\n' && sb.charAt(n - 2) == '\n') {
                return; // at most one blank line in a row
            }
            sb.append('\n');
            afterMarker = false;
        }

        /** Starts a new line unless at the start of one. */
        void block() {
            trimTrailingSpaces();
            pendingSpace = false;
            if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != '\n') {
                sb.append('\n');
            }
            afterMarker = false;
        }

        String finish() {
            trimTrailingSpaces();
            // a line's leading spaces come only from list indentation or code, so only trailing ones go
            String[] lines = sb.toString().split("\n", -1);
            StringBuilder out = new StringBuilder();
            for (String line : lines) {
                out.append(line.stripTrailing()).append('\n');
            }
            return out.toString().strip().replaceAll("\n{3,}", "\n\n");
        }

        private void flushSpace() {
            if (pendingSpace && !sb.isEmpty()) {
                char last = sb.charAt(sb.length() - 1);
                if (last != '\n' && last != ' ') { // a list marker ends with its own space
                    sb.append(' ');
                }
            }
            pendingSpace = false;
            afterMarker = false;
        }

        private void trimTrailingSpaces() {
            if (afterMarker) {
                return; // an empty list item keeps its marker
            }
            int n = sb.length();
            while (n > 0 && sb.charAt(n - 1) == ' ') {
                n--;
            }
            sb.setLength(n);
        }

        private static boolean isHorizontalSpace(char c) {
            // vertical tab and form feed are not here: they stay in the text and are refused as control characters
            return c == ' ' || c == '\t' || c == '\u00A0' || c == '\u1680'
                    || (c >= '\u2000' && c <= '\u200A') || c == '\u202F' || c == '\u205F' || c == '\u3000';
        }

        private static boolean isInvisible(char c) {
            return c == '\u200B' || c == '\u200C' || c == '\u200D' || c == '\u2060' || c == '\uFEFF';
        }
    }

    private MessageText() {
    }
}
