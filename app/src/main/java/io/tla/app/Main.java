package io.tla.app;

import io.tla.platform.jvm.CommonPool;
import picocli.CommandLine;

/** Entry point of the {@code tla} command. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        CommonPool.keepAPool();
        System.exit(new CommandLine(new TlaCommand())
                .setExecutionExceptionHandler(new TlaCommand.Errors())
                .execute(args));
    }
}
