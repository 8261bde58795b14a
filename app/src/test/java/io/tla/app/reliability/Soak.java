package io.tla.app.reliability;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.schemas.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scenario 7: the all-in-one runtime ({@code tla run}: every role and the embedded broker in one JVM, with the
 * launcher's JVM options) under a steady load for a long time, sampled every 10 s: RSS ({@code VmRSS} of
 * /proc/PID/status), heap in use ({@code jvm_memory_used_bytes{area="heap"}} summed over pools) and consumer lag
 * (the largest {@code kafka_consumer_fetch_manager_records_lag_max} of a non-restore consumer) from /metrics. Once a
 * minute the heap is also read right after a full collection ({@code jcmd PID GC.run}): what the process keeps,
 * which is what grows in a leak, while heap in use swings with the collector's rhythm.
 *
 * <p>The two halves compared start after a warm-up as long as the longest time-bound memory of the process, the
 * ingress's replay window (twice {@code webhook.max-clock-skew}, 10 minutes): until then that memory fills at the
 * load's rate by design, and after it stays the same size.
 */
final class Soak {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})?\\s+(\\S+)");

    /** {@code liveHeapBytes} is NaN except in the sample taken right after a full collection. */
    record Sample(double atSeconds, long rssKb, double heapBytes, double liveHeapBytes, double lag) {
    }

    /**
     * {@code errorLines}: every ERROR line but the broker's {@code retriedRefusals}: the embedded broker's ReplicaManager
     * logs at ERROR each batch it refuses while a transactional producer's first batch to a partition is held back
     * (CONCURRENT_TRANSACTIONS while the previous transaction's markers are written; KAFKA-14920): the producer
     * retries the refused batches in order and writes each once. Counted and shown, not taken for a product error.
     */
    record Result(Outcome outcome, List<String> errorLines, List<String> retriedRefusals, double rssGrowth,
                  double heapGrowth, boolean lagBounded, String lag) {
    }

    static boolean retriedRefusal(String errorLine) {
        return errorLine.contains("Error processing append operation on partition")
                && errorLine.contains("OutOfOrderSequenceException")
                && errorLine.contains("Expected sequence 0 for transactions v2 idempotent producer with no existing state");
    }

    /** The ingress's replay window: its delivery memory is full once this much traffic has passed. */
    static final Duration LONGEST_WINDOW = Duration.ofMinutes(10);

    private Soak() {
    }

    static Result run(String scenario, Path dir, Duration duration, int rate) throws Exception {
        try (Stack stack = new Stack(scenario, dir, null, null, false)) {
            int kafkaPort = EmbeddedBrokers.freePort();
            TlaProcess tla = stack.start("all-in-one", null, Map.of("embedded.kafka.port", Integer.toString(kafkaPort),
                    "embedded.kafka.controller-port", Integer.toString(EmbeddedBrokers.freePort())), Stack.LAUNCHER_JVM);
            stack.awaitReady(Duration.ofSeconds(300));
            String bootstrap = "127.0.0.1:" + kafkaPort;
            try (RepliesReader replies = new RepliesReader(bootstrap)) {
                Scenarios.warmUp(stack, List.of(tla), replies);
                long start = System.nanoTime();
                int messages = (int) (duration.toSeconds() * rate);
                LoadGenerator load = new LoadGenerator(List.of(tla.webhookUri()), stack.webhookKey, 200, rate,
                        messages).start();
                List<Sample> samples = new ArrayList<>();
                try {
                    for (int i = 1; System.nanoTime() - start < duration.toNanos(); i++) {
                        Thread.sleep(10_000);
                        samples.add(sample(tla, start, i % 6 == 0));
                    }
                    load.awaitDone(Duration.ofSeconds(300));
                    Scenarios.drain(load, replies, null, Duration.ofSeconds(300));
                } finally {
                    load.stop();
                }
                Outcome outcome = Outcome.of(scenario, "embedded broker in the all-in-one process", load,
                        Scenarios.ofThisRun(load, replies), null, List.of(), start);
                // warm-up: the longest time-bound memory filling, or a third of a shorter run
                double warmUp = Math.min(LONGEST_WINDOW.toSeconds(), duration.toSeconds() / 3.0);
                double middle = warmUp + (duration.toSeconds() - warmUp) / 2;
                List<Sample> first = samples.stream().filter(s -> s.atSeconds() >= warmUp && s.atSeconds() < middle).toList();
                List<Sample> second = samples.stream().filter(s -> s.atSeconds() >= middle).toList();
                double rssFirst = mean(first.stream().map(s -> (double) s.rssKb()).toList());
                double rssSecond = mean(second.stream().map(s -> (double) s.rssKb()).toList());
                double usedFirst = mean(first.stream().map(Sample::heapBytes).toList());
                double usedSecond = mean(second.stream().map(Sample::heapBytes).toList());
                double heapFirst = mean(first.stream().map(Sample::liveHeapBytes).filter(v -> !v.isNaN()).toList());
                double heapSecond = mean(second.stream().map(Sample::liveHeapBytes).filter(v -> !v.isNaN()).toList());
                double lagFirst = first.stream().mapToDouble(Sample::lag).max().orElse(0);
                double lagSecond = second.stream().mapToDouble(Sample::lag).max().orElse(0);
                // bounded: the second half's worst lag stays within what the first half reached (plus a second of load)
                boolean lagBounded = lagSecond <= Math.max(lagFirst * 1.5, rate);
                List<String> all = stack.errorLines();
                List<String> refusals = all.stream().filter(Soak::retriedRefusal).toList();
                List<String> errors = all.stream().filter(line -> !retriedRefusal(line)).toList();
                ObjectNode soak = Json.mapper().createObjectNode();
                soak.put("minutes", duration.toSeconds() / 60.0);
                soak.put("warm_up_s", warmUp);
                soak.put("rss_mib_first_half", Math.round(rssFirst / 1024));
                soak.put("rss_mib_second_half", Math.round(rssSecond / 1024));
                soak.put("rss_growth", round(rssSecond / rssFirst - 1));
                soak.put("heap_after_gc_mib_first_half", Math.round(heapFirst / 1048576));
                soak.put("heap_after_gc_mib_second_half", Math.round(heapSecond / 1048576));
                soak.put("heap_growth", round(heapSecond / heapFirst - 1));
                soak.put("heap_in_use_mib_first_half", Math.round(usedFirst / 1048576));
                soak.put("heap_in_use_mib_second_half", Math.round(usedSecond / 1048576));
                soak.put("heap_in_use_growth", round(usedSecond / usedFirst - 1));
                soak.put("lag_max_first_half", lagFirst);
                soak.put("lag_max_second_half", lagSecond);
                soak.put("error_log_lines", errors.size());
                soak.put("broker_retried_refusal_lines", refusals.size());
                outcome.json.set("soak", soak);
                writeSamples(scenario, samples);
                outcome.report();
                return new Result(outcome, errors, refusals, rssSecond / rssFirst - 1, heapSecond / heapFirst - 1, lagBounded,
                        "first half max " + lagFirst + ", second half max " + lagSecond);
            }
        }
    }

    private static Sample sample(TlaProcess tla, long start, boolean afterFullGc) throws Exception {
        if (afterFullGc) {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(tla.pid()), "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!jcmd.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
                throw new IllegalStateException("jcmd " + tla.pid() + " GC.run failed");
            }
        }
        long rss = 0;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(tla.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        double heap = 0;
        double lag = 0;
        for (String line : tla.metrics().split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!m.find()) {
                continue;
            }
            String labels = m.group(2) == null ? "" : m.group(2);
            double value;
            try {
                value = Double.parseDouble(m.group(3));
            } catch (NumberFormatException e) {
                continue;
            }
            if (m.group(1).equals("jvm_memory_used_bytes") && labels.contains("area=\"heap\"")) {
                heap += value;
            } else if (m.group(1).equals("kafka_consumer_fetch_manager_records_lag_max")
                    && !labels.contains("restore-consumer") && !Double.isNaN(value)) {
                lag = Math.max(lag, value);
            }
        }
        return new Sample((System.nanoTime() - start) / 1e9, rss, heap, afterFullGc ? heap : Double.NaN, lag);
    }

    private static void writeSamples(String scenario, List<Sample> samples) throws IOException {
        StringBuilder csv = new StringBuilder("at_s,rss_kib,heap_bytes,heap_after_gc_bytes,lag_max\n");
        samples.forEach(s -> csv.append(Math.round(s.atSeconds())).append(',').append(s.rssKb()).append(',')
                .append(Math.round(s.heapBytes())).append(',')
                .append(Double.isNaN(s.liveHeapBytes()) ? "" : Long.toString(Math.round(s.liveHeapBytes())))
                .append(',').append(s.lag()).append('\n'));
        Files.writeString(Path.of("target", "reliability", scenario + "-samples.csv"), csv);
    }

    private static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
