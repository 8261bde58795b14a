package io.tla.bench;

import com.github.pemistahl.lingua.api.Language;
import com.github.pemistahl.lingua.api.LanguageDetectorBuilder;
import io.tla.topology.language.DetectionScore;
import io.tla.topology.language.LanguageDetection;
import io.tla.topology.language.LanguageDetector;
import io.tla.topology.language.NgramLanguageDetector;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.regex.Pattern;

/**
 * {@code detection}: the pipeline's language detector ({@link NgramLanguageDetector}) against the one it replaced
 * (Lingua 1.2.2, high-accuracy mode, as {@code LanguageDetection} used it), in one JVM, on the evaluation corpus
 * (topology/src/test/resources/language/corpus.tsv): accuracy, {@code und} rate, wrong answers and wrong skips
 * ({@link DetectionScore}), the heap each detector keeps, its load time, and its cost per detection on one thread
 * ({@code messages} detections cycling through the corpus per round, rounds alternating between the two, the
 * median round reported). No broker.
 */
final class DetectionScenario {

    static final String CORPUS = "topology/src/test/resources/language/corpus.tsv";
    static final int ROUNDS = 3;

    private DetectionScenario() {
    }

    record Text(String language, String text) {
    }

    static BenchResult run(int messages, BenchLog log) throws IOException {
        List<Text> corpus = readCorpus();
        log.info("corpus: %d texts (%s)", corpus.size(), corpus());

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long heapBefore = usedHeapAfterGc();
        long started = System.nanoTime();
        long cpuStarted = threads.getCurrentThreadCpuTime();
        LanguageDetector compact = NgramLanguageDetector.load();
        double compactLoadMs = (System.nanoTime() - started) / 1e6;
        double compactLoadCpuMs = (threads.getCurrentThreadCpuTime() - cpuStarted) / 1e6;
        long heapCompact = usedHeapAfterGc();
        log.info("new detector loaded in %.0f ms (%.0f ms CPU), %.1f MB of heap", compactLoadMs, compactLoadCpuMs,
                (heapCompact - heapBefore) / 1e6);

        started = System.nanoTime();
        cpuStarted = threads.getCurrentThreadCpuTime();
        LanguageDetector lingua = new LinguaDetector();
        double linguaLoadMs = (System.nanoTime() - started) / 1e6;
        double linguaLoadCpuMs = (threads.getCurrentThreadCpuTime() - cpuStarted) / 1e6;
        long heapLingua = usedHeapAfterGc();
        log.info("Lingua loaded in %.0f ms (%.0f ms CPU on this thread; it loads on several), %.1f MB of heap",
                linguaLoadMs, linguaLoadCpuMs, (heapLingua - heapCompact) / 1e6);

        DetectionScore compactScore = score(compact, corpus);
        DetectionScore linguaScore = score(lingua, corpus);
        log.info("new: %s", compactScore);
        log.info("Lingua: %s", linguaScore);

        List<Round> compactRounds = new ArrayList<>();
        List<Round> linguaRounds = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            compactRounds.add(time(compact, corpus, messages));
            linguaRounds.add(time(lingua, corpus, messages));
            log.info("round %d: new %.2f µs CPU per detection, Lingua %.2f µs", round + 1,
                    compactRounds.get(round).cpuMicros(), linguaRounds.get(round).cpuMicros());
        }
        Round compactRound = median(compactRounds);
        Round linguaRound = median(linguaRounds);
        // keep both detectors reachable until the end, so neither heap figure is an artefact of collection
        log.info("kept: %s, %s", compact.getClass().getSimpleName(), lingua.getClass().getSimpleName());

        return BenchResult.of(BenchScenario.DETECTION.wireName(), messages, compactRound.perSecond(),
                        compactRound.latencies().p50Ms(), compactRound.latencies().p99Ms())
                .baseline(linguaRound.perSecond())
                .put("measured", "detections per second on one thread (median of " + ROUNDS + " rounds of "
                        + messages + " detections cycling through the corpus); baseline: Lingua high-accuracy")
                .put("corpus_texts", corpus.size())
                .put("targets", String.join(",", DetectionScore.TARGETS))
                .put("new", fields(compactScore, compactRound, compactLoadMs, compactLoadCpuMs, heapCompact - heapBefore))
                .put("old_lingua", fields(linguaScore, linguaRound, linguaLoadMs, linguaLoadCpuMs,
                        heapLingua - heapCompact));
    }

    static DetectionScore score(LanguageDetector detector, List<Text> corpus) {
        return DetectionScore.of(corpus.stream()
                .map(text -> new DetectionScore.Answer(text.language(), detector.detect(text.text())))
                .toList());
    }

    record Round(double cpuMicros, double perSecond, Latencies latencies) {
    }

    /** {@code count} detections on this thread: CPU time per detection, detections per wall second, each one's time. */
    static Round time(LanguageDetector detector, List<Text> corpus, int count) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (int i = 0; i < Math.min(count, 2 * corpus.size()); i++) {
            detector.detect(corpus.get(i % corpus.size()).text()); // the JIT compiler catches up
        }
        long[] nanos = new long[count];
        long cpuStart = threads.getCurrentThreadCpuTime();
        long wallStart = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            detector.detect(corpus.get(i % corpus.size()).text());
            nanos[i] = System.nanoTime() - start;
        }
        long wall = System.nanoTime() - wallStart;
        long cpu = threads.getCurrentThreadCpuTime() - cpuStart;
        return new Round(cpu / 1e3 / count, count / (wall / 1e9), Latencies.of(nanos));
    }

    private static Round median(List<Round> rounds) {
        List<Round> sorted = new ArrayList<>(rounds);
        sorted.sort((a, b) -> Double.compare(a.cpuMicros(), b.cpuMicros()));
        return sorted.get(sorted.size() / 2);
    }

    private static Map<String, Object> fields(DetectionScore score, Round round, double loadMs, double loadCpuMs,
                                              long heapBytes) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("accuracy", BenchResult.round(score.accuracy(), 4));
        fields.put("und_rate", BenchResult.round(score.undeterminedRate(), 4));
        fields.put("wrong", score.wrong());
        fields.put("wrong_rate", BenchResult.round(score.wrongRate(), 4));
        fields.put("wrong_skips", score.wrongSkips());
        fields.put("needed_translations", score.needed());
        fields.put("wrong_skip_rate", BenchResult.round(score.wrongSkipRate(), 6));
        fields.put("cpu_us_per_detection", BenchResult.round(round.cpuMicros(), 2));
        fields.put("detections_per_s", BenchResult.round(round.perSecond(), 0));
        fields.put("p99_us", BenchResult.round(round.latencies().p99Ms() * 1e3, 1));
        fields.put("heap_mb", BenchResult.round(heapBytes / 1e6, 1));
        fields.put("load_ms", BenchResult.round(loadMs, 0));
        fields.put("load_cpu_ms_calling_thread", BenchResult.round(loadCpuMs, 0));
        return fields;
    }

    /** The corpus of the source tree this distribution was built from ({@code tla.home}), or of the working directory. */
    static List<Text> readCorpus() throws IOException {
        Path path = corpus();
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException("the detection scenario reads the evaluation corpus from the source tree, "
                    + "and " + path + " is missing");
        }
        List<Text> texts = new ArrayList<>();
        for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                texts.add(new Text(line.substring(0, tab), line.substring(tab + 1)));
            }
        }
        return texts;
    }

    private static Path corpus() {
        String home = System.getProperty("tla.home");
        return home == null ? Path.of(CORPUS) : Path.of(home).resolve(CORPUS);
    }

    private static long usedHeapAfterGc() {
        var memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /**
     * The detector the pipeline used before: Lingua restricted to the 31 languages, high-accuracy mode, models
     * preloaded, {@code und} below 3 letters or when the runner-up's relative confidence is within 0.12, URLs,
     * e-mail addresses and mentions set aside, the first 160 characters only.
     */
    static final class LinguaDetector implements LanguageDetector {

        private static final Pattern NOT_LANGUAGE = Pattern.compile(
                "(?:https?://|www\\.)\\S+|\\S+@\\S+\\.\\S+|<at>.*?</at>", Pattern.CASE_INSENSITIVE);
        private static final double MIN_DISTANCE_TO_RUNNER_UP = 0.12;
        private static final int MAX_CHARS = 160;

        private final com.github.pemistahl.lingua.api.LanguageDetector detector;

        LinguaDetector() {
            Language[] languages = Arrays.stream(Language.values())
                    .filter(language -> language != Language.UNKNOWN
                            && LanguageDetection.LANGUAGES.contains(tagOf(language)))
                    .toArray(Language[]::new);
            if (languages.length != LanguageDetection.LANGUAGES.size()) {
                throw new IllegalStateException("Lingua lacks some of " + LanguageDetection.LANGUAGES);
            }
            detector = LanguageDetectorBuilder.fromLanguages(languages).withPreloadedLanguageModels().build();
        }

        @Override
        public String detect(String text) {
            if (text == null) {
                return LanguageDetection.UNDETERMINED;
            }
            String head = text.length() <= MAX_CHARS ? text
                    : text.substring(0, Character.isHighSurrogate(text.charAt(MAX_CHARS - 1)) ? MAX_CHARS - 1 : MAX_CHARS);
            String language = NOT_LANGUAGE.matcher(head).replaceAll(" ");
            if (language.codePoints().filter(Character::isLetter).limit(3).count() < 3) {
                return LanguageDetection.UNDETERMINED;
            }
            SortedMap<Language, Double> confidence = detector.computeLanguageConfidenceValues(language);
            List<Map.Entry<Language, Double>> ranked = new ArrayList<>(confidence.entrySet());
            if (ranked.isEmpty() || ranked.get(0).getKey() == Language.UNKNOWN) {
                return LanguageDetection.UNDETERMINED;
            }
            if (ranked.size() > 1 && ranked.get(0).getValue() - ranked.get(1).getValue() < MIN_DISTANCE_TO_RUNNER_UP) {
                return LanguageDetection.UNDETERMINED;
            }
            return tagOf(ranked.get(0).getKey());
        }

        private static String tagOf(Language language) {
            return language.getIsoCode639_1().name().toLowerCase(Locale.ROOT);
        }
    }
}
