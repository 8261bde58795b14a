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
     * Creates each missing topic; existing topics keep their partition count and configuration. Returns the
     * names it created.
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
