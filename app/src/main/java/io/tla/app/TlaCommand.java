package io.tla.app;

import io.tla.platform.config.TlaConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tla}: run the pipeline, send a test message, inspect the configuration, manage webhook registrations. */
@Command(name = "tla", mixinStandardHelpOptions = true, version = "tla-streams 0.1.0",
        description = "Translates Microsoft Teams conversations with LLMs, as a Kafka Streams pipeline.",
        subcommands = {RunCommand.class, SendCommand.class, ConfigCommand.class, GlossaryCommand.class, ReplayCommand.class,
                BenchLauncherCommand.class, SmokeCommand.class, WebhookCommand.class, ToneCommand.class,
                LanguagesCommand.class,
                CommandLine.HelpCommand.class})
public final class TlaCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Options every subcommand that reads configuration shares (tla bench's too, from the bench module). */
    public static final class ConfigOptions {
        @Option(names = "--config", paramLabel = "FILE", description = "Properties file (default: $TLA_CONFIG).")
        Path configFile;

        @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE", description = "Set a configuration key (repeatable).")
        Map<String, String> overrides = new LinkedHashMap<>();

        public TlaConfig load() {
            return TlaConfig.load(configFile, System.getenv(), overrides);
        }
    }

    /** Configuration mistakes and other expected failures print one clear line, not a stack trace. */
    public static final class Errors implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
            if (e instanceof ConfigException || e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
                commandLine.getErr().println("tla: " + e.getMessage());
                return 2;
            }
            commandLine.getErr().println("tla: " + e);
            e.printStackTrace(commandLine.getErr());
            return 1;
        }
    }
}
