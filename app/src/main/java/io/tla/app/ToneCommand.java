package io.tla.app;

import io.tla.platform.config.KafkaSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.ToneConfig;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.schemas.ToneTemplateEntry;
import io.tla.schemas.Topics;
import io.tla.topology.tone.ToneTemplateTopic;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tla tone}: set, list and remove tenants' tone templates, the free-text style guides the model gets with
 * every request of the tenant (or of one channel), in the compacted topic {@code tla.tones.v1}. Talks to
 * {@code kafka.bootstrap.servers}, or to the embedded broker of a running {@code ./tla run}. Exit codes: 0 done,
 * 1 the template was refused (nothing written), 2 a usage or connection problem.
 */
@Command(name = "tone", mixinStandardHelpOptions = true,
        description = {"Set, list and remove tone templates: a tenant's own style guide for translations, "
                + "tenant-wide or per channel (a channel's wins over the tenant's).",
                "The template goes to the model as quoted data beside the named tone (translation.tone): it can "
                        + "shape wording and register, not the instructions, languages or answer format."},
        subcommands = {ToneCommand.Set.class, ToneCommand.ListTemplates.class, ToneCommand.Remove.class})
final class ToneCommand implements Runnable {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    /** How much of a template {@code list} shows. */
    static final int PREVIEW_CHARS = 60;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Whose template: {@code --tenant} and, for one channel's, {@code --channel}. */
    static final class Target {
        @Option(names = "--tenant", required = true, paramLabel = "TENANT", description = "Tenant id.")
        String tenant;

        @Option(names = "--channel", paramLabel = "CHANNEL_ID",
                description = "A Teams channel id (19:...@thread.tacv2): that channel's template instead of the tenant-wide one.")
        String channel;

        void check() {
            checkId("--tenant", tenant);
            if (channel != null) {
                checkId("--channel", channel);
                if (channel.equals(ToneTemplateEntry.TENANT_WIDE)) {
                    throw new IllegalArgumentException("--channel may not be '" + ToneTemplateEntry.TENANT_WIDE
                            + "'; leave it out for the tenant-wide template");
                }
            }
        }

        String describe() {
            return describeTarget(tenant, channel);
        }

        private static void checkId(String option, String value) {
            if (value.isBlank() || value.contains(ToneTemplateEntry.KEY_SEPARATOR)
                    || value.codePoints().anyMatch(Character::isISOControl)) {
                throw new IllegalArgumentException(option + " may not be empty or contain '"
                        + ToneTemplateEntry.KEY_SEPARATOR + "' or control characters");
            }
        }
    }

    /** Exactly one source of the text. */
    static final class Source {
        @Option(names = "--text", paramLabel = "TEXT", description = "The template text.")
        String text;

        @Option(names = "--file", paramLabel = "FILE", description = "A UTF-8 file holding the template text.")
        Path file;

        String read() {
            if (text != null) {
                return text;
            }
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("no such file: " + file);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
            }
            String decoded;
            try {
                decoded = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException(file + " is not UTF-8 text");
            }
            // a byte-order mark is not text; Windows line ends are line breaks
            if (decoded.startsWith("\uFEFF")) {
                decoded = decoded.substring(1);
            }
            return decoded.replace("\r\n", "\n").replace('\r', '\n');
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = {"Set the tone template of a tenant, or of one channel with --channel (replaces the one there).",
                    "Refused, with nothing written, when the text is empty, longer than tone.template-max-chars, or "
                            + "holds control characters other than line breaks and tabs."})
    static final class Set implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        @Mixin
        Target target = new Target();

        @ArgGroup(exclusive = true, multiplicity = "1")
        Source source;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            target.check();
            TlaConfig config = options.load();
            int maxChars = ToneConfig.from(config).templateMaxChars();
            String text = source.read().strip();
            String problem = ToneTemplateEntry.textProblem(text);
            if (problem == null && ToneTemplateEntry.length(text) > maxChars) {
                problem = "the template is " + ToneTemplateEntry.length(text) + " characters long; "
                        + ToneConfig.TEMPLATE_MAX_CHARS + " allows at most " + maxChars;
            }
            if (problem != null) {
                err.println("nothing written: " + problem);
                return 1;
            }
            ToneTemplateEntry entry = new ToneTemplateEntry(target.tenant, target.channel, text,
                    Instant.now().truncatedTo(ChronoUnit.MILLIS));
            KafkaClients clients = clients(config);
            KafkaSettings kafka = KafkaSettings.from(config);
            TopicAdmin.ensureTopics(clients, List.of(Topics.TONES), kafka.partitions(), kafka.replicationFactor(),
                    TIMEOUT);
            ToneTemplateTopic.put(clients, entry, TIMEOUT);
            out.printf("set the tone template of %s: %d characters, in %s%n", target.describe(),
                    ToneTemplateEntry.length(text), Topics.TONES.name());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List tone templates as a table (all tenants unless --tenant): tenant, scope, length, "
                    + "last update and the first " + PREVIEW_CHARS + " characters.")
    static final class ListTemplates implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        @Option(names = "--tenant", paramLabel = "TENANT", description = "Only this tenant's templates.")
        String tenant;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            TlaConfig config = options.load();
            int maxChars = ToneConfig.from(config).templateMaxChars();
            ToneTemplateTopic.Snapshot snapshot = ToneTemplateTopic.read(clients(config), TIMEOUT);
            List<ToneTemplateEntry> templates = tenant == null ? snapshot.all() : snapshot.tenant(tenant);
            if (snapshot.invalidRecords() > 0) {
                err.printf("warning: %d key(s) on %s end in a record that is not a valid tone template; the "
                        + "topology ignores it and keeps the template listed here, if any%n",
                        snapshot.invalidRecords(), Topics.TONES.name());
            }
            if (templates.isEmpty()) {
                out.println(tenant == null ? "no tone templates" : "no tone templates for tenant " + tenant);
                return 0;
            }
            printTable(out, templates);
            out.printf("%d template(s)%n", templates.size());
            for (ToneTemplateEntry entry : templates) {
                int length = ToneTemplateEntry.length(entry.text());
                if (length > maxChars) {
                    err.printf("warning: the template of %s is %d characters long, over %s (%d): the topology "
                                    + "does not use it%n", describeTarget(entry.tenantId(), entry.channelId()), length,
                            ToneConfig.TEMPLATE_MAX_CHARS, maxChars);
                }
            }
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = {"Remove the tone template of a tenant, or of one channel with --channel.",
                    "A channel without its own template uses the tenant's; a tenant without one uses none."})
    static final class Remove implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        @Mixin
        Target target = new Target();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            target.check();
            KafkaClients clients = clients(options.load());
            if (ToneTemplateTopic.read(clients, TIMEOUT).get(target.tenant, target.channel) == null) {
                out.printf("no tone template for %s; nothing removed%n", target.describe());
                return 0;
            }
            ToneTemplateTopic.remove(clients, target.tenant, target.channel, TIMEOUT);
            out.printf("removed the tone template of %s from %s%n", target.describe(), Topics.TONES.name());
            return 0;
        }
    }

    private static String describeTarget(String tenant, String channel) {
        return "tenant " + tenant + (channel == null ? "" : ", channel " + channel);
    }

    /** Same resolution as {@code tla send}: the external cluster, else the embedded broker of a running tla. */
    private static KafkaClients clients(TlaConfig config) {
        return KafkaClients.forTool(config, System.getenv());
    }

    private static final List<String> HEADER = List.of("TENANT", "SCOPE", "LENGTH", "UPDATED", "TEXT");

    static void printTable(PrintWriter out, List<ToneTemplateEntry> templates) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(HEADER);
        for (ToneTemplateEntry entry : templates) {
            rows.add(List.of(entry.tenantId(), entry.channelId() == null ? "tenant" : "channel " + entry.channelId(),
                    Integer.toString(ToneTemplateEntry.length(entry.text())), entry.updatedAt().toString(),
                    preview(entry.text())));
        }
        int[] widths = new int[HEADER.size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], GlossaryCommand.displayWidth(row.get(i)));
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                String cell = row.get(i);
                line.append(cell);
                if (i < row.size() - 1) {
                    line.append(" ".repeat(widths[i] - GlossaryCommand.displayWidth(cell) + 2));
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }

    /** The first {@link #PREVIEW_CHARS} characters on one line: a line break shows as ⏎, a tab as a space. */
    static String preview(String text) {
        String oneLine = text.replace("\n", "⏎").replace('\t', ' ');
        if (ToneTemplateEntry.length(oneLine) <= PREVIEW_CHARS) {
            return oneLine;
        }
        return oneLine.substring(0, oneLine.offsetByCodePoints(0, PREVIEW_CHARS)) + "…";
    }
}
