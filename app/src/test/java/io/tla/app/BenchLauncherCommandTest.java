package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchLauncherCommandTest {

    @Test
    void benchIsListedAmongTheCommandsWithWhereItRuns() {
        StringWriter out = new StringWriter();
        new CommandLine(new TlaCommand()).setOut(new PrintWriter(out, true)).execute("--help");

        assertThat(out.toString()).containsPattern("(?m)^  bench +Benchmark tla-streams");
        StringWriter benchHelp = new StringWriter();
        new CommandLine(new TlaCommand()).setOut(new PrintWriter(benchHelp, true)).execute("bench", "--help");
        assertThat(benchHelp.toString()).contains("./tla bench [--scenario S]", "(module bench)");
    }

    @Test
    void benchOnTheRuntimeJarExitsWithTwoAndPointsAtTheLauncher() {
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new TlaCommand())
                .setExecutionExceptionHandler(new TlaCommand.Errors())
                .setErr(new PrintWriter(err, true))
                .execute("bench", "--scenario", "pipeline", "--messages", "10");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).startsWith("tla: bench is not part of tla.jar")
                .contains("./tla bench");
    }
}
