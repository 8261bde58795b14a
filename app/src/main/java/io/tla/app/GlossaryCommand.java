package io.tla.app;

import io.tla.platform.config.KafkaSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.Topics;
import io.tla.topology.glossary.GlossaryCsv;
import io.tla.topology.glossary.GlossaryTopic;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tla glossary}: import a tenant's glossary from CSV into the compacted topic {@code tla.glossary.v1}, and
 * list it. Talks to {@code kafka.bootstrap.servers}, or to the embedded broker of a running {@code ./tla run} at
 * 127.0.0.1:{@code embedded.kafka.port}.
 */
@Command(name = "glossary", mixinStandardHelpOptions = true,
        description = "Import and list tenant glossaries (terms the translation must use).",
        subcommands = {GlossaryCommand.Import.class, GlossaryCommand.ListEntries.class})
final class GlossaryCommand implements Runnable {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Where the entries of a command apply: {@code --scope} and {@code --scope-id}, checked together. */
    static final class ScopeOptions {
        @Option(names = "--tenant", required = true, paramLabel = "TENANT", description = "Tenant id.")
        String tenant;

        @Option(names = "--scope", paramLabel = "SCOPE",
                description = "tenant (import's default), channel (--scope-id: the Teams channel id) or user (--scope-id: the user's AAD object id).")
        String scope;

        @Option(names = "--scope-id", paramLabel = "ID", description = "The channel id or the user's AAD object id.")
        String scopeId;

        /** The scope, null when none was given; {@code idRequired}: channel and user need their {@code --scope-id}. */
        GlossaryEntry.Scope scopeOrNull(boolean idRequired) {
            if (tenant.isBlank() || tenant.contains(GlossaryEntry.KEY_SEPARATOR)
                    || (scopeId != null && scopeId.contains(GlossaryEntry.KEY_SEPARATOR))) {
                throw new IllegalArgumentException("--tenant and --scope-id may not be empty or contain '"
                        + GlossaryEntry.KEY_SEPARATOR + "'");
            }
            if (scope == null) {
                if (scopeId != null) {
                    throw new IllegalArgumentException("--scope-id needs --scope channel or --scope user");
                }
                return null;
            }
            GlossaryEntry.Scope parsed = GlossaryEntry.Scope.fromWireName(scope);
            if (parsed == GlossaryEntry.Scope.TENANT && scopeId != null) {
                throw new IllegalArgumentException("--scope tenant takes no --scope-id");
            }
            if (idRequired && parsed != GlossaryEntry.Scope.TENANT && (scopeId == null || scopeId.isBlank())) {
                throw new IllegalArgumentException("--scope " + scope + " needs --scope-id ("
                        + (parsed == GlossaryEntry.Scope.CHANNEL ? "the Teams channel id" : "the user's AAD object id") + ")");
            }
            return parsed;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Import a glossary CSV file (UTF-8, header source,target,language[,strict]).",
                    "Every row is checked first: if any row is bad, nothing is imported (unless --skip-bad-rows).",
                    "A row replaces the entry with the same source term (any case) and language in the same scope."})
    static final class Import implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        @Parameters(index = "0", paramLabel = "FILE.csv", description = "The glossary file.")
        Path file;

        @Mixin
        ScopeOptions where = new ScopeOptions();

        @Option(names = "--strict", description = "Rows without a strict value are strict: the translation must use the term, or the reply is flagged.")
        boolean strict;

        @Option(names = "--dry-run", description = "Check the file and print what would be imported; contact no broker.")
        boolean dryRun;

        @Option(names = "--skip-bad-rows", description = "Import the good rows even if some rows are bad.")
        boolean skipBadRows;

        @Option(names = "--replace", description = "Also delete this tenant's entries of this scope that the file does not contain.")
        boolean replace;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            GlossaryEntry.Scope scope = where.scopeOrNull(true);
            if (scope == null) {
                scope = GlossaryEntry.Scope.TENANT;
            }
            TlaConfig config = options.load();
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("no such file: " + file);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
            }
            GlossaryCsv.Result result = GlossaryCsv.parse(bytes, new GlossaryCsv.Target(where.tenant, scope,
                    where.scopeId, strict, Instant.now().truncatedTo(ChronoUnit.MILLIS)));
            result.badRows().forEach(bad -> err.println(file.getFileName() + ": " + bad));
            if (!result.badRows().isEmpty() && !skipBadRows) {
                err.printf("nothing imported: %d bad row(s); fix them or pass --skip-bad-rows%n", result.badRows().size());
                return 1;
            }
            String target = describe(where.tenant, scope, where.scopeId);
            if (dryRun) {
                out.printf("dry run: %d entries would be imported for %s%s; nothing was written%n",
                        result.entries().size(), target, skipped(result));
                printTable(out, result.entries());
                return 0;
            }
            KafkaClients clients = clients(config);
            TopicAdmin.ensureTopics(clients, Topics.COMPACTED, KafkaSettings.from(config).partitions(),
                    KafkaSettings.from(config).replicationFactor(), TIMEOUT);
            List<String> deleted = new ArrayList<>();
            if (replace) {
                Set<String> kept = result.entries().stream().map(GlossaryEntry::storeKey).collect(Collectors.toSet());
                String prefix = GlossaryEntry.keyPrefix(where.tenant, scope, where.scopeId);
                GlossaryTopic.read(clients, TIMEOUT).entries().keySet().stream()
                        .filter(key -> key.startsWith(prefix) && !kept.contains(key))
                        .forEach(deleted::add);
            }
            GlossaryTopic.publish(clients, where.tenant, result.entries(), deleted, TIMEOUT);
            out.printf("imported %d entries for %s into %s%s%s%n", result.entries().size(), target,
                    Topics.GLOSSARY.name(), replace ? ", deleted " + deleted.size() : "", skipped(result));
            return 0;
        }

        private static String skipped(GlossaryCsv.Result result) {
            return result.badRows().isEmpty() ? "" : " (" + result.badRows().size() + " bad row(s) skipped)";
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List a tenant's glossary entries as a table.",
                    "All scopes unless --scope is given; --scope channel or user without --scope-id lists every channel or user."})
    static final class ListEntries implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        @Mixin
        ScopeOptions where = new ScopeOptions();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            GlossaryEntry.Scope scope = where.scopeOrNull(false);
            GlossaryTopic.Snapshot snapshot = GlossaryTopic.read(clients(options.load()), TIMEOUT);
            List<GlossaryEntry> entries = snapshot.tenant(where.tenant).stream()
                    .filter(entry -> scope == null || (entry.scope() == scope
                            && (where.scopeId == null || where.scopeId.equals(entry.scopeId()))))
                    .toList();
            if (snapshot.invalidRecords() > 0) {
                spec.commandLine().getErr().printf("warning: %d record(s) on %s are not valid glossary entries and were ignored%n",
                        snapshot.invalidRecords(), Topics.GLOSSARY.name());
            }
            if (entries.isEmpty()) {
                out.printf("no glossary entries for %s%n", describe(where.tenant, scope, where.scopeId));
                return 0;
            }
            printTable(out, entries);
            out.printf("%d entries%n", entries.size());
            return 0;
        }
    }

    private static String describe(String tenant, GlossaryEntry.Scope scope, String scopeId) {
        return "tenant " + tenant + (scope == null ? "" : ", scope " + scope.wireName() + (scopeId == null ? "" : " " + scopeId));
    }

    /** Same resolution as {@code tla send}: the external cluster, else the embedded broker of a running tla. */
    private static KafkaClients clients(TlaConfig config) {
        return KafkaClients.forTool(config, System.getenv());
    }

    private static final List<String> HEADER = List.of("SCOPE", "SCOPE ID", "SOURCE", "LANGUAGE", "TARGET", "STRICT", "UPDATED");

    static void printTable(PrintWriter out, List<GlossaryEntry> entries) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(HEADER);
        entries.stream()
                .sorted(Comparator.comparing((GlossaryEntry e) -> e.scope().precedence())
                        .thenComparing(e -> e.scopeId() == null ? "" : e.scopeId())
                        .thenComparing(e -> GlossaryEntry.foldTerm(e.sourceTerm()))
                        .thenComparing(GlossaryEntry::targetLanguage))
                .forEach(e -> rows.add(List.of(e.scope().wireName(), e.scopeId() == null ? "-" : e.scopeId(),
                        e.sourceTerm(), e.targetLanguage(), e.targetTerm(), e.strict() ? "yes" : "no",
                        e.updatedAt().toString())));
        int[] widths = new int[HEADER.size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], displayWidth(row.get(i)));
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                String cell = row.get(i);
                line.append(cell);
                if (i < row.size() - 1) {
                    line.append(" ".repeat(widths[i] - displayWidth(cell) + 2));
                }
            }
            out.println(line);
        }
    }

    /** Terminal columns: East Asian wide and full-width characters take two, so CJK terms stay aligned. */
    static int displayWidth(String text) {
        return text.codePoints().map(cp -> isWide(cp) ? 2 : 1).sum();
    }

    private static boolean isWide(int cp) {
        return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F)
                || (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F)
                || (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
    }
}
