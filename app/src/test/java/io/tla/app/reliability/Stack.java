package io.tla.app.reliability;

import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.schemas.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A deployment of tla processes for one scenario: each process its own JVM, roles, data.dir and ports, all on the
 * same Kafka, signing key and (when asked) Graph mock and PostgreSQL schema. Logs go to
 * {@code target/reliability/logs/<scenario>/}. Closing stops every process (SIGTERM) and drops the schema.
 */
final class Stack implements AutoCloseable {

    static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    /** Child JVMs of a role: small heap, the client compiler only, so seven of them fit 2 cores. */
    static final List<String> ROLE_JVM = List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Xss512k", "-XX:+ExitOnOutOfMemoryError");
    /** The launcher's options ({@code ./tla}), for the all-in-one soak. */
    static final List<String> LAUNCHER_JVM = List.of("-Xms64m", "-Xmx384m", "-XX:+UseG1GC", "-XX:GCTimeRatio=4",
            "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-XX:G1PeriodicGCInterval=5000",
            "-XX:MaxMetaspaceSize=192m", "-XX:ReservedCodeCacheSize=64m", "-Xss512k", "-XX:+ExitOnOutOfMemoryError");

    /** An ERROR line in either log layout: {@code level=ERROR} (the jar's) or {@code HH:mm:ss.SSS ERROR} (tests'). */
    private static final java.util.regex.Pattern ERROR_LINE = java.util.regex.Pattern.compile("^\\S+ ERROR ");

    final String scenario;
    final Path dir;
    final Path logDir;
    final Brokers brokers;
    final GraphMock graph;
    final String webhookKey;
    final String pgSchema;
    private final List<TlaProcess> processes = new ArrayList<>();

    /**
     * @param graph    the Graph mock replies are posted to, or null for the outbox sink
     * @param postgres whether the dashboard feed gets a PostgreSQL schema of its own (else SQLite under data.dir)
     */
    Stack(String scenario, Path dir, Brokers brokers, GraphMock graph, boolean postgres) throws SQLException {
        this.scenario = scenario;
        this.dir = dir;
        this.logDir = Path.of("target", "reliability", "logs", scenario).toAbsolutePath();
        this.brokers = brokers;
        this.graph = graph;
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        this.webhookKey = Base64.getEncoder().encodeToString(key);
        this.pgSchema = postgres ? "reliability_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12) : null;
        if (pgSchema != null) {
            try (Connection c = DriverManager.getConnection(PG_URL); Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA " + pgSchema);
            }
        }
        try {
            Files.createDirectories(logDir);
            try (var old = Files.list(logDir)) {
                for (Path log : old.toList()) {
                    Files.deleteIfExists(log);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        // the topics, with the cluster's replication factor, before any process (each would create them too);
        // without brokers the processes run the embedded one themselves (the all-in-one runtime)
        if (brokers != null) {
            TopicAdmin.ensureTopics(new KafkaClients(brokers.bootstrap(), Map.of()), Topics.REQUIRED, 6,
                    brokers.replicationFactor(), Duration.ofSeconds(60));
        }
    }

    String dashboardStoreUrl() {
        return pgSchema == null ? null : PG_URL + "&currentSchema=" + pgSchema;
    }

    /** The configuration every process shares. */
    Map<String, String> baseConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        if (brokers != null) {
            config.put("kafka.bootstrap.servers", brokers.bootstrap());
            config.put("topics.replication-factor", Short.toString(brokers.replicationFactor()));
        }
        // a killed member leaves its group in seconds rather than the default 45 s
        config.put("kafka.session.timeout.ms", "6000");
        config.put("kafka.heartbeat.interval.ms", "1000");
        config.put("topics.partitions", "6");
        config.put("secrets.provider", "env");
        config.put("model.provider.offline.offline-latency-ms", "50");
        config.put("budget.daily-usd", "1000000");
        config.put("budget.monthly-usd", "1000000");
        config.put("budget.daily-tokens", "1000000000");
        if (graph != null) {
            config.put("reply.sink", "graph");
            config.put("graph.base-url", graph.baseUrl());
            config.put("graph.auth.mode", "static-token");
            config.put("graph.retry.initial-backoff-ms", "200");
        }
        if (pgSchema != null) {
            config.put("dashboard.store.url", dashboardStoreUrl());
            // a group of the scenario's own: its fresh schema gets the whole telemetry topic, which the check
            // compares it with, even on a cluster an earlier scenario's feed already read
            config.put("dashboard.consumer-group", "tla-dashboard-" + scenario);
        }
        return config;
    }

    Map<String, String> env() {
        return Map.of("TLA_SECRET_TEAMS_WEBHOOK_HMAC", webhookKey, "TLA_SECRET_GRAPH_TOKEN", GraphMock.TOKEN,
                "MALLOC_ARENA_MAX", "2");
    }

    /** Starts a process of {@code roles} (null: all of them) named {@code name}, with {@code extra} config. */
    TlaProcess start(String name, String roles, Map<String, String> extra, List<String> jvm) {
        Map<String, String> config = baseConfig();
        config.putAll(extra);
        TlaProcess process = new TlaProcess(name, roles, dir.resolve(name), logDir, config, env(), jvm).start();
        processes.add(process);
        return process;
    }

    TlaProcess start(String name, String roles) {
        return start(name, roles, Map.of(), ROLE_JVM);
    }

    void awaitReady(Duration timeout) throws InterruptedException {
        for (TlaProcess process : processes) {
            if (!process.awaitReady(timeout)) {
                throw new IllegalStateException(process.name + " not ready within " + timeout + "; see " + process.lastLog());
            }
        }
    }

    List<TlaProcess> processes() {
        return List.copyOf(processes);
    }

    /** The {@code level=ERROR} lines of every process's logs. */
    List<String> errorLines() throws IOException {
        List<String> errors = new ArrayList<>();
        for (TlaProcess process : processes) {
            for (Path log : process.logs()) {
                if (Files.exists(log)) {
                    List<String> lines = Files.readAllLines(log);
                    for (int i = 0; i < lines.size(); i++) {
                        String line = lines.get(i);
                        if (line.contains("level=ERROR") || ERROR_LINE.matcher(line).find()) {
                            // the exception's first line, when a stack trace follows, says what the error was
                            String next = i + 1 < lines.size() ? lines.get(i + 1) : "";
                            boolean exception = !next.isEmpty() && !Character.isDigit(next.charAt(0));
                            errors.add(log.getFileName() + ": " + line + (exception ? " | " + next.strip() : ""));
                        }
                    }
                }
            }
        }
        return errors;
    }

    /** The event ids of the dashboard store's telemetry_event rows (a row is unique by id). */
    java.util.Set<String> dashboardEventIds() throws SQLException {
        java.util.Set<String> ids = new java.util.HashSet<>();
        try (Connection c = DriverManager.getConnection(dashboardStoreUrl()); Statement s = c.createStatement();
             var rs = s.executeQuery("SELECT event_id FROM telemetry_event")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    /**
     * Rows by type against what the minute rollups counted for them: messages (budget.decision rows), replies
     * (reply.emitted), posted replies (reply.posted), model calls (model.call).
     */
    Map<String, Long> dashboardCounts() throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(dashboardStoreUrl()); Statement s = c.createStatement()) {
            try (var rs = s.executeQuery("SELECT "
                    + "COUNT(*), "
                    + "COUNT(CASE WHEN type = 'budget.decision' THEN 1 END), "
                    + "COUNT(CASE WHEN type = 'reply.emitted' THEN 1 END), "
                    + "COUNT(CASE WHEN type = 'reply.posted' THEN 1 END), "
                    + "COUNT(CASE WHEN type = 'model.call' THEN 1 END) FROM telemetry_event")) {
                rs.next();
                counts.put("rows", rs.getLong(1));
                counts.put("rows_budget_decision", rs.getLong(2));
                counts.put("rows_reply_emitted", rs.getLong(3));
                counts.put("rows_reply_posted", rs.getLong(4));
                counts.put("rows_model_call", rs.getLong(5));
            }
            try (var rs = s.executeQuery("SELECT COALESCE(SUM(messages),0), COALESCE(SUM(replies),0), "
                    + "COALESCE(SUM(replies_posted),0), COALESCE(SUM(model_calls),0) FROM minute_rollup")) {
                rs.next();
                counts.put("rollup_messages", rs.getLong(1));
                counts.put("rollup_replies", rs.getLong(2));
                counts.put("rollup_replies_posted", rs.getLong(3));
                counts.put("rollup_model_calls", rs.getLong(4));
            }
        }
        return counts;
    }

    @Override
    public void close() throws Exception {
        for (TlaProcess process : processes) {
            try {
                process.close();
            } catch (Exception e) {
                // keep closing the others
            }
        }
        if (pgSchema != null) {
            try (Connection c = DriverManager.getConnection(PG_URL); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + pgSchema + " CASCADE");
            }
        }
    }
}
