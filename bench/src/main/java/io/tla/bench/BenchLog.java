package io.tla.bench;

import java.io.PrintStream;
import java.util.Locale;

/** Progress lines on stderr, prefixed with the scenario; stdout is kept for the result. */
public final class BenchLog {

    private final PrintStream err;
    private final String prefix;
    private final long startNanos = System.nanoTime();

    public BenchLog(PrintStream err, String scenario) {
        this.err = err;
        this.prefix = "bench " + scenario + ": ";
    }

    public void info(String format, Object... args) {
        err.printf(Locale.ROOT, "%s[%5.1f s] %s%n", prefix, (System.nanoTime() - startNanos) / 1e9,
                String.format(Locale.ROOT, format, args));
        err.flush();
    }
}
