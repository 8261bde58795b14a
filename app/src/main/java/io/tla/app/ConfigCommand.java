package io.tla.app;

import io.tla.platform.config.ConfigCatalog;
import io.tla.platform.config.TlaConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tla config}: the effective configuration with where each value came from, or the key reference. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Show the keys set for this process and where each comes from; --docs prints the reference.")
final class ConfigCommand implements Callable<Integer> {

    @Mixin
    TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

    @Option(names = "--docs", description = "Print the configuration reference (Markdown) of every key.")
    boolean docs;

    @Override
    public Integer call() {
        if (docs) {
            System.out.print(ConfigCatalog.markdownReference());
            return 0;
        }
        TlaConfig config = options.load();
        config.warnings().forEach(warning -> System.err.println("warning: " + warning));
        if (config.values().isEmpty()) {
            System.out.println("no keys set: every key has its default (see docs/configuration.md)");
        }
        // Secret values live in the secret store and keys only name them, but a JDBC URL may still carry a password.
        config.values().forEach((key, value) -> System.out.printf("%s=%s    # %s%n", key, printable(value),
                config.origin(key)));
        return 0;
    }

    /**
     * The value with any password in it masked: {@code password=...} parameters, JAAS {@code password="..."} options
     * and {@code user:password@} info.
     */
    static String printable(String value) {
        if (value == null) {
            return null;
        }
        // a JAAS option first (kafka.sasl.jaas.config): its quoted value may itself hold ';' or '&'
        return value.replaceAll("(?i)(password\\s*=\\s*)\"(?:[^\"\\\\]|\\\\.)*\"", "$1***")
                .replaceAll("(?i)(password=)[^&;]*", "$1***").replaceAll("(//[^/:@]+:)[^@/]*@", "$1***@");
    }
}
