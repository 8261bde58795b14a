package io.tla.bench;

import io.tla.app.TlaCommand;
import io.tla.platform.jvm.CommonPool;
import picocli.CommandLine;

/**
 * Entry point of {@code tla bench}: the {@code ./tla} launcher runs it from the bench module (its jar plus the
 * runtime's classpath) with the arguments that follow {@code bench}. Usage, errors and exit codes read as they
 * did when the command lived in {@code tla.jar}.
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) {
        CommonPool.keepAPool();
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new BenchCommand())
                .setCommandName("tla bench")
                .setExecutionExceptionHandler(new TlaCommand.Errors());
    }
}
