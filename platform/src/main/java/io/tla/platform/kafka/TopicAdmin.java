package io.tla.platform.kafka;

import io.tla.schemas.Topic;
import io.tla.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the contract's topics where they are missing and tells whether they exist, with the configuration
 * {@link Topics#creationConfigs} gives: topics listed in {@link Topics#COMPACTED} hold tables (the latest value per
 * key), which a delete policy alone would eventually lose; the reply ledger is also deleted after its retention.
 */
public final class TopicAdmin {

    private static final Logger log = LoggerFactory.getLogger(TopicAdmin.class);

    private TopicAdmin() {
    }

    /**
     * Waits until the broker that answers metadata requests knows a leader for every partition of {@code names}:
     * the controller confirms a creation before every broker has applied it, and a client that asks in between (a
     * Kafka Streams global store at start-up) finds no partitions and fails.
     */
    private static void awaitLeaders(Admin admin, List<String> names, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        long until = System.nanoTime() + timeout.toNanos();
        while (!names.isEmpty()) {
            try {
                Map<String, TopicDescription> found = admin.describeTopics(names).allTopicNames()
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (found.values().stream().allMatch(d -> !d.partitions().isEmpty()
                        && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()))) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > until) {
                throw new TimeoutException("topics " + names + " have no leader yet");
            }
            Thread.sleep(50);
        }
    }

    /**
     * The topics of {@code names} whose replication factor (the fewest replicas of any of their partitions) is below
     * {@code replicationFactor}, with that factor; missing topics are left out.
     */
    public static Map<String, Integer> replicationBelow(Admin admin, List<String> names, short replicationFactor,
                                                        Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        List<String> present = names.stream().filter(existing::contains).toList();
        Map<String, Integer> below = new java.util.TreeMap<>();
        if (present.isEmpty()) {
            return below;
        }
        admin.describeTopics(present).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .forEach((name, description) -> description.partitions().stream()
                        .mapToInt(p -> p.replicas().size()).min()
                        .ifPresent(actual -> {
                            if (actual < replicationFactor) {
                                below.put(name, actual);
                            }
                        }));
        return below;
    }

    /**
     * Creates each missing topic; existing topics keep their partition count and configuration. Every topic of
     * {@code topics} whose replication factor is below {@code replicationFactor} (an existing topic created for a
     * smaller cluster) is logged as a warning. Returns the names it created.
     */
    public static List<String> ensureTopics(KafkaClients clients, List<Topic<?, ?>> topics, int partitions,
                                            short replicationFactor, Duration timeout) {
        try (Admin admin = Admin.create(clients.properties("tla-topic-admin"))) {
            Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (Topic<?, ?> topic : topics) {
                if (!existing.contains(topic.name())) {
                    Map<String, String> configs = new HashMap<>();
                    configs.put("min.insync.replicas", replicationFactor > 1 ? "2" : "1");
                    configs.putAll(Topics.creationConfigs(topic.name()));
                    missing.add(new NewTopic(topic.name(), partitions, replicationFactor).configs(configs));
                }
            }
            List<String> created = new ArrayList<>();
            for (NewTopic topic : missing) {
                try {
                    admin.createTopics(List.of(topic)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    created.add(topic.name());
                    log.info("event=topic_created topic={} partitions={} replication_factor={} cleanup_policy={}",
                            topic.name(), partitions, replicationFactor,
                            topic.configs().getOrDefault("cleanup.policy", "delete"));
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            awaitLeaders(admin, created, timeout);
            List<String> names = topics.stream().<String>map(Topic::name).toList();
            replicationBelow(admin, names, replicationFactor, timeout).forEach((name, actual) ->
                    log.warn("event=topic_replication_below_configured topic={} replication_factor={} configured={}"
                                    + " hint=\"an existing topic keeps its replication factor; reassign its partitions"
                                    + " (kafka-reassign-partitions) to reach topics.replication-factor\"",
                            name, actual, replicationFactor));
            return created;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create the contract's topics on " + clients.bootstrapServers()
                    + ": " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }
}
