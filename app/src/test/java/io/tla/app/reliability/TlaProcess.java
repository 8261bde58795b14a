package io.tla.app.reliability;

import io.tla.app.Main;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One {@code tla run [--role R]} child JVM with its own properties file, {@code data.dir} and ports (fixed when
 * first started, so a restart comes back on the same ones), logging to a file of its own per generation. It can be
 * killed with SIGKILL and started again on the same data directory, as an operator's supervisor would.
 */
final class TlaProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final String name;
    final String roles;
    final int httpPort;
    final int managementPort;
    private final Path dir;
    private final Path logDir;
    private final Map<String, String> config;
    private final Map<String, String> env;
    private final List<String> jvmOptions;
    private Process process;
    private int generation;
    private final List<Path> logs = new ArrayList<>();

    /**
     * @param roles   {@code ingress}, {@code topology}, ... or null for the all-in-one runtime
     * @param config  keys beyond data.dir and the ports, which this class sets
     * @param env     environment beyond the parent's (secrets as TLA_SECRET_...)
     */
    TlaProcess(String name, String roles, Path dir, Path logDir, Map<String, String> config, Map<String, String> env,
               List<String> jvmOptions) {
        this.name = name;
        this.roles = roles;
        this.dir = dir;
        this.logDir = logDir;
        this.httpPort = EmbeddedBrokers.freePort();
        this.managementPort = EmbeddedBrokers.freePort();
        this.config = new LinkedHashMap<>(config);
        this.config.put("data.dir", dir.resolve("data").toString());
        this.config.put("http.port", Integer.toString(httpPort));
        this.config.put("management.port", Integer.toString(managementPort));
        this.env = env;
        this.jvmOptions = jvmOptions;
    }

    synchronized TlaProcess start() {
        try {
            Files.createDirectories(dir);
            Files.createDirectories(logDir);
            Path properties = dir.resolve("tla.properties");
            try (Writer out = Files.newBufferedWriter(properties, StandardCharsets.UTF_8)) {
                for (Map.Entry<String, String> entry : config.entrySet()) {
                    out.write(entry.getKey() + "=" + entry.getValue().replace("\\", "\\\\") + "\n");
                }
            }
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmOptions);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "run",
                    "--config", properties.toString()));
            if (roles != null) {
                command.addAll(List.of("--role", roles));
            }
            generation++;
            Path log = logDir.resolve(name + "-" + generation + ".log");
            logs.add(log);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().keySet().removeIf(key -> key.startsWith("TLA_"));
            builder.environment().putAll(env);
            process = builder.start();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until {@code /health/ready} on the management port answers 200; false when {@code timeout} passes. */
    boolean awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!alive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + lastLog());
            }
            if (ready()) {
                return true;
            }
            Thread.sleep(250);
        }
        return false;
    }

    boolean ready() {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(managementUrl() + "/health/ready"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The management listener's {@code /metrics} text, or empty when it does not answer. */
    String metrics() {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(managementUrl() + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? response.body() : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    URI webhookUri() {
        return URI.create("http://127.0.0.1:" + httpPort + "/api/messages");
    }

    String managementUrl() {
        return "http://127.0.0.1:" + managementPort;
    }

    synchronized long pid() {
        return process.pid();
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL ({@code kill -9}): no shutdown hook runs. */
    synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM and wait for the clean stop. */
    synchronized void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    Path lastLog() {
        return logs.isEmpty() ? null : logs.get(logs.size() - 1);
    }

    List<Path> logs() {
        return List.copyOf(logs);
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
