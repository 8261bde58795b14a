package io.tla.app;

import io.tla.connectors.replay.DeadLetterReplay;
import io.tla.platform.config.KafkaSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.schemas.Topics;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tla replay}: re-publish dead-lettered records to their source topic, at most once each. Talks to
 * {@code kafka.bootstrap.servers}, or to the embedded broker of a running {@code ./tla run}.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Re-publish dead-lettered records to their source topic (teams.messages.v1 or teams.replies.v1).",
                "Prints what it does as a table (action replay, park or skip), progress on stderr and a summary.",
                "Safe to run twice: replayed records are remembered in tla.replay.v1 and skipped.",
                "Exit 0, or 1 if the write failed (then nothing was replayed)."})
final class ReplayCommand implements Callable<Integer> {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

    @Option(names = "--from", required = true, paramLabel = "DLQ",
            description = "teams.messages.dlq.v1 or teams.replies.dlq.v1.")
    String from;

    @Option(names = "--tenant", paramLabel = "TENANT", description = "Only records of this tenant (the value's tenantId).")
    String tenant;

    @Option(names = "--since", paramLabel = "TIME", description = "Only records dead-lettered at or after TIME (ISO-8601, e.g. 2026-11-25T10:00:00Z).")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Only records dead-lettered at or before TIME (ISO-8601).")
    String until;

    @Option(names = "--error", paramLabel = "CODE", description = "Only records whose tla.error.reason (e.g. http-503) or exception simple class name is CODE.")
    String error;

    @Option(names = "--max-attempts", paramLabel = "N", defaultValue = "3",
            description = "Records whose replay would be attempt N+1 or later are parked (listed, not re-published). Default: ${DEFAULT-VALUE}.")
    int maxAttempts;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "At most N selected records (0: no limit).")
    int limit;

    @Option(names = "--dry-run", description = "Print what would be done; write nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        DeadLetterReplay.Request request = new DeadLetterReplay.Request(from, tenant, time("--since", since),
                time("--until", until), error, maxAttempts, limit, dryRun);
        TlaConfig config = options.load();
        KafkaSettings kafka = KafkaSettings.from(config);
        KafkaClients clients = KafkaClients.forTool(config, System.getenv());
        if (!dryRun) {
            TopicAdmin.ensureTopics(clients, List.of(Topics.REPLAY), kafka.partitions(), kafka.replicationFactor(), TIMEOUT);
        }
        DeadLetterReplay.Result result = new DeadLetterReplay(clients, TIMEOUT, line -> {
            err.println(line);
            err.flush();
        }).run(request);
        printTable(out, result.rows());
        if (result.failed()) {
            err.println("tla: replay failed, nothing was replayed: " + result.failure());
        }
        out.println((dryRun ? "dry run, nothing written: " : "") + result.summary());
        out.flush();
        return result.failed() ? 1 : 0;
    }

    private static Instant time(String option, String value) {
        if (value == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " must be an ISO-8601 time with offset, e.g. 2026-11-25T10:00:00Z, not " + value);
        }
    }

    private static final List<String> HEADER = List.of("PARTITION", "OFFSET", "TENANT", "STAGE", "ERROR", "ATTEMPT", "ACTION", "REASON");

    static void printTable(PrintWriter out, List<DeadLetterReplay.Row> rows) {
        if (rows.isEmpty()) {
            out.println("no dead-letter records selected");
            return;
        }
        List<List<String>> lines = new ArrayList<>();
        lines.add(HEADER);
        for (DeadLetterReplay.Row row : rows) {
            lines.add(List.of(Integer.toString(row.partition()), Long.toString(row.offset()), orDash(row.tenant()),
                    orDash(row.stage()), orDash(row.error()), Integer.toString(row.attempt()),
                    row.action().name().toLowerCase(java.util.Locale.ROOT), row.reason()));
        }
        int[] widths = new int[HEADER.size()];
        lines.forEach(line -> {
            for (int i = 0; i < line.size(); i++) {
                widths[i] = Math.max(widths[i], line.get(i).length());
            }
        });
        for (List<String> line : lines) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < line.size(); i++) {
                text.append(i == 0 ? "" : "  ").append(i == line.size() - 1 ? line.get(i)
                        : String.format("%-" + widths[i] + "s", line.get(i)));
            }
            out.println(text.toString().stripTrailing());
        }
    }

    private static String orDash(String value) {
        return value == null || value.isBlank() ? "-" : value;
    }
}
