package io.tla.topology.language;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class NgramModelTest {

    @Test
    void readsBackWhatItWroteInSixteenthsOfANatWithTheFloorAsTheLowest() throws Exception {
        TreeMap<String, Map<Integer, Double>> ngrams = new TreeMap<>();
        ngrams.put("e", Map.of(0, Math.log(0.12), 1, Math.log(0.16)));
        ngrams.put("sch", Map.of(1, Math.log(0.98)));
        ngrams.put("ing", Map.of(0, -30.0));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        NgramModel.write(bytes, List.of("en", "de"), List.of("Latin", "Latin"), ngrams);

        NgramModel model = NgramModel.read(new ByteArrayInputStream(bytes.toByteArray()));

        assertThat(model.languageCount()).isEqualTo(2);
        assertThat(model.tag(1)).isEqualTo("de");
        assertThat(model.script(0)).isEqualTo("Latin");
        assertThat(model.ngramCount()).isEqualTo(3);
        float[] scores = {1, 1};
        model.apply(model.find(key("e")), 0f, scores);
        assertThat(scores[0]).isCloseTo((float) Math.log(0.12), within(1f / 32));
        assertThat(scores[1]).isCloseTo((float) Math.log(0.16), within(1f / 32));
        scores = new float[] {1, 1};
        model.apply(model.find(key("sch")), -2f, scores);
        assertThat(scores[0]).as("a language without the n-gram is left alone").isEqualTo(1f);
        assertThat(scores[1]).isCloseTo(-2f + (float) Math.log(0.98), within(1f / 32));
        model.apply(model.find(key("ing")), 0f, scores);
        assertThat(scores[0]).isEqualTo(NgramModel.FLOOR);
        assertThat(model.find(key("ch"))).isEqualTo(-1);
    }

    @Test
    void shippedModelCoversTheLatinAndCyrillicLanguages() {
        NgramModel model = NgramModel.load();

        assertThat(model.languageCount()).isEqualTo(23);
        assertThat(model.ngramCount()).isGreaterThan(100_000);
        assertThat(model.find(key("sch"))).isNotNegative();
        assertThat(model.find(key("ung"))).isNotNegative();
    }

    private static long key(String ngram) {
        long key = 0;
        for (char c : ngram.toCharArray()) {
            key = (key << 16) | c;
        }
        return key;
    }
}
