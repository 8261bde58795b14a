package io.tla.app;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Drives {@code ops/cluster/cluster.sh} for a test: a cluster in its own directory on a random free port range,
 * stopped (SIGTERM, then SIGKILL of whatever is left) by {@link #close()}.
 */
public final class ClusterScript implements AutoCloseable {

    /** Resolved once per build by the first cluster, copied into the next ones (Maven takes seconds). */
    private static final Path SHARED_CLASSPATH = Path.of("target", "cluster-classpath.txt").toAbsolutePath();

    final Path dir;
    final int port;
    private final Path script;
    private final Map<String, String> env = new HashMap<>();

    public ClusterScript(Path dir, Map<String, String> extraEnv) throws IOException {
        this.dir = dir;
        this.script = repoRoot().resolve("ops/cluster/cluster.sh");
        this.port = freeBasePort();
        env.put("TLA_CLUSTER_DIR", dir.toString());
        env.put("TLA_CLUSTER_PORT", Integer.toString(port));
        env.put("TLA_CLUSTER_HEAP", "-Xmx384m");
        env.putAll(extraEnv);
        Files.createDirectories(dir);
        if (Files.isRegularFile(SHARED_CLASSPATH)) {
            Files.copy(SHARED_CLASSPATH, dir.resolve("classpath.txt"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    public static Path repoRoot() {
        Path here = Path.of("").toAbsolutePath();
        return Files.exists(here.resolve("ops/cluster/cluster.sh")) ? here : here.getParent();
    }

    /** Result of one script run: exit code, stdout lines, stderr text. */
    public record Run(int code, List<String> out, String err) {
        public String lastLine() {
            return out.isEmpty() ? "" : out.get(out.size() - 1);
        }
    }

    public Run run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(repoRoot().toFile());
        builder.environment().putAll(env);
        // beside the cluster's directory, which wipe deletes
        Path err = Files.createTempFile(dir.toAbsolutePath().getParent(), "cluster-script", ".err");
        builder.redirectError(err.toFile());
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(240, TimeUnit.SECONDS)) { // a start or stop on a loaded machine
            process.destroyForcibly();
            throw new IllegalStateException("cluster.sh " + String.join(" ", args) + " did not finish");
        }
        String errText = Files.readString(err);
        Files.delete(err);
        System.err.print(errText);
        if ("start".equals(args[0]) && process.exitValue() == 0 && Files.isRegularFile(dir.resolve("classpath.txt"))
                && !Files.isRegularFile(SHARED_CLASSPATH)) {
            Files.createDirectories(SHARED_CLASSPATH.getParent());
            Files.copy(dir.resolve("classpath.txt"), SHARED_CLASSPATH, StandardCopyOption.REPLACE_EXISTING);
        }
        return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8).lines().toList(), errText);
    }

    /** Runs the script and fails (AssertionError) on a non-zero exit, with what it printed on stderr. */
    public Run ok(String... args) throws IOException, InterruptedException {
        Run run = run(args);
        if (run.code() != 0) {
            throw new AssertionError("cluster.sh " + String.join(" ", args) + " exited " + run.code() + ": "
                    + run.err());
        }
        return run;
    }

    public String bootstrap() {
        return "127.0.0.1:" + port + ",127.0.0.1:" + (port + 1) + ",127.0.0.1:" + (port + 2);
    }

    /** Stops the cluster; any node still alive afterwards is killed by its pid file. */
    @Override
    public void close() {
        try {
            run("stop");
        } catch (Exception e) {
            System.err.println("cluster.sh stop failed: " + e);
        }
        for (int n = 1; n <= 3; n++) {
            Path pidFile = dir.resolve("node" + n + "/pid");
            try {
                if (Files.isRegularFile(pidFile)) {
                    long pid = Long.parseLong(Files.readString(pidFile).trim());
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
            } catch (IOException | NumberFormatException e) {
                System.err.println("cannot read " + pidFile + ": " + e);
            }
        }
    }

    /** A base port in 20000-40000 whose three client and three controller ports are free right now. */
    private static int freeBasePort() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 40_000);
            if (free(base) && free(base + 1) && free(base + 2) && free(base + 100) && free(base + 101)
                    && free(base + 102)) {
                return base;
            }
        }
        throw new IllegalStateException("no free port range found");
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
