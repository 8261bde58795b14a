package io.tla.app.reliability;

import io.tla.schemas.Json;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The steps the scenarios share: the deployments, waiting for the load to drain, reading a topic to its end. */
final class Scenarios {

    private Scenarios() {
    }

    /** Sizes of a run. */
    record Load(int messages, int conversations, double ratePerSecond) {
    }

    /** Polls {@code condition} every 250 ms until {@code timeout}; whether it held. */
    static boolean await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(250);
        }
        return condition.getAsBoolean();
    }

    /**
     * After the load: waits until every accepted message has a committed reply and (with Graph) every reply was
     * posted, then a few more seconds so late duplicates show too.
     */
    static void drain(LoadGenerator load, RepliesReader replies, GraphMock graph, Duration timeout)
            throws InterruptedException {
        await(timeout, () -> {
            Set<String> answered = new HashSet<>();
            replies.seen().forEach(s -> answered.add(s.reply().replyToId()));
            return load.deliveries().values().stream().filter(d -> d.acceptedNanos != 0)
                    .allMatch(d -> answered.contains(d.messageId));
        });
        if (graph != null) {
            await(timeout, () -> {
                Map<String, Integer> posts = graph.postsByReply();
                return replies.seen().stream().filter(s -> load.deliveries().containsKey(s.reply().replyToId()))
                        .allMatch(s -> posts.containsKey(s.reply().replyId()));
            });
        }
        Thread.sleep(5_000);
    }

    /** The replies of this run's messages (the topic may hold earlier scenarios' too). */
    static List<RepliesReader.Seen> ofThisRun(LoadGenerator load, RepliesReader replies) {
        return replies.seen().stream().filter(s -> load.deliveries().containsKey(s.reply().replyToId())).toList();
    }

    /** Every committed telemetry event now on the topic, in offset order per partition. */
    static List<TelemetryEvent> telemetry(String bootstrap) throws Exception {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<TelemetryEvent> events = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            String topic = Topics.TELEMETRY.name();
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    events.add(Json.mapper().readValue(record.value(), TelemetryEvent.class));
                }
            }
        }
        return events;
    }

    /**
     * Scenario 1: the pipeline split into role processes, one topology instance killed with SIGKILL once a third of
     * the load is in, restarted once two thirds are. {@code full}: two ingress, two topology, two Graph reply
     * connectors and a dashboard feed on PostgreSQL, each its own JVM; otherwise (CI) one process for ingress and
     * replies beside the two topology instances.
     */
    static Outcome topologyKill(String scenario, Path dir, Brokers brokers, Load size, boolean full) throws Exception {
        try (GraphMock graph = new GraphMock(); Stack stack = new Stack(scenario, dir, brokers, graph, full)) {
            List<TlaProcess> ingress = new ArrayList<>();
            if (full) {
                ingress.add(stack.start("ingress-1", "ingress"));
                ingress.add(stack.start("ingress-2", "ingress"));
                stack.start("replies-1", "replies");
                stack.start("replies-2", "replies");
                stack.start("dashboard", "dashboard");
            } else {
                ingress.add(stack.start("ingress-replies", "ingress,replies"));
            }
            TlaProcess victim = stack.start("topology-1", "topology");
            stack.start("topology-2", "topology");
            stack.awaitReady(Duration.ofSeconds(240));

            try (RepliesReader replies = new RepliesReader(brokers.bootstrap())) {
                warmUp(stack, ingress, replies);
                long start = System.nanoTime();
                LoadGenerator load = new LoadGenerator(ingress.stream().map(TlaProcess::webhookUri).toList(),
                        stack.webhookKey, size.conversations(), size.ratePerSecond(), size.messages()).start();
                List<Outcome.Fault> faults = new ArrayList<>();
                try {
                    await(Duration.ofSeconds(300), () -> load.posted() >= size.messages() / 3
                            && ofThisRun(load, replies).size() >= Math.min(50, size.messages() / 10));
                    victim.kill();
                    faults.add(new Outcome.Fault("kill -9 topology-1", System.nanoTime()));
                    await(Duration.ofSeconds(300), () -> load.posted() >= size.messages() * 2 / 3);
                    victim.start();
                    faults.add(new Outcome.Fault("restart topology-1", System.nanoTime()));
                    load.awaitDone(Duration.ofSeconds(600));
                    drain(load, replies, graph, Duration.ofSeconds(full ? 300 : 150));
                } finally {
                    load.stop();
                }
                Outcome outcome = Outcome.of(scenario, brokers.describe(), load, ofThisRun(load, replies),
                        graph.postsByReply(), faults, start);
                outcome.put("processes", stack.processes().stream().map(p -> p.name + ":" + p.roles).toList());
                outcome.put("conversations", size.conversations());
                outcome.put("rate_per_s", size.ratePerSecond());
                if (full) {
                    dashboardCheck(stack, outcome);
                }
                outcome.put("error_log_lines", stack.errorLines().size());
                outcome.report();
                return outcome;
            }
        }
    }

    /**
     * A few messages through every ingress, answered, before the measured load: the processes' first messages
     * (class loading, the language models, the JIT) would otherwise set the baseline the recovery is measured by.
     */
    static void warmUp(Stack stack, List<TlaProcess> ingress, RepliesReader replies) throws InterruptedException {
        LoadGenerator warm = new LoadGenerator(ingress.stream().map(TlaProcess::webhookUri).toList(), stack.webhookKey,
                10, 10, 30).start();
        try {
            warm.awaitDone(Duration.ofSeconds(120));
            await(Duration.ofSeconds(120), () -> ofThisRun(warm, replies).size() >= warm.accepted());
        } finally {
            warm.stop();
        }
    }

    /** The dashboard store against the telemetry topic: every event stored, none twice. */
    static void dashboardCheck(Stack stack, Outcome outcome) throws Exception {
        List<TelemetryEvent> events = telemetry(stack.brokers.bootstrap());
        Set<String> ids = new HashSet<>();
        events.forEach(e -> ids.add(e.eventId()));
        // the feed commits its offsets after its store transaction: give it a moment to catch up
        await(Duration.ofSeconds(60), () -> {
            try {
                return stack.dashboardCounts().get("events") >= ids.size();
            } catch (Exception e) {
                return false;
            }
        });
        Map<String, Long> counts = stack.dashboardCounts();
        outcome.put("telemetry_events_on_topic", events.size());
        outcome.put("telemetry_distinct_event_ids", ids.size());
        outcome.put("dashboard_store", counts);
        outcome.put("telemetry_lost_by_store", Math.max(0, ids.size() - counts.get("events")));
        outcome.put("telemetry_counted_twice", counts.get("events") - counts.get("distinct_events"));
    }
}
