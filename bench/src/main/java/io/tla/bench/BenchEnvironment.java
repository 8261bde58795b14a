package io.tla.bench;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.config.DataConfig;
import io.tla.platform.config.KafkaSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.schemas.Topic;
import io.tla.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * What every scenario runs on: a fresh directory {@code data.dir/bench/<timestamp>} and an embedded broker of
 * its own in it, with the contract's topics. Closing stops everything it started and deletes the directory
 * unless asked to keep it. {@code embedded.kafka.port} is honoured when it is set; otherwise a free port is used,
 * so a benchmark never collides with a running {@code ./tla run}.
 */
public final class BenchEnvironment implements AutoCloseable {

    private static final DateTimeFormatter RUN_NAME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

    private final TlaConfig config;
    private final Path runDir;
    private final boolean keep;
    private final BenchLog log;
    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
    private final KafkaSettings kafka;
    private EmbeddedKafkaBroker broker;
    private KafkaClients clients;
    private boolean closed;

    private BenchEnvironment(TlaConfig config, Path runDir, boolean keep, BenchLog log) {
        this.config = config;
        this.runDir = runDir;
        this.keep = keep;
        this.log = log;
        this.kafka = KafkaSettings.from(config);
    }

    /** Creates the run directory and starts the broker with the contract's topics. */
    public static BenchEnvironment start(TlaConfig config, boolean keep, BenchLog log) {
        Path runDir = DataConfig.from(config).dataDir().resolve("bench").resolve(LocalDateTime.now().format(RUN_NAME));
        BenchEnvironment env = new BenchEnvironment(config, runDir, keep, log);
        try {
            env.startBroker();
            return env;
        } catch (RuntimeException e) {
            env.close();
            throw e;
        }
    }

    private void startBroker() {
        try {
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + runDir, e);
        }
        if (kafka.bootstrapServers().isPresent()) {
            log.info("kafka.bootstrap.servers is ignored: the benchmark brings its own embedded broker");
        }
        int port = config.raw(KafkaSettings.EMBEDDED_PORT) != null ? kafka.embeddedPort() : 0;
        int controllerPort = config.raw(KafkaSettings.EMBEDDED_CONTROLLER_PORT) != null
                || config.raw(KafkaSettings.EMBEDDED_PORT) != null ? kafka.embeddedControllerPort() : 0;
        long started = System.nanoTime();
        broker = new EmbeddedKafkaBroker(runDir.resolve("kafka"), port, controllerPort);
        closeables.push(broker);
        broker.start();
        clients = KafkaClients.of(kafka, broker.bootstrapServers());
        ensureTopics(Topics.REQUIRED);
        log.info("embedded broker %s ready in %.1f s, data in %s", broker.bootstrapServers(),
                (System.nanoTime() - started) / 1e9, runDir);
    }

    /** Creates topics with the configured partition count ({@code topics.partitions}). */
    public void ensureTopics(List<Topic<?, ?>> topics) {
        TopicAdmin.ensureTopics(clients, topics, partitions(), (short) 1, Duration.ofSeconds(30));
    }

    public int partitions() {
        return kafka.partitions();
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public KafkaClients clients() {
        return clients;
    }

    public Path runDir() {
        return runDir;
    }

    /**
     * The user's configuration pointed at this run: its data directory, its broker, budgets high enough that no
     * benchmark message is ever refused, and target languages none of the synthetic texts is written in (English
     * and Japanese; the texts mix German, French, Spanish and English), so no message is skipped as already
     * translated and every one gets a reply. {@code extra} wins over everything.
     */
    public TlaConfig config(Map<String, String> extra) {
        Map<String, String> values = new java.util.LinkedHashMap<>();
        values.put(DataConfig.DATA_DIR, runDir.toString());
        values.put(KafkaSettings.BOOTSTRAP_SERVERS, broker.bootstrapServers());
        values.put("budget.daily-usd", "1000000000");
        values.put("budget.monthly-usd", "1000000000");
        values.put("budget.daily-tokens", "1000000000000");
        values.put("translation.target-languages", "en,ja");
        values.putAll(extra);
        return config.with(values);
    }

    /** Closed before the broker, in reverse order of registration. */
    public <T extends AutoCloseable> T register(T closeable) {
        closeables.push(closeable);
        return closeable;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        while (!closeables.isEmpty()) {
            AutoCloseable closeable = closeables.pop();
            try {
                closeable.close();
            } catch (Exception e) {
                log.info("closing %s failed: %s", closeable.getClass().getSimpleName(), e);
            }
        }
        if (keep) {
            log.info("kept the run's data in %s", runDir);
            return;
        }
        deleteRecursively(runDir);
        try {
            Files.deleteIfExists(runDir.getParent()); // data.dir/bench, when no other run is kept there
        } catch (IOException e) {
            // another run's directory is still there
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
