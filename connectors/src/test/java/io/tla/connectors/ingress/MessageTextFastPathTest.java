package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.junit.jupiter.api.Test;

/**
 * What the ingress does per message without jsoup's parser or regular expressions must equal what they did: the
 * tree built for mention-only text, the name comparison's squashing, and the text a plain body becomes.
 */
class MessageTextFastPathTest {

    private static final String[] PIECES = {"<at>", "</at>", "Bot", "Jonas Weber", "x", "ü", "\uD83D\uDE00", " ", "  ",
        "\n", "\n\n\n", "\t", "\u00A0", "\u200B", "\u2003", ">", "<", "&amp;", "\r\n", "<b>", "</b>", "\f", "\u000B",
        "<at >", "<AT>", "</at"};

    private static String randomText(SplittableRandom random, int maxPieces) {
        StringBuilder s = new StringBuilder();
        int n = random.nextInt(maxPieces + 1);
        for (int i = 0; i < n; i++) {
            s.append(PIECES[random.nextInt(PIECES.length)]);
        }
        return s.toString();
    }

    /** The tree as nested node names and exact texts. */
    private static String dump(Node node) {
        StringBuilder out = new StringBuilder();
        dump(node, out);
        return out.toString();
    }

    private static void dump(Node node, StringBuilder out) {
        if (node instanceof TextNode t) {
            out.append('"').append(t.getWholeText()).append('"');
            return;
        }
        out.append(node.nodeName()).append(node instanceof Element e ? e.attributes().html() : "").append('[');
        for (Node child : node.childNodes()) {
            dump(child, out);
            out.append(',');
        }
        out.append(']');
    }

    @Test
    void mentionOnlyTextIsBuiltIntoTheBodyJsoupParsesItInto() {
        SplittableRandom random = new SplittableRandom(3);
        int built = 0;
        for (int i = 0; i < 20_000; i++) {
            String text = randomText(random, 8);
            Element fast = MessageText.parseMentionsOnly(text);
            if (fast == null) {
                continue;
            }
            built++;
            Document parsed = Jsoup.parseBodyFragment(text);
            assertThat(dump(fast)).as(text).isEqualTo(dump(parsed.body()));
            assertThat(parsed.head().childNodeSize()).isZero();
        }
        assertThat(built).as("texts the fast path took").isGreaterThan(1_000);
    }

    @Test
    void theBotsLeadingMentionIsDroppedFromTheBuiltTreeAsFromTheParsedOne() {
        SplittableRandom random = new SplittableRandom(4);
        int converted = 0;
        for (int i = 0; i < 20_000; i++) {
            String text = randomText(random, 8);
            Element fast = MessageText.parseMentionsOnly(text);
            if (fast == null) {
                continue;
            }
            converted++;
            // the webhook's own mention is the leading one, unless the entities name it as somebody else
            Set<String> others = random.nextBoolean() ? Set.of() : Set.of("Bot");
            MessageText.Converted expected = MessageText.convert(Jsoup.parseBodyFragment(text).body(), true,
                    new ActivityNormalizer.BotMention(Set.of(), true, others)::matches);
            MessageText.Converted actual = MessageText.convert(fast, true,
                    new ActivityNormalizer.BotMention(Set.of(), true, others)::matches);
            assertThat(actual).as(text).isEqualTo(expected);
        }
        assertThat(converted).isGreaterThan(1_000);
    }

    @Test
    void teamsWebhookTextTakesTheFastPathAndAnythingElseTheParser() {
        assertThat(MessageText.parseMentionsOnly("<at>Translator</at> Guten Morgen, wie geht's?")).isNotNull();
        assertThat(MessageText.parseMentionsOnly("plain text")).isNotNull();
        assertThat(MessageText.parseMentionsOnly("")).isNotNull();
        assertThat(MessageText.parseMentionsOnly("a &amp; b")).isNull();
        assertThat(MessageText.parseMentionsOnly("<at>Bot</at> <b>bold</b>")).isNull();
        assertThat(MessageText.parseMentionsOnly("<at><b>Bot</b></at>")).isNull();
        assertThat(MessageText.parseMentionsOnly("1 < 2")).isNull();
        assertThat(MessageText.parseMentionsOnly("line\r\nbreak")).isNull();
        assertThat(MessageText.parseMentionsOnly("<at>unclosed")).isNull();
    }

    private static final Pattern SPACES = Pattern.compile("[\\s\\u00A0\\u2000-\\u200A\\u202F\\u205F\\u3000]+");
    private static final Pattern INVISIBLE = Pattern.compile("[\\u200B\\u200C\\u200D\\u2060\\uFEFF]");

    @Test
    void squashEqualsCollapsingWhitespaceThenDroppingInvisibleCharacters() {
        SplittableRandom random = new SplittableRandom(5);
        char[] alphabet = {'a', 'B', ' ', '\t', '\n', '\r', '\u000B', '\f', '\u00A0', '\u2000', '\u200A', '\u200B',
            '\u200D', '\u202F', '\u205F', '\u3000', '\u2060', '\uFEFF', '\u1680', '\u2028', '\u001C', 'ü'};
        for (int i = 0; i < 20_000; i++) {
            char[] chars = new char[random.nextInt(8)];
            for (int j = 0; j < chars.length; j++) {
                chars[j] = alphabet[random.nextInt(alphabet.length)];
            }
            String s = new String(chars);
            String reference = INVISIBLE.matcher(SPACES.matcher(s).replaceAll(" ")).replaceAll("").strip();
            assertThat(MessageText.squash(s)).as("%s", s.chars().boxed().toList()).isEqualTo(reference);
        }
    }

    @Test
    void aPlainBodyBecomesTheTextOfTheDocumentedWhitespaceRules() {
        SplittableRandom random = new SplittableRandom(9);
        String[] pieces = {"a", "bc", "ü", "\uD83D\uDE00", " ", "  ", "\t", "\n", "\r", "\r\n", "\u00A0", "\u2003",
            "\u200B", "\uFEFF", "\u000B", "\f", "\u2028", " \n", "\n \n"};
        for (int i = 0; i < 20_000; i++) {
            StringBuilder s = new StringBuilder();
            int n = random.nextInt(10);
            for (int j = 0; j < n; j++) {
                s.append(pieces[random.nextInt(pieces.length)]);
            }
            for (boolean plainNewlines : new boolean[] {true, false}) {
                Element body = Document.createShell("").body();
                if (!s.isEmpty()) {
                    body.appendChild(new TextNode(s.toString()));
                }
                MessageText.Converted converted = MessageText.convert(body, plainNewlines, e -> false);
                String expected = referencePlain(s.toString(), plainNewlines);
                assertThat(converted.text()).as("%s %s", plainNewlines, s.chars().boxed().toList()).isEqualTo(expected);
                assertThat(converted.structure()).isEqualTo((int) expected.chars().filter(c -> c == '\n').count());
            }
        }
    }

    /**
     * The rules for text without markup, written out plainly (character by character, then by lines and regular
     * expressions): horizontal whitespace collapses to one space, invisible characters go, line breaks stay (CR,
     * LF and CRLF each one) when newlines are line breaks, lines lose trailing whitespace, the whole is stripped and
     * has at most one blank line in a row.
     */
    private static String referencePlain(String s, boolean newlinesBreak) {
        StringBuilder sb = new StringBuilder();
        boolean pendingSpace = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean newline = c == '\r' || c == '\n';
            if (newline && newlinesBreak) {
                while (!sb.isEmpty() && sb.charAt(sb.length() - 1) == ' ') {
                    sb.setLength(sb.length() - 1);
                }
                pendingSpace = false;
                int n = sb.length();
                if (!(n >= 2 && sb.charAt(n - 1) == '\n' && sb.charAt(n - 2) == '\n')) {
                    sb.append('\n');
                }
                if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                    i++;
                }
            } else if (newline || c == ' ' || c == '\t' || c == '\u00A0' || c == '\u1680'
                    || (c >= '\u2000' && c <= '\u200A') || c == '\u202F' || c == '\u205F' || c == '\u3000') {
                pendingSpace = true;
            } else if (!(c == '\u200B' || c == '\u200C' || c == '\u200D' || c == '\u2060' || c == '\uFEFF')) {
                if (pendingSpace && !sb.isEmpty() && sb.charAt(sb.length() - 1) != '\n'
                        && sb.charAt(sb.length() - 1) != ' ') {
                    sb.append(' ');
                }
                pendingSpace = false;
                sb.append(c);
            }
        }
        while (!sb.isEmpty() && sb.charAt(sb.length() - 1) == ' ') {
            sb.setLength(sb.length() - 1);
        }
        StringBuilder out = new StringBuilder();
        for (String line : sb.toString().split("\n", -1)) {
            out.append(line.stripTrailing()).append('\n');
        }
        return out.toString().strip().replaceAll("\n{3,}", "\n\n");
    }
}
