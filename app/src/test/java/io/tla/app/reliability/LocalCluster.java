package io.tla.app.reliability;

import io.tla.app.ClusterScript;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The three-broker KRaft cluster of {@code ops/cluster/cluster.sh} (each broker its own JVM) as the scenarios' Kafka,
 * through the same {@link ClusterScript} the cluster tests use: its directory under the test's, its own free port
 * range. Always {@link #close() closed} (stop, leftovers killed, then wipe) by the scenario's {@code @AfterAll}.
 */
final class LocalCluster implements Brokers {

    private final ClusterScript script;

    private LocalCluster(ClusterScript script) {
        this.script = script;
    }

    static boolean available() {
        return Files.isExecutable(ClusterScript.repoRoot().resolve("ops/cluster/cluster.sh"));
    }

    /** Starts the cluster under {@code dir}/cluster; its bootstrap servers are start's last line. */
    static LocalCluster start(Path dir) {
        return call(() -> {
            ClusterScript script = new ClusterScript(dir.resolve("cluster"), Map.of("TLA_CLUSTER_HEAP", "-Xmx512m"));
            String printed = script.ok("start").lastLine().strip();
            if (!printed.equals(script.bootstrap())) {
                script.close();
                throw new IllegalStateException("cluster.sh start printed " + printed + ", not its bootstrap servers");
            }
            return new LocalCluster(script);
        });
    }

    @Override
    public String bootstrap() {
        return script.bootstrap();
    }

    @Override
    public short replicationFactor() {
        return 3;
    }

    @Override
    public int nodes() {
        return 3;
    }

    @Override
    public void kill(int n) {
        call(() -> script.ok("kill", Integer.toString(n)));
    }

    @Override
    public void startNode(int n) {
        call(() -> script.ok("start-node", Integer.toString(n)));
    }

    @Override
    public void stopNode(int n) {
        call(() -> script.ok("stop-node", Integer.toString(n)));
    }

    /**
     * {@code cluster.sh leaders}, tried up to five times: its describe of every topic has a 10 s timeout, which a
     * loaded machine (load average 40 on 2 cores) can miss.
     */
    @Override
    public Map<Integer, Integer> leaders() {
        AssertionError failure = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                return leadersOnce();
            } catch (AssertionError e) {
                failure = e;
            }
        }
        throw failure;
    }

    private Map<Integer, Integer> leadersOnce() {
        Map<Integer, Integer> leaders = new TreeMap<>();
        List<String> lines = call(() -> script.ok("leaders").out());
        for (String line : lines) {
            String[] parts = line.strip().split("\\s+");
            if (parts.length == 2 && parts[0].matches("\\d+") && parts[1].matches("\\d+")) {
                leaders.put(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
            }
        }
        return leaders;
    }

    @Override
    public String describe() {
        return "ops/cluster/cluster.sh, 3 brokers (RF 3)";
    }

    @Override
    public void close() {
        script.close();
        call(() -> script.run("wipe"));
    }

    private interface ScriptCall<T> {
        T call() throws IOException, InterruptedException;
    }

    private static <T> T call(ScriptCall<T> call) {
        try {
            return call.call();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
