package io.tla.topology.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.Translation;
import io.tla.topology.context.Turn;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.text.Normalizer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class TranslationCacheKeyTest {

    private static final Instant AT = Instant.parse("2026-11-25T10:00:00Z");

    /** The key as the previous release built it (one material string, a regex for white space): entries it cached stay hits. */
    private static String previousReleaseKey(String tenantId, String provider, List<String> targets, String variant,
                                             List<Turn> context, String text) throws Exception {
        String normalised = Pattern.compile("\\s+").matcher(Normalizer.normalize(text, Normalizer.Form.NFC).strip())
                .replaceAll(" ");
        StringBuilder material = new StringBuilder();
        for (String part : List.of(tenantId, provider, String.join(",", targets), variant == null ? "" : variant,
                normalised)) {
            material.append(part.length()).append(':').append(part);
        }
        for (Turn turn : context) {
            List<String> parts = new ArrayList<>();
            parts.add("turn");
            parts.add(turn.senderName());
            parts.add(turn.text());
            parts.add(turn.sourceLanguage());
            for (Translation translation : turn.translations()) {
                parts.add(translation.language());
                parts.add(translation.text());
            }
            parts.add("end");
            for (String part : parts) {
                material.append(part == null ? -1 : part.length()).append(':').append(part == null ? "" : part);
            }
        }
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(material.toString().getBytes(StandardCharsets.UTF_8));
        return tenantId + "|" + HexFormat.of().formatHex(digest);
    }

    @Test
    void keysAreTheOnesThePreviousReleaseCachedUnder() throws Exception {
        List<Turn> context = List.of(
                new Turn("m-1", "Anna Müller", "Grüße\taus  Köln 👋", AT, "de",
                        List.of(new Translation("en", "Greetings from Cologne"), new Translation("ja", "ケルンから"))),
                new Turn("m-2", null, "", AT, null, List.of()));
        List<String> texts = List.of("Guten Morgen", "  Guten \t\n Morgen  ", "a b  c\r\nd\u000Be\ff", "e\u0301t\u00e9",
                "", " ", "one\u00a0two", "\uD83D\uDE00 \uD83D", "tab\tonly", "x ".repeat(500));
        for (String text : texts) {
            for (List<Turn> turns : List.of(List.<Turn>of(), context)) {
                assertThat(TranslationCache.key("tenant-a", "openai", List.of("en", "ja"), "polite\n[]", turns, text))
                        .as("key of %s", text.replace("\n", "\\n"))
                        .isEqualTo(previousReleaseKey("tenant-a", "openai", List.of("en", "ja"), "polite\n[]", turns,
                                text));
            }
        }
        assertThat(TranslationCache.key("t", "p", List.of("en"), null, null, "Hallo"))
                .isEqualTo(previousReleaseKey("t", "p", List.of("en"), null, List.of(), "Hallo"));
    }

    @Test
    void collapsesEveryRunOfWhiteSpaceAsTheRegexDid() {
        assertThat(TranslationCache.collapseWhitespace("a  b\t\tc\n d")).isEqualTo("a b c d");
        assertThat(TranslationCache.collapseWhitespace("single spaces only")).isSameAs("single spaces only");
        assertThat(TranslationCache.collapseWhitespace("no\u00a0break")).isEqualTo("no\u00a0break");
    }
}
