package io.tla.connectors.ingress;

import java.util.Set;
import java.util.function.Predicate;
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
    private static final String MENTION_OPEN = "<at>";
    private static final String MENTION_CLOSE = "</at>";
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
        int newlines = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                newlines++;
            }
        }
        return new Converted(text, out.marks + newlines);
    }

    /** The markup's body element, as jsoup parses a body fragment. */
    static Element parse(String markup) {
        String s = markup == null ? "" : markup;
        Element simple = parseMentionsOnly(s);
        return simple != null ? simple : Jsoup.parseBodyFragment(s).body();
    }

    /**
     * Text whose only markup is {@code <at>name</at>} mentions (what Teams sends as an outgoing webhook's text)
     * built into the body jsoup's parser builds for it, without running the parser (and without the document
     * around it, whose head is empty and which nothing here reads); null for anything else:
     * another tag or a lone {@code <}, a character reference ({@code &}), CR or NUL (which the parser rewrites),
     * markup inside a mention.
     */
    static Element parseMentionsOnly(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '&' || c == '\r' || c == '\0') {
                return null;
            }
        }
        Element body = null;
        int at = 0;
        while (true) {
            int open = s.indexOf('<', at);
            if (open < 0) {
                body = body != null ? body : new Element("body");
                appendText(body, s, at, s.length());
                return body;
            }
            if (!s.startsWith(MENTION_OPEN, open)) {
                return null;
            }
            int close = s.indexOf('<', open + MENTION_OPEN.length());
            if (close < 0 || !s.startsWith(MENTION_CLOSE, close)) {
                return null;
            }
            body = body != null ? body : new Element("body");
            appendText(body, s, at, open);
            appendText(body.appendElement("at"), s, open + MENTION_OPEN.length(), close);
            at = close + MENTION_CLOSE.length();
        }
    }

    private static void appendText(Element parent, String s, int from, int to) {
        if (to > from) { // the parser makes no empty text nodes
            parent.appendChild(new TextNode(s.substring(from, to)));
        }
    }

    /**
     * Collapses all whitespace (newlines too) to single spaces, then drops invisible characters and strips: for
     * comparing names. (In that order, as two regular expressions would: a space either side of an invisible
     * character stays two spaces.)
     */
    static String squash(String s) {
        StringBuilder collapsed = new StringBuilder(s.length());
        boolean inSpace = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (isSquashedSpace(c)) {
                if (!inSpace) {
                    collapsed.append(' ');
                }
                inSpace = true;
            } else {
                inSpace = false;
                if (!isInvisibleChar(c)) {
                    collapsed.append(c);
                }
            }
        }
        return collapsed.toString().strip();
    }

    /** ASCII whitespace, no-break space, U+2000 to U+200A, U+202F, U+205F and U+3000. */
    private static boolean isSquashedSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r' || c == '\u00A0'
                || (c >= '\u2000' && c <= '\u200A') || c == '\u202F' || c == '\u205F' || c == '\u3000';
    }

    private static boolean isInvisibleChar(char c) {
        return c == '\u200B' || c == '\u200C' || c == '\u200D' || c == '\u2060' || c == '\uFEFF';
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
        private final StringBuilder sb = new StringBuilder(256);
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
            int n = s.length();
            // characters written as they are, appended in one go: plain ones, and single spaces between two of them
            // (which is what a pending space between them would write)
            int run = -1;
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (isPlain(c) || c == ' ' && run >= 0 && i + 1 < n && isPlain(s.charAt(i + 1))) {
                    run = run < 0 ? i : run;
                    continue;
                }
                if (run >= 0) {
                    flushSpace();
                    sb.append(s, run, i);
                    run = -1;
                }
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
                } // else invisible: dropped
            }
            if (run >= 0) {
                flushSpace();
                sb.append(s, run, n);
            }
        }

        private static boolean isPlain(char c) {
            // printable ASCII and Latin-1's controls first: no space, line break or invisible character among them
            return c > ' ' && c < '\u00A0'
                    || c != '\r' && c != '\n' && !isHorizontalSpace(c) && !isInvisible(c);
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
            if (isFinished()) {
                return sb.toString();
            }
            // a line's leading spaces come only from list indentation or code, so only trailing ones go
            StringBuilder lines = new StringBuilder(sb.length() + 1);
            int start = 0;
            for (int i = 0; i <= sb.length(); i++) {
                if (i == sb.length() || sb.charAt(i) == '\n') {
                    int end = i;
                    while (end > start && Character.isWhitespace(sb.charAt(end - 1))) {
                        end--;
                    }
                    lines.append(sb, start, end).append('\n');
                    start = i + 1;
                }
            }
            // at most one blank line in a row: runs of three or more newlines become two
            String stripped = lines.toString().strip();
            StringBuilder out = new StringBuilder(stripped.length());
            int newlines = 0;
            for (int i = 0; i < stripped.length(); i++) {
                char c = stripped.charAt(i);
                newlines = c == '\n' ? newlines + 1 : 0;
                if (newlines <= 2) {
                    out.append(c);
                }
            }
            return out.toString();
        }

        /** Whether the text has no whitespace to strip at either end or before a newline, nor three newlines in a row. */
        private boolean isFinished() {
            int n = sb.length();
            if (n > 0 && (Character.isWhitespace(sb.charAt(0)) || Character.isWhitespace(sb.charAt(n - 1)))) {
                return false;
            }
            int newlines = 0;
            for (int i = 0; i < n; i++) {
                char c = sb.charAt(i);
                if (c == '\n') {
                    if (++newlines == 3 || i > 0 && sb.charAt(i - 1) != '\n' && Character.isWhitespace(sb.charAt(i - 1))) {
                        return false;
                    }
                } else {
                    newlines = 0;
                }
            }
            return true;
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
