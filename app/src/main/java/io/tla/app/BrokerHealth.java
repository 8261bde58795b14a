package io.tla.app;

import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.schemas.Topic;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * Readiness of the Kafka side: the cluster answers and the contract's topics exist. Checked in the background
 * every few seconds so {@code /health/ready} never waits on the network.
 */
final class BrokerHealth implements AutoCloseable {

    private final Admin admin;
    private final List<String> topics;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "tla-broker-health");
        thread.setDaemon(true);
        return thread;
    });
    private volatile Health.Check state = Health.Check.notReady("not checked yet");

    BrokerHealth(KafkaClients clients, List<Topic<?, ?>> topics) {
        this.admin = Admin.create(clients.properties("tla-health"));
        this.topics = topics.stream().map(Topic::name).toList();
    }

    BrokerHealth start(Health health) {
        health.register("broker", () -> state);
        scheduler.scheduleWithFixedDelay(this::check, 0, 5, TimeUnit.SECONDS);
        return this;
    }

    private void check() {
        try {
            int nodes = admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
            Set<String> names = admin.listTopics().names().get(3, TimeUnit.SECONDS);
            List<String> missing = topics.stream().filter(topic -> !names.contains(topic)).toList();
            state = missing.isEmpty()
                    ? Health.Check.ready(nodes + " broker(s), topics present")
                    : Health.Check.notReady("missing topics " + missing);
        } catch (Exception e) {
            state = Health.Check.notReady("broker unreachable: " + e.getClass().getSimpleName());
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        admin.close(java.time.Duration.ofSeconds(2));
    }
}
