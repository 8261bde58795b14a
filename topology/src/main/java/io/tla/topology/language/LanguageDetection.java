package io.tla.topology.language;

import com.github.pemistahl.lingua.api.Language;
import com.github.pemistahl.lingua.api.LanguageDetector;
import com.github.pemistahl.lingua.api.LanguageDetectorBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Detects the language a chat message is written in, as a BCP-47 primary tag ({@code de}, {@code en},
 * {@code zh}...), or {@link #UNDETERMINED} when the answer would be a guess: too few letters ("ok", "123", emoji),
 * or two languages about equally likely (mixed-language text, closely related languages such as Danish and
 * Norwegian in a short message). Callers treat {@code und} as "translate as usual", so an unsure answer costs a
 * translation, never a lost one.
 *
 * <p>Backed by Lingua (n-gram models, no network) restricted to {@link #LANGUAGES}, in its high-accuracy mode:
 * chat messages are short, and the low-accuracy mode guesses short text confidently wrong ("Danke" → Danish,
 * "Thanks!" → Turkish), which would make us skip translations people need. The price is memory: measured on
 * this machine (Java 17, G1), the preloaded models of these 31 languages retain about 760 MB of heap (the
 * low-accuracy mode: about 35 MB) and take about 7 s to load on 2 cores. One detector is built per JVM, on first
 * use or by {@link #warmUp()}, and shared: Lingua's detector is thread-safe (its model maps are read under a lock
 * and never change once loaded). The cost is hash lookups into those models, one per n-gram and language: Lingua
 * scores text of 120 characters or more (after its own clean-up of punctuation and digits) on trigrams alone and
 * shorter text on all n-grams of one to five characters, so a 100-character message costs more than a long one.
 * Text beyond {@link #MAX_CHARS} characters is not looked at: enough to stay on the trigram path after clean-up,
 * and measured on 2 cores (two threads, 230-character sentences) about 5 500 detections/s instead of 2 700 at
 * 240 characters, with the same answers on this class's tests.
 */
public final class LanguageDetection {

    /** BCP-47 for "undetermined". */
    public static final String UNDETERMINED = "und";

    /** The most common business languages; a language outside the set can only be detected as one inside it or und. */
    public static final List<Language> LANGUAGES = List.of(
            Language.ENGLISH, Language.GERMAN, Language.FRENCH, Language.SPANISH, Language.PORTUGUESE,
            Language.ITALIAN, Language.DUTCH, Language.POLISH, Language.CZECH, Language.SLOVAK, Language.HUNGARIAN,
            Language.ROMANIAN, Language.BULGARIAN, Language.CROATIAN, Language.SWEDISH, Language.DANISH,
            Language.BOKMAL, Language.FINNISH, Language.GREEK, Language.TURKISH, Language.RUSSIAN,
            Language.UKRAINIAN, Language.CHINESE, Language.JAPANESE, Language.KOREAN, Language.ARABIC,
            Language.HEBREW, Language.HINDI, Language.THAI, Language.VIETNAMESE, Language.INDONESIAN);

    /** Fewer letters than this (after URLs, e-mail addresses, digits and symbols are set aside) is "und". */
    static final int MIN_LETTERS = 3;

    /**
     * Lingua rates the likeliest language 1.0 and the others relative to it; unless the runner-up stays this far
     * below, the text is "und". Chosen on sample chat lines: a one-sentence work message in one language
     * scores 0.2 to 0.5 (Danish and Norwegian, close kin, stay below and come out "und"), "Hallo zusammen" 0.13,
     * while "ok danke" (0.03), "Thanks, das passt so. See you tomorrow!" (0.08) and "Please check the Angebot and
     * send it to Herr Müller" (0.10) do not clear it.
     */
    static final double MIN_DISTANCE_TO_RUNNER_UP = 0.12;

    static final int MAX_CHARS = 160;

    private static final Logger log = LoggerFactory.getLogger(LanguageDetection.class);
    private static final Pattern NOT_LANGUAGE = Pattern.compile(
            "(?:https?://|www\\.)\\S+|\\S+@\\S+\\.\\S+|<at>.*?</at>", Pattern.CASE_INSENSITIVE);

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
        if (text == null) {
            return UNDETERMINED;
        }
        String language = NOT_LANGUAGE.matcher(truncate(text)).replaceAll(" ");
        if (language.codePoints().filter(Character::isLetter).limit(MIN_LETTERS).count() < MIN_LETTERS) {
            return UNDETERMINED;
        }
        SortedMap<Language, Double> confidence = detector().computeLanguageConfidenceValues(language);
        List<Map.Entry<Language, Double>> ranked = new ArrayList<>(confidence.entrySet());
        if (ranked.isEmpty() || ranked.get(0).getKey() == Language.UNKNOWN) {
            return UNDETERMINED;
        }
        if (ranked.size() > 1 && ranked.get(0).getValue() - ranked.get(1).getValue() < MIN_DISTANCE_TO_RUNNER_UP) {
            return UNDETERMINED;
        }
        return tagOf(ranked.get(0).getKey());
    }

    /**
     * The threads detection runs on in the pipeline, one per core: detection is pure CPU (about a millisecond per
     * message), so it runs beside the stream threads instead of on them. Daemon threads; the queue is bounded by
     * the model stage's in-flight limit, which is taken before a detection is submitted.
     */
    public static Executor executor() {
        return Pool.EXECUTOR;
    }

    /** Builds the detector now (blocking) unless it exists: call before taking traffic to keep the first message fast. */
    public static void warmUp() {
        detector();
    }

    /**
     * Starts building the detector on a daemon thread (once per JVM) and returns at once; a {@link #detect}
     * meanwhile waits for it. For a stream processor's {@code init()}, which must not block its thread for
     * seconds; the application itself warms up with {@link #warmUp()} before its stream threads start.
     */
    public static void warmUpInBackground() {
        if (detector == null && loaderStarted.compareAndSet(false, true)) {
            Thread loader = new Thread(LanguageDetection::warmUp, "tla-language-models");
            loader.setDaemon(true);
            loader.start();
        }
    }

    /** {@code nb} for Norwegian Bokmål, otherwise the ISO 639-1 code, which is also the BCP-47 primary tag. */
    static String tagOf(Language language) {
        return language.getIsoCode639_1().name().toLowerCase(Locale.ROOT);
    }

    private static LanguageDetector detector() {
        LanguageDetector built = detector;
        if (built == null) {
            synchronized (LanguageDetection.class) {
                built = detector;
                if (built == null) {
                    long started = System.nanoTime();
                    built = LanguageDetectorBuilder.fromLanguages(LANGUAGES.toArray(Language[]::new))
                            .withPreloadedLanguageModels()
                            .build();
                    detector = built;
                    log.info("event=language_models_loaded languages={} ms={}", LANGUAGES.size(),
                            (System.nanoTime() - started) / 1_000_000);
                }
            }
        }
        return built;
    }

    /** At most {@link #MAX_CHARS} characters, never splitting a surrogate pair. */
    private static String truncate(String text) {
        if (text.length() <= MAX_CHARS) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(MAX_CHARS - 1)) ? MAX_CHARS - 1 : MAX_CHARS;
        return text.substring(0, end);
    }
}
