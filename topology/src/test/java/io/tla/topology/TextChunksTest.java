package io.tla.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextChunksTest {

    @Test
    void keepsATextThatFitsWhole() {
        assertThat(TextChunks.split("Kurz. Und gut.", 100)).containsExactly("Kurz. Und gut.");
    }

    @Test
    void splitsOnSentenceBoundariesWithEveryChunkWithinTheBound() {
        String text = "Erster Satz hier. Zweiter Satz folgt. Dritter Satz kommt. Vierter Satz endet.";
        List<String> chunks = TextChunks.split(text, 10);
        assertThat(chunks).hasSizeGreaterThan(1);
        assertThat(chunks).allSatisfy(chunk -> assertThat(Tokens.estimate(chunk)).isLessThanOrEqualTo(10));
        assertThat(String.join(" ", chunks)).isEqualTo(text);
        assertThat(chunks).allSatisfy(chunk -> assertThat(chunk).endsWith("."));
    }

    @Test
    void splitsASentenceLongerThanTheBoundOnWords() {
        String sentence = "ein sehr langer Satz ohne Punkt der einfach immer weiter und weiter geht bis zum Ende";
        List<String> chunks = TextChunks.split(sentence, 5);
        assertThat(chunks).allSatisfy(chunk -> assertThat(Tokens.estimate(chunk)).isLessThanOrEqualTo(5));
        assertThat(String.join(" ", chunks)).isEqualTo(sentence);
    }
}
