package io.tla.app.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The three-broker KRaft cluster of {@code ops/cluster/cluster.sh} (each broker its own JVM), driven through the
 * script: {@code start|stop|status|kill N|start-node N|stop-node N|leaders|bootstrap|wipe}, with its directory
 * ({@code TLA_CLUSTER_DIR}) under the test's directory and its own client port range ({@code TLA_CLUSTER_PORT}:
 * node N listens on port+N-1). Always {@link #close() closed} (stop, then wipe) by the scenario's {@code @AfterAll}.
 */
final class LocalCluster implements Brokers {

    /** The script, from the app module's directory (where surefire runs the tests). */
    static final Path SCRIPT = Path.of("..", "ops", "cluster", "cluster.sh").toAbsolutePath().normalize();

    private final Path dir;
    private final int port;
    private final String bootstrap;

    private LocalCluster(Path dir, int port, String bootstrap) {
        this.dir = dir;
        this.port = port;
        this.bootstrap = bootstrap;
    }

    static boolean available() {
        return Files.isExecutable(SCRIPT);
    }

    /** Starts the cluster under {@code dir}/cluster on a free port range; its bootstrap is start's last line. */
    static LocalCluster start(Path dir) {
        Path clusterDir = dir.resolve("cluster");
        int port = freePortRange(3);
        List<String> out = run(clusterDir, port, 240, "start");
        String bootstrap = out.isEmpty() ? "" : out.get(out.size() - 1).strip();
        if (!bootstrap.contains(":")) {
            throw new IllegalStateException("cluster.sh start printed no bootstrap servers: " + out);
        }
        return new LocalCluster(clusterDir, port, bootstrap);
    }

    @Override
    public String bootstrap() {
        return bootstrap;
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
        run(dir, port, 60, "kill", Integer.toString(n));
    }

    @Override
    public void startNode(int n) {
        run(dir, port, 180, "start-node", Integer.toString(n));
    }

    @Override
    public void stopNode(int n) {
        run(dir, port, 120, "stop-node", Integer.toString(n));
    }

    /**
     * {@code cluster.sh leaders}, tried up to five times: its describe of every topic has a 10 s timeout, which a
     * machine this loaded (load average 40 on 2 cores) can miss.
     */
    @Override
    public Map<Integer, Integer> leaders() {
        IllegalStateException failure = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                return leadersOnce();
            } catch (IllegalStateException e) {
                failure = e;
            }
        }
        throw failure;
    }

    private Map<Integer, Integer> leadersOnce() {
        Map<Integer, Integer> leaders = new TreeMap<>();
        for (String line : run(dir, port, 60, "leaders")) {
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
        try {
            run(dir, port, 180, "stop");
        } finally {
            run(dir, port, 60, "wipe");
        }
    }

    /** Runs the script; its stdout lines; fails on a non-zero exit with what it printed. */
    private static List<String> run(Path clusterDir, int port, int timeoutSeconds, String... args) {
        List<String> command = new ArrayList<>();
        command.add(SCRIPT.toString());
        command.addAll(List.of(args));
        try {
            Files.createDirectories(clusterDir);
            // beside the cluster's directory, which wipe deletes
            Path out = Files.createTempFile(clusterDir.getParent(), "cluster-", ".out");
            Path err = clusterDir.resolveSibling("cluster-script.log");
            ProcessBuilder builder = new ProcessBuilder(command).directory(SCRIPT.getParent().getParent().getParent().toFile())
                    .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()));
            builder.environment().put("TLA_CLUSTER_DIR", clusterDir.toString());
            builder.environment().put("TLA_CLUSTER_PORT", Integer.toString(port));
            Process process = builder.start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new IllegalStateException("cluster.sh " + String.join(" ", args) + " took over " + timeoutSeconds + " s");
            }
            List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
            Files.delete(out);
            if (process.exitValue() != 0) {
                throw new IllegalStateException("cluster.sh " + String.join(" ", args) + " exited " + process.exitValue()
                        + ": " + lines + " (stderr in " + err + ")");
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static boolean free(int port) {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(port)) {
            socket.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A base port with {@code count} consecutive free ports and their controllers' (port+100...) free. */
    private static int freePortRange(int count) {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = 20_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(20_000);
            boolean free = true;
            // clients on base..base+count-1, controllers on base+100.. (cluster.sh)
            for (int i = 0; i < count && free; i++) {
                free = free(base + i) && free(base + 100 + i);
            }
            if (free) {
                return base;
            }
        }
        return 19092;
    }
}
