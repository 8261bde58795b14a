package io.tla.topology.language;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Detects the language a chat message is written in, as a BCP-47 primary tag ({@code de}, {@code en},
 * {@code zh}...), or {@link #UNDETERMINED} when the answer would be a guess: too few letters ("ok", "123", emoji),
 * or two languages about equally likely (mixed-language text, closely related languages such as Danish and
 * Norwegian in a short message). Callers treat {@code und} as "translate as usual", so an unsure answer costs a
 * translation, never a lost one. URLs, e-mail addresses and {@code <at>} mentions are not looked at, nor text
 * beyond the first 160 characters. Only the languages of {@link #LANGUAGES} are ever answered.
 *
 * <p>The static methods use one {@link NgramLanguageDetector} per JVM (a script pre-filter, then character n-gram
 * models for Latin and Cyrillic text): about 10 MB of heap, loaded in about a second, about ten microseconds of CPU
 * per message. It replaced Lingua's high-accuracy detector (760 MB of heap, 7 s to load, about 0.33 ms per
 * message) with more right answers, fewer {@code und} and no more wrong ones on an evaluation corpus of UI
 * strings from a widely translated program (docs/benchmarks.md, "Language detection").
 */
public final class LanguageDetection {

    /** BCP-47 for "undetermined". */
    public static final String UNDETERMINED = "und";

    /** The most common business languages; a language outside the set can only be detected as one inside it or und. */
    public static final List<String> LANGUAGES = List.of(
            "en", "de", "fr", "es", "pt", "it", "nl", "pl", "cs", "sk", "hu", "ro", "bg", "hr", "sv", "da", "nb",
            "fi", "el", "tr", "ru", "uk", "zh", "ja", "ko", "ar", "he", "hi", "th", "vi", "id");

    private static final Logger log = LoggerFactory.getLogger(LanguageDetection.class);

    private static volatile LanguageDetector detector;

    /** Lazily started: a process that never detects (the ingress role) keeps no idle threads. */
    private static final class Pool {
        private static final AtomicInteger THREADS = new AtomicInteger();
        static final ExecutorService EXECUTOR = Executors.newFixedThreadPool(
                Math.max(1, Runtime.getRuntime().availableProcessors()), task -> {
                    Thread thread = new Thread(task, "tla-language-detection-" + THREADS.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
    }
    private static final AtomicBoolean loaderStarted = new AtomicBoolean();

    private LanguageDetection() {
    }

    /** The language {@code text} is written in, as a lower-case BCP-47 primary tag, or {@code und}. */
    public static String detect(String text) {
        return detector().detect(text);
    }

    /** The detector the static methods use, loaded on first use. */
    public static LanguageDetector detector() {
        LanguageDetector built = detector;
        if (built == null) {
            synchronized (LanguageDetection.class) {
                built = detector;
                if (built == null) {
                    long started = System.nanoTime();
                    built = NgramLanguageDetector.load();
                    detector = built;
                    log.info("event=language_models_loaded languages={} ms={}", LANGUAGES.size(),
                            (System.nanoTime() - started) / 1_000_000);
                }
            }
        }
        return built;
    }

    /**
     * The threads detection runs on in the pipeline, one per core. Detection takes microseconds now, but the
     * model stage still submits it beside the stream threads, and this keeps its contract. Daemon threads; the
     * queue is bounded by the model stage's in-flight limit, which is taken before a detection is submitted.
     */
    public static Executor executor() {
        return Pool.EXECUTOR;
    }

    /** Loads the detector now (blocking, about a second) unless it exists. */
    public static void warmUp() {
        detector();
    }

    /**
     * Starts loading the detector on a daemon thread (once per JVM) and returns at once; a {@link #detect}
     * meanwhile waits for it. For a stream processor's {@code init()}, which must not block its thread.
     */
    public static void warmUpInBackground() {
        if (detector == null && loaderStarted.compareAndSet(false, true)) {
            Thread loader = new Thread(LanguageDetection::warmUp, "tla-language-models");
            loader.setDaemon(true);
            loader.start();
        }
    }
}
