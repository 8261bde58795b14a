package io.tla.topology.language;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Writes {@code ngram-model.bin.gz} from the n-gram models Lingua 1.2.2 publishes in its jar (Apache-2.0; a
 * test-scope dependency of this module, never on the runtime classpath). Run from the worktree root:
 * <pre>
 * mvn -q -o -pl topology -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp topology/target/test-classes:topology/target/classes:$(cat /tmp/cp.txt) \
 *     io.tla.topology.language.NgramModelGenerator topology/src/main/resources/io/tla/topology/language/ngram-model.bin.gz
 * </pre>
 *
 * <p>Lingua's files give, per language and n-gram of one to five letters, the relative frequency of its last
 * letter after the ones before it, as a reduced fraction. What is kept: unigrams, bigrams and trigrams whole, the
 * {@link #QUADRIGRAMS_PER_LANGUAGE} most frequent quadrigrams of each language (by the chained probability of all
 * four letters); no fivegrams (they cost more memory than they add accuracy on short text). N-grams whose context
 * (the letters before the last) Lingua saw fewer than {@link #MIN_CONTEXT_COUNT} times in that language are dropped,
 * so the detector backs off to the shorter n-gram: a probability from a handful of foreign names ("čs" in German)
 * is noise. The count of a context is the least common multiple of the reduced denominators that share it.
 */
public final class NgramModelGenerator {

    static final int QUADRIGRAMS_PER_LANGUAGE = 25_000;
    static final long MIN_CONTEXT_COUNT = 1_000;
    private static final String[] FILES = {"unigrams", "bigrams", "trigrams", "quadrigrams"};

    /** The languages of {@link LanguageDetection#LANGUAGES} that share a script with others, as Lingua names them. */
    static final List<String[]> LANGUAGES = List.of(
            new String[] {"en", "Latin"}, new String[] {"de", "Latin"}, new String[] {"fr", "Latin"},
            new String[] {"es", "Latin"}, new String[] {"pt", "Latin"}, new String[] {"it", "Latin"},
            new String[] {"nl", "Latin"}, new String[] {"pl", "Latin"}, new String[] {"cs", "Latin"},
            new String[] {"sk", "Latin"}, new String[] {"hu", "Latin"}, new String[] {"ro", "Latin"},
            new String[] {"hr", "Latin"}, new String[] {"sv", "Latin"}, new String[] {"da", "Latin"},
            new String[] {"nb", "Latin"}, new String[] {"fi", "Latin"}, new String[] {"tr", "Latin"},
            new String[] {"vi", "Latin"}, new String[] {"id", "Latin"},
            new String[] {"ru", "Cyrillic"}, new String[] {"uk", "Cyrillic"}, new String[] {"bg", "Cyrillic"});

    private NgramModelGenerator() {
    }

    public static void main(String[] args) throws IOException {
        Path target = Path.of(args.length > 0 ? args[0]
                : "topology/src/main/resources/io/tla/topology/language/ngram-model.bin.gz");
        SortedMap<String, Map<Integer, Double>> model = build();
        Files.createDirectories(target.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(target)) {
            NgramModel.write(out, LANGUAGES.stream().map(l -> l[0]).toList(),
                    LANGUAGES.stream().map(l -> l[1]).toList(), model);
        }
        System.out.printf("%d n-grams, %d entries, %d bytes -> %s%n", model.size(),
                model.values().stream().mapToInt(Map::size).sum(), Files.size(target), target);
    }

    static SortedMap<String, Map<Integer, Double>> build() throws IOException {
        SortedMap<String, Map<Integer, Double>> model = new TreeMap<>();
        for (int language = 0; language < LANGUAGES.size(); language++) {
            Map<String, Double> kept = languageModel(LANGUAGES.get(language)[0]);
            for (Map.Entry<String, Double> ngram : kept.entrySet()) {
                model.computeIfAbsent(ngram.getKey(), k -> new HashMap<>()).put(language, ngram.getValue());
            }
        }
        return model;
    }

    private record Ngram(String text, long numerator, long denominator) {
    }

    /** One language's kept n-grams with their log-probabilities. */
    static Map<String, Double> languageModel(String tag) throws IOException {
        Map<String, Double> all = new HashMap<>();
        Map<String, Double> kept = new HashMap<>();
        List<String> quadrigrams = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (int order = 1; order <= FILES.length; order++) {
            String resource = "/language-models/" + tag + "/" + FILES[order - 1] + ".json";
            List<Ngram> ngrams = new ArrayList<>();
            Map<String, Long> contextCounts = new HashMap<>();
            try (InputStream in = NgramModelGenerator.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException(resource + " not found: is Lingua on the test classpath?");
                }
                JsonNode fractions = json.readTree(in).get("ngrams");
                for (Iterator<Map.Entry<String, JsonNode>> it = fractions.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> fraction = it.next();
                    String[] parts = fraction.getKey().split("/");
                    long numerator = Long.parseLong(parts[0]);
                    long denominator = Long.parseLong(parts[1]);
                    for (String text : fraction.getValue().asText().split(" ")) {
                        ngrams.add(new Ngram(text, numerator, denominator));
                        contextCounts.merge(text.substring(0, text.length() - 1), denominator,
                                NgramModelGenerator::leastCommonMultiple);
                    }
                }
            }
            for (Ngram ngram : ngrams) {
                double logProbability = Math.log((double) ngram.numerator / ngram.denominator);
                all.put(ngram.text, logProbability);
                boolean reliable = order == 1
                        || contextCounts.get(ngram.text.substring(0, ngram.text.length() - 1)) >= MIN_CONTEXT_COUNT;
                if (!reliable) {
                    continue;
                }
                if (order < 4) {
                    kept.put(ngram.text, logProbability);
                } else {
                    quadrigrams.add(ngram.text);
                }
            }
        }
        // the most frequent quadrigrams: highest chained probability, ties by text so the file is reproducible
        Comparator<String> byFrequency = Comparator.<String>comparingDouble(q -> -chained(q, all))
                .thenComparing(Comparator.naturalOrder());
        quadrigrams.stream().sorted(byFrequency).limit(QUADRIGRAMS_PER_LANGUAGE)
                .forEach(q -> kept.put(q, all.get(q)));
        return kept;
    }

    /** log P(a) + log P(b|a) + ... over the n-gram's prefixes. */
    private static double chained(String ngram, Map<String, Double> all) {
        double sum = 0;
        for (int end = 1; end <= ngram.length(); end++) {
            Double logProbability = all.get(ngram.substring(0, end));
            if (logProbability == null) {
                return Double.NEGATIVE_INFINITY;
            }
            sum += logProbability;
        }
        return sum;
    }

    private static long leastCommonMultiple(long a, long b) {
        long x = a;
        long y = b;
        while (y != 0) {
            long t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }
}
