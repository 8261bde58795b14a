package io.tla.connectors.graph;

import io.tla.platform.config.GraphConfig;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.EnvSecretStore;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A Graph reply connector on its own, as {@code TlaRuntime} builds it for {@code reply.sink=graph}, so a test can
 * run it in a separate JVM and kill that JVM. Arguments: bootstrap servers, Graph base URL, consumer group.
 */
public final class GraphSinkProcess {

    /** A short session, so a killed member leaves the group in seconds rather than the default 45 s. */
    static final Map<String, Object> CLIENT_OVERRIDES = Map.of("session.timeout.ms", 6_000,
            "heartbeat.interval.ms", 1_000);

    private GraphSinkProcess() {
    }

    static GraphReplySink create(String bootstrapServers, String graphBaseUrl, String consumerGroup) {
        return create(bootstrapServers, graphBaseUrl, consumerGroup, Map.of());
    }

    static GraphReplySink create(String bootstrapServers, String graphBaseUrl, String consumerGroup,
                                 Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>(Map.of(
                GraphConfig.BASE_URL, graphBaseUrl,
                GraphConfig.AUTH_MODE, "static-token",
                GraphConfig.INITIAL_BACKOFF_MS, "100"));
        values.putAll(overrides);
        GraphConfig graph = GraphConfig.from(TlaConfig.of(values));
        // the token an emulator accepts; the secret store is the one the runtime reads TLA_SECRET_* from
        EnvSecretStore secrets = new EnvSecretStore(Map.of(EnvSecretStore.variableFor(graph.staticTokenSecret()),
                "emulator-token"));
        return new GraphReplySink(graph, new GraphAuth(graph, secrets, null), new ReplyConfig("graph", consumerGroup),
                new KafkaClients(bootstrapServers, CLIENT_OVERRIDES), new TlaMetrics(), new Health());
    }

    public static void main(String[] args) throws InterruptedException {
        GraphReplySink sink = create(args[0], args[1], args[2]);
        sink.start();
        System.out.println("graph-sink-process started");
        new CountDownLatch(1).await(); // until killed
    }
}
