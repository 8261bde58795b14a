package io.tla.app.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.schemas.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a scenario measured, from the load generator's deliveries, the committed replies and the Graph journal:
 * lost, duplicated and out-of-order replies, the webhook's answers and the time to recover from the faults. One
 * line of JSON per run, printed and appended to {@code target/reliability/<scenario>.json}.
 */
final class Outcome {

    /** A fault injected at {@code nanos} ({@link System#nanoTime()}). */
    record Fault(String what, long nanos) {
    }

    final String scenario;
    final ObjectNode json = Json.mapper().createObjectNode();
    int lost;
    int duplicated;
    int outOfOrder;
    int graphLost;
    int graphDuplicated;
    int accepted;
    int notAccepted;
    Map<String, Integer> webhook = Map.of();
    int noAnswerWithin5s;
    long timeToRecoverMs;
    long telemetryLost;
    long telemetryExtra;
    long telemetryCountedTwice;
    private String timeline;

    private Outcome(String scenario) {
        this.scenario = scenario;
    }

    /**
     * @param graphPosts posts per reply id, or null when replies are not posted to Graph
     * @param faults     in the order they were injected
     */
    static Outcome of(String scenario, String brokers, LoadGenerator load, List<RepliesReader.Seen> replies,
                      Map<String, Integer> graphPosts, List<Fault> faults, long startNanos) {
        Outcome o = new Outcome(scenario);
        ObjectNode j = o.json;
        j.put("scenario", scenario);
        j.put("at", Instant.now().toString());
        j.put("brokers", brokers);
        j.put("messages", load.posted());

        Map<String, LoadGenerator.Delivery> deliveries = load.deliveries();
        Map<String, List<RepliesReader.Seen>> byMessage = new HashMap<>();
        for (RepliesReader.Seen seen : replies) {
            byMessage.computeIfAbsent(seen.reply().replyToId(), m -> new ArrayList<>()).add(seen);
        }
        for (LoadGenerator.Delivery d : deliveries.values()) {
            if (d.acceptedNanos == 0) {
                o.notAccepted++;
                continue;
            }
            o.accepted++;
            int count = byMessage.getOrDefault(d.messageId, List.of()).size();
            if (count == 0) {
                o.lost++;
            } else if (count > 1) {
                o.duplicated += count - 1;
            }
        }
        int strays = (int) byMessage.keySet().stream().filter(m -> !deliveries.containsKey(m)).count();

        // order: a conversation's replies are on one partition; offset order is the order anyone reads them in
        Map<String, List<RepliesReader.Seen>> byConversation = new HashMap<>();
        for (RepliesReader.Seen seen : replies) {
            byConversation.computeIfAbsent(seen.reply().conversationId(), c -> new ArrayList<>()).add(seen);
        }
        for (Map.Entry<String, List<String>> conversation : load.acceptedOrder().entrySet()) {
            List<RepliesReader.Seen> seen = new ArrayList<>(byConversation.getOrDefault(conversation.getKey(), List.of()));
            seen.sort((a, b) -> a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition())
                    : Long.compare(a.offset(), b.offset()));
            Map<String, Integer> position = new HashMap<>();
            for (RepliesReader.Seen s : seen) {
                position.putIfAbsent(s.reply().replyToId(), position.size());
            }
            int previous = -1;
            for (String messageId : conversation.getValue()) {
                Integer at = position.get(messageId);
                if (at == null) {
                    continue;
                }
                if (at < previous) {
                    o.outOfOrder++;
                } else {
                    previous = at;
                }
            }
        }

        // Graph: posts per reply id against the committed replies
        if (graphPosts != null) {
            Map<String, String> replyIds = new HashMap<>();
            replies.forEach(s -> replyIds.put(s.reply().replyId(), s.reply().replyToId()));
            for (String replyId : replyIds.keySet()) {
                int posts = graphPosts.getOrDefault(replyId, 0);
                if (posts == 0) {
                    o.graphLost++;
                } else if (posts > 1) {
                    o.graphDuplicated += posts - 1;
                }
            }
            j.put("graph_posts", replyIds.keySet().stream().mapToInt(id -> graphPosts.getOrDefault(id, 0)).sum());
            j.put("graph_lost", o.graphLost);
            j.put("graph_duplicated", o.graphDuplicated);
        }

        // end-to-end latency (accepted -> reply committed) and the time to recover from the first fault
        List<Long> latencies = new ArrayList<>();
        List<Long> before = new ArrayList<>();
        long firstFault = faults.isEmpty() ? Long.MAX_VALUE : faults.get(0).nanos();
        Map<String, Long> firstSeen = new HashMap<>();
        for (RepliesReader.Seen s : replies) {
            firstSeen.merge(s.reply().replyToId(), s.seenNanos(), Math::min);
        }
        for (LoadGenerator.Delivery d : deliveries.values()) {
            Long seen = firstSeen.get(d.messageId);
            if (d.acceptedNanos != 0 && seen != null) {
                long millis = Math.max(0, (seen - d.acceptedNanos) / 1_000_000);
                latencies.add(millis);
                if (seen < firstFault) {
                    before.add(millis);
                }
            }
        }
        // recovered: from the first fault until the last reply of the last second of accepted messages whose median
        // time to reply was over the threshold: twice the median before the fault, at least 2 s
        long threshold = Math.max(2_000, 2 * quantile(before, 0.5));
        long recovered = 0;
        if (!faults.isEmpty()) {
            Map<Long, List<long[]>> bySecond = new java.util.TreeMap<>();
            for (LoadGenerator.Delivery d : deliveries.values()) {
                Long seen = firstSeen.get(d.messageId);
                if (d.acceptedNanos != 0 && seen != null && seen > firstFault) {
                    bySecond.computeIfAbsent((d.acceptedNanos - startNanos) / 1_000_000_000L, k -> new ArrayList<>())
                            .add(new long[] {(seen - d.acceptedNanos) / 1_000_000, seen});
                }
            }
            long lastSlow = firstFault;
            for (List<long[]> second : bySecond.values()) {
                if (quantile(second.stream().map(v -> v[0]).toList(), 0.5) > threshold) {
                    lastSlow = Math.max(lastSlow, second.stream().mapToLong(v -> v[1]).max().orElse(firstFault));
                }
            }
            recovered = (lastSlow - firstFault) / 1_000_000;
        }
        j.put("e2e_p50_ms_before_fault", quantile(before, 0.5));
        o.timeline = timeline(deliveries, firstSeen, startNanos);
        j.put("accepted", o.accepted);
        j.put("not_accepted", o.notAccepted);
        j.put("replies_committed", replies.size());
        j.put("lost", o.lost);
        j.put("duplicated", o.duplicated);
        j.put("out_of_order", o.outOfOrder);
        j.put("replies_to_unknown_messages", strays);
        ObjectNode webhook = j.putObject("webhook");
        o.webhook = load.statuses();
        o.noAnswerWithin5s = load.noAnswerWithin5s();
        o.timeToRecoverMs = recovered;
        o.webhook.forEach(webhook::put);
        j.put("requests", load.requests());
        j.put("no_answer_within_5s", load.noAnswerWithin5s());
        j.put("messages_retried_after_503", load.retriedAfter503());
        j.put("answer_p50_ms", load.answerMillis(0.5));
        j.put("answer_p99_ms", load.answerMillis(0.99));
        j.put("answer_max_ms", load.answerMillis(1.0));
        j.put("e2e_p50_ms", quantile(latencies, 0.5));
        j.put("e2e_p99_ms", quantile(latencies, 0.99));
        j.put("e2e_max_ms", quantile(latencies, 1.0));
        j.put("recovery_threshold_ms", threshold);
        j.put("time_to_recover_ms", recovered);
        var faultList = j.putArray("faults");
        for (Fault fault : faults) {
            faultList.addObject().put("what", fault.what()).put("at_s", (fault.nanos() - startNanos) / 1_000_000_000.0);
        }
        j.put("duration_s", (System.nanoTime() - startNanos) / 1_000_000_000L);
        return o;
    }

    static long quantile(List<Long> values, double q) {
        if (values.isEmpty()) {
            return -1;
        }
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
    }

    /** Prints the summary line and appends it to {@code target/reliability/<scenario>.json}. */
    Outcome report() throws IOException {
        report(scenario, json);
        if (timeline != null) {
            Files.writeString(Path.of("target", "reliability", scenario + "-timeline.csv"), timeline, StandardCharsets.UTF_8);
        }
        return this;
    }

    static void report(String scenario, ObjectNode json) throws IOException {
        String line = json.toString();
        System.out.println(line);
        Path file = Path.of("target", "reliability", scenario + ".json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** A detail for the report ({@code key: value}). */
    Outcome put(String key, Object value) {
        json.set(key, Json.mapper().valueToTree(value));
        return this;
    }

    Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        json.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }

    /** Per second of acceptance: messages accepted, and the worst and median time to their reply. */
    private static String timeline(Map<String, LoadGenerator.Delivery> deliveries, Map<String, Long> firstSeen,
                                   long startNanos) {
        Map<Long, List<Long>> bySecond = new java.util.TreeMap<>();
        for (LoadGenerator.Delivery d : deliveries.values()) {
            if (d.acceptedNanos != 0) {
                Long seen = firstSeen.get(d.messageId);
                bySecond.computeIfAbsent((d.acceptedNanos - startNanos) / 1_000_000_000L, s -> new ArrayList<>())
                        .add(seen == null ? -1 : (seen - d.acceptedNanos) / 1_000_000);
            }
        }
        StringBuilder csv = new StringBuilder("accepted_at_s,messages,unanswered,e2e_p50_ms,e2e_max_ms\n");
        bySecond.forEach((second, millis) -> {
            List<Long> answered = millis.stream().filter(m -> m >= 0).toList();
            csv.append(second).append(',').append(millis.size()).append(',').append(millis.size() - answered.size())
                    .append(',').append(quantile(answered, 0.5)).append(',').append(quantile(answered, 1.0)).append('\n');
        });
        return csv.toString();
    }

    /** Every accepted message answered once, in its conversation's order, and posted to Graph once. */
    void assertExactlyOnceInOrder() {
        assertThat(notAccepted).as("messages the ingress never accepted").isZero();
        assertThat(lost).as("accepted messages without a committed reply").isZero();
        assertThat(duplicated).as("extra committed replies").isZero();
        assertThat(outOfOrder).as("replies out of conversation order").isZero();
        assertThat(graphLost).as("committed replies never posted to Graph").isZero();
        assertThat(graphDuplicated).as("extra Graph posts").isZero();
    }
}
