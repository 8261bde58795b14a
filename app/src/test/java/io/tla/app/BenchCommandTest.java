package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchCommandTest {

    private final StringWriter err = new StringWriter();

    private int execute(String... args) {
        return new CommandLine(new TlaCommand())
                .setExecutionExceptionHandler(new TlaCommand.Errors())
                .setErr(new PrintWriter(err, true))
                .execute(args);
    }

    @Test
    void unknownScenarioExitsWithTwoAndNamesTheScenariosThatExist() {
        int exit = execute("bench", "--scenario", "graph");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).startsWith("tla: unknown scenario 'graph'")
                .contains("pipeline, latency, async-model, model-client, serde, graph-sink");
    }

    @Test
    void invalidMessageCountExitsWithTwoBeforeStartingAnything() {
        int exit = execute("bench", "--scenario", "pipeline", "--messages", "0");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("--messages must be at least 1");
    }

    @Test
    void benchIsListedAmongTheCommands() {
        StringWriter out = new StringWriter();
        new CommandLine(new TlaCommand()).setOut(new PrintWriter(out, true)).execute("--help");

        assertThat(out.toString()).contains("bench");
    }
}
