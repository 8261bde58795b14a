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

    /** The processes of a deployment, by what they run. */
    record Deployment(List<TlaProcess> ingress, List<TlaProcess> topology) {
    }

    /** The faults a scenario injects while its load runs (on the test's thread). */
    interface FaultPlan {
        void inject(Stack stack, Deployment deployment, LoadGenerator load, RepliesReader replies, List<Outcome.Fault> faults)
                throws Exception;
    }

    /**
     * Scenario 1: one topology instance killed with SIGKILL once a third of the load is in (and replies flow),
     * restarted once two thirds are.
     */
    static Outcome topologyKill(String scenario, Path dir, Brokers brokers, Load size, boolean full) throws Exception {
        return pipeline(scenario, dir, brokers, size, full, (stack, deployment, load, replies, faults) -> {
            TlaProcess victim = deployment.topology().get(0);
            awaitThird(load, replies, size);
            victim.kill();
            faults.add(new Outcome.Fault("kill -9 " + victim.name, System.nanoTime()));
            await(Duration.ofSeconds(300), () -> load.posted() >= size.messages() * 2 / 3);
            victim.start();
            faults.add(new Outcome.Fault("restart " + victim.name, System.nanoTime()));
        });
    }

    /** Until a third of the load is posted and replies flow. */
    static void awaitThird(LoadGenerator load, RepliesReader replies, Load size) throws InterruptedException {
        await(Duration.ofSeconds(300), () -> load.posted() >= size.messages() / 3
                && ofThisRun(load, replies).size() >= Math.min(50, size.messages() / 10));
    }

    /**
     * The pipeline split into role processes under load, with {@code plan}'s faults. {@code full}: two ingress, two
     * topology, two Graph reply connectors and a dashboard feed on PostgreSQL, each its own JVM (the ingress get
     * half the traffic each); otherwise (CI) one process for ingress and replies beside the two topology instances.
     */
    static Outcome pipeline(String scenario, Path dir, Brokers brokers, Load size, boolean full, FaultPlan plan)
            throws Exception {
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
            List<TlaProcess> topology = List.of(stack.start("topology-1", "topology"), stack.start("topology-2", "topology"));
            stack.awaitReady(Duration.ofSeconds(300));
            Deployment deployment = new Deployment(ingress, topology);

            try (RepliesReader replies = new RepliesReader(brokers.bootstrap())) {
                warmUp(stack, ingress, replies);
                long start = System.nanoTime();
                LoadGenerator load = new LoadGenerator(ingress.stream().map(TlaProcess::webhookUri).toList(),
                        stack.webhookKey, size.conversations(), size.ratePerSecond(), size.messages()).start();
                List<Outcome.Fault> faults = new ArrayList<>();
                try {
                    plan.inject(stack, deployment, load, replies, faults);
                    load.awaitDone(Duration.ofSeconds(900));
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
                    long[] dashboard = dashboardCheck(stack, outcome);
                    outcome.telemetryLost = dashboard[0];
                    outcome.telemetryExtra = dashboard[1];
                    outcome.telemetryCountedTwice = dashboard[2];
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

    /**
     * The dashboard store against the telemetry topic: every row the topic's events stand for is stored (none
     * lost), no row is there that no event stands for, and the rollups count each row once (none counted twice).
     * Returns {lost, extra, counted twice}.
     */
    static long[] dashboardCheck(Stack stack, Outcome outcome) throws Exception {
        List<TelemetryEvent> events = telemetry(stack.brokers.bootstrap());
        Set<String> expected = new HashSet<>();
        events.forEach(e -> io.tla.dashboard.store.StoredEvent.rowsOf(e).forEach(row -> expected.add(row.eventId())));
        // the feed commits its offsets after its store transaction: give it a moment to catch up
        await(Duration.ofSeconds(120), () -> {
            try {
                return stack.dashboardEventIds().containsAll(expected);
            } catch (Exception e) {
                return false;
            }
        });
        Set<String> stored = stack.dashboardEventIds();
        Map<String, Long> counts = stack.dashboardCounts();
        long lost = expected.stream().filter(id -> !stored.contains(id)).count();
        long extra = stored.stream().filter(id -> !expected.contains(id)).count();
        long twice = Math.abs(counts.get("rollup_messages") - counts.get("rows_budget_decision"))
                + Math.abs(counts.get("rollup_replies") - counts.get("rows_reply_emitted"))
                + Math.abs(counts.get("rollup_replies_posted") - counts.get("rows_reply_posted"))
                + Math.abs(counts.get("rollup_model_calls") - counts.get("rows_model_call"));
        outcome.put("telemetry_events_on_topic", events.size());
        outcome.put("telemetry_rows_expected", expected.size());
        outcome.put("dashboard_store", counts);
        outcome.put("telemetry_lost_by_store", lost);
        outcome.put("telemetry_rows_without_event", extra);
        outcome.put("telemetry_counted_twice", twice);
        return new long[] {lost, extra, twice};
    }
}
