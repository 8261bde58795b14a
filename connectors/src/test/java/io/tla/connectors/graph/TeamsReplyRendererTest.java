package io.tla.connectors.graph;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.connectors.graph.TeamsReplyRenderer.Part;
import io.tla.platform.config.GraphConfig;
import io.tla.schemas.ConversationType;
import io.tla.schemas.Json;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Translation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TeamsReplyRendererTest {

    private static final String HTML = GraphConfig.FORMAT_HTML;
    private static final String CARD = GraphConfig.FORMAT_ADAPTIVE_CARD;
    private static final int GRAPH_LIMIT = 28_000;

    private static ReplyEvent reply(String replyId, ReplyKind kind, Translation... translations) {
        return new ReplyEvent(replyId, "72f988bf-86f1-41af-91ab-2d7cd011db47",
                "19:8f2e6a1b3c4d5e6f7a8b9c0d1e2f3a4b@thread.v2", "1709543703456", kind, "de",
                List.of(translations), "azure-openai", "gpt-4o-mini", null, Instant.parse("2024-03-04T09:15:05Z"),
                ConversationType.GROUP_CHAT, null, null, null, "https://smba.trafficmanager.net/emea/",
                Instant.parse("2024-03-04T09:15:03Z"), null);
    }

    private static ReplyEvent reply(String replyId, Translation... translations) {
        return reply(replyId, ReplyKind.TRANSLATION, translations);
    }

    /**
     * Sentences of distinct numbered words, with characters that HTML and JSON must escape and a URL, which the
     * word iterator breaks inside. Lower-case sentence starts make the JDK see no sentence break at all, so the
     * text can only be cut between words.
     */
    private static String longText(String prefix, int sentences, boolean capitalized) {
        StringBuilder text = new StringBuilder();
        for (int s = 0; s < sentences; s++) {
            for (int w = 0; w < 12; w++) {
                String word = prefix + s + '_' + w;
                text.append(w == 0 && capitalized ? Character.toUpperCase(word.charAt(0)) + word.substring(1)
                        : w == 5 ? word + "&<\""
                        : w == 8 ? "https://contoso.sharepoint.com/sites/team_a/" + word + ".docx?web=1&x=2"
                        : word).append(' ');
            }
            text.setLength(text.length() - 1);
            text.append(s % 7 == 6 ? ".\n" : ". ");
        }
        return text.toString().strip();
    }

    private static List<String> words(String text) {
        return Arrays.asList(text.strip().split("\\s+"));
    }

    /** Each translation's text as rendered across the parts, in order, keyed by its heading without "(continued)". */
    private static Map<String, String> renderedTexts(List<Part> parts) throws Exception {
        Map<String, StringBuilder> texts = new LinkedHashMap<>();
        for (Part part : parts) {
            if (part.isCard()) {
                JsonNode body = Json.mapper().readTree(part.cardJson()).path("body");
                for (int i = 0; i < body.size(); i++) {
                    if ("Bolder".equals(body.get(i).path("weight").asText())) {
                        texts.computeIfAbsent(language(body.get(i).path("text").asText()), k -> new StringBuilder())
                                .append(' ').append(body.get(i + 1).path("text").asText());
                    }
                }
            } else {
                for (Element paragraph : Jsoup.parse(part.html()).select("p:has(strong)")) {
                    String heading = paragraph.selectFirst("strong").text();
                    paragraph.selectFirst("strong").remove();
                    texts.computeIfAbsent(language(heading), k -> new StringBuilder())
                            .append(' ').append(paragraph.text());
                }
            }
        }
        Map<String, String> result = new LinkedHashMap<>();
        texts.forEach((heading, text) -> result.put(heading, text.toString()));
        return result;
    }

    private static String language(String heading) {
        return heading.replace(" (continued)", "");
    }

    private static String visibleText(Part part) throws Exception {
        if (!part.isCard()) {
            return Jsoup.parse(part.html()).text();
        }
        List<String> texts = new ArrayList<>();
        Json.mapper().readTree(part.cardJson()).path("body").forEach(block -> texts.add(block.path("text").asText()));
        return String.join("\n", texts);
    }

    @ParameterizedTest
    @ValueSource(strings = {HTML, CARD})
    void smallReplyIsOnePartWithEveryLanguageTheProviderLabelAndTheMarker(String format) throws Exception {
        ReplyEvent reply = reply("r-small", new Translation("en", "Good morning, everyone."),
                new Translation("pt-BR", "Bom dia a todos."), new Translation("ja", "皆さん、おはようございます。"));

        List<Part> parts = new TeamsReplyRenderer(format).render(reply, GRAPH_LIMIT);

        assertThat(parts).hasSize(1);
        Part part = parts.get(0);
        assertThat(part.index()).isEqualTo(1);
        assertThat(part.total()).isEqualTo(1);
        assertThat(visibleText(part))
                .contains("English (en)", "Good morning, everyone.")
                .contains("Portuguese (Brazil) (pt-BR)", "Bom dia a todos.")
                .contains("Japanese (ja)", "皆さん、おはようございます。")
                .contains("Translated by azure-openai (gpt-4o-mini)")
                .contains("tla-reply:r-small:1")
                .doesNotContain("Part 1 of");
    }

    @Test
    void htmlSpecialCharactersAreEscapedAndNewlinesBecomeLineBreaks() {
        String text = "Use <script>alert('x')</script> & \"quotes\"\nsecond line\r\nthird line";

        Part part = new TeamsReplyRenderer(HTML).render(reply("r-esc", new Translation("en", text)), GRAPH_LIMIT)
                .get(0);

        assertThat(part.html()).doesNotContain("<script>", "</script>", "\n", "\r")
                .contains("&lt;script&gt;", "&amp;", "&quot;quotes&quot;<br>second line<br>third line");
        // the escaped text reads back as the original, line breaks aside
        assertThat(Jsoup.parse(part.html()).text())
                .contains("Use <script>alert('x')</script> & \"quotes\" second line third line");
    }

    @ParameterizedTest
    @ValueSource(strings = {HTML, CARD})
    void largeReplyIsSplitIntoOrderedPartsWithinTheLimitLosingNoWord(String format) throws Exception {
        int maxBytes = 4_000;
        Translation english = new Translation("en", longText("word", 120, false));
        Translation german = new Translation("de", longText("wort", 90, false));
        ReplyEvent reply = reply("r-large", english, german);

        List<Part> parts = new TeamsReplyRenderer(format).render(reply, maxBytes);

        assertThat(parts.size()).isGreaterThan(3);
        for (int i = 0; i < parts.size(); i++) {
            Part part = parts.get(i);
            int index = i + 1;
            assertThat(part.bytes()).as("bytes of part %d", index).isLessThanOrEqualTo(maxBytes);
            assertThat(part.index()).isEqualTo(index);
            assertThat(part.total()).isEqualTo(parts.size());
            assertThat(visibleText(part)).contains("Part " + index + " of " + parts.size())
                    .contains("tla-reply:r-large:" + index)
                    .doesNotContain("tla-reply:r-large:" + (index + 1));
        }
        Map<String, String> rendered = renderedTexts(parts);
        assertThat(rendered).containsOnlyKeys("English (en)", "German (de)");
        assertThat(words(rendered.get("English (en)"))).containsExactlyElementsOf(words(english.text()));
        assertThat(words(rendered.get("German (de)"))).containsExactlyElementsOf(words(german.text()));
    }

    @ParameterizedTest
    @ValueSource(strings = {HTML, CARD})
    void textWithSentencesIsSplitBetweenSentences(String format) throws Exception {
        Translation english = new Translation("en", longText("word", 120, true));

        List<Part> parts = new TeamsReplyRenderer(format).render(reply("r-sentences", english), 4_000);

        assertThat(parts.size()).isGreaterThan(3);
        for (Part part : parts) {
            assertThat(part.bytes()).isLessThanOrEqualTo(4_000);
            assertThat(renderedTexts(List.of(part)).get("English (en)").strip()).endsWith(".");
        }
        assertThat(words(renderedTexts(parts).get("English (en)"))).containsExactlyElementsOf(words(english.text()));
    }

    @ParameterizedTest
    @ValueSource(strings = {HTML, CARD})
    void singleHugeTranslationWithoutSentenceBreaksOrSpacesStillSplitsWithinTheLimit(String format)
            throws Exception {
        for (String unit : List.of("x", "中", "😀")) {
            String text = unit.repeat(60_000);

            List<Part> parts = new TeamsReplyRenderer(format).render(reply("r-huge", new Translation("zh", text)),
                    GRAPH_LIMIT);

            assertThat(parts.size()).as("parts for %s", unit).isGreaterThan(1);
            assertThat(parts).allSatisfy(part -> assertThat(part.bytes()).isLessThanOrEqualTo(GRAPH_LIMIT));
            assertThat(renderedTexts(parts).get("Chinese (zh)").replaceAll("\\s", "")).isEqualTo(text);
        }
    }

    @Test
    void cardPartsAreAdaptiveCardsReferencedByAttachmentsWithIdsStablePerReply() throws Exception {
        TeamsReplyRenderer renderer = new TeamsReplyRenderer(CARD);
        ReplyEvent reply = reply("r-card", new Translation("en", longText("word", 120, false)));

        List<Part> parts = renderer.render(reply, 4_000);
        List<Part> again = renderer.render(reply, 4_000);
        List<Part> other = renderer.render(reply("r-other", new Translation("en", longText("word", 120, false))), 4_000);

        assertThat(parts.size()).isGreaterThan(1);
        for (Part part : parts) {
            assertThat(part.isCard()).isTrue();
            JsonNode card = Json.mapper().readTree(part.cardJson());
            assertThat(card.path("type").asText()).isEqualTo("AdaptiveCard");
            assertThat(part.attachmentId()).isNotBlank();
            assertThat(part.html()).isEqualTo("<attachment id=\"" + part.attachmentId() + "\"></attachment>");
        }
        List<String> ids = parts.stream().map(Part::attachmentId).toList();
        assertThat(ids).doesNotHaveDuplicates();
        assertThat(again.stream().map(Part::attachmentId).toList()).isEqualTo(ids);
        assertThat(other.stream().map(Part::attachmentId).toList()).doesNotContainAnyElementsOf(ids);
    }

    @ParameterizedTest
    @ValueSource(strings = {HTML, CARD})
    void budgetExceededAndFailedRepliesCarryTheirOwnLabels(String format) throws Exception {
        TeamsReplyRenderer renderer = new TeamsReplyRenderer(format);
        Translation notice = new Translation("en", "This message was not translated.");

        String budget = visibleText(renderer.render(reply("r-b", ReplyKind.BUDGET_EXCEEDED, notice), GRAPH_LIMIT)
                .get(0));
        String failed = visibleText(renderer.render(reply("r-f", ReplyKind.FAILED, notice), GRAPH_LIMIT).get(0));

        assertThat(budget).contains("Translation budget reached", "tla-reply:r-b:1")
                .doesNotContain("Translated by", "Not translated");
        assertThat(failed).contains("Not translated", "tla-reply:r-f:1")
                .doesNotContain("Translated by", "Translation budget reached");
    }

    @ParameterizedTest
    @ValueSource(strings = {HTML, CARD})
    void aRateLimitedReplyCarriesItsOwnLabel(String format) throws Exception {
        TeamsReplyRenderer renderer = new TeamsReplyRenderer(format);
        Translation notice = new Translation("de", "Diese Nachricht wurde nicht übersetzt.");

        String limited = visibleText(renderer.render(reply("r-r", ReplyKind.RATE_LIMITED, notice), GRAPH_LIMIT)
                .get(0));

        assertThat(limited).contains("Translation rate limit reached", "Diese Nachricht wurde nicht übersetzt.",
                "tla-reply:r-r:1").doesNotContain("Translated by", "Not translated", "Translation budget reached");
    }

    @ParameterizedTest
    @ValueSource(strings = {HTML, CARD})
    void aConfirmationOfALanguageCommandIsLabelledAsSettingsNotAsATranslation(String format) throws Exception {
        TeamsReplyRenderer renderer = new TeamsReplyRenderer(format);
        Translation confirmation = new Translation("en", "Done.\nYou: French (fr)");

        String shown = visibleText(renderer.render(reply("r-c", ReplyKind.CONFIRMATION, confirmation), GRAPH_LIMIT)
                .get(0));

        assertThat(shown).contains("Language settings", "You: French (fr)", "tla-reply:r-c:1")
                .doesNotContain("Translated by", "Not translated", "Translation budget reached");
    }
}
