package io.tla.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchCommandTest {

    private final StringWriter err = new StringWriter();

    private int execute(String... args) {
        return BenchMain.commandLine()
                .setErr(new PrintWriter(err, true))
                .execute(args);
    }

    @Test
    void unknownScenarioExitsWithTwoAndNamesTheScenariosThatExist() {
        int exit = execute("--scenario", "graph");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).startsWith("tla: unknown scenario 'graph'")
                .contains("pipeline, latency, async-model, model-client, serde, graph-sink");
    }

    @Test
    void invalidMessageCountExitsWithTwoBeforeStartingAnything() {
        int exit = execute("--scenario", "pipeline", "--messages", "0");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("--messages must be at least 1");
    }

    @Test
    void helpIsTheUsageOfTlaBenchWithItsOptions() {
        StringWriter out = new StringWriter();
        CommandLine commandLine = BenchMain.commandLine().setOut(new PrintWriter(out, true));

        assertThat(commandLine.execute("--help")).isZero();
        assertThat(out.toString()).startsWith("Usage: tla bench [-hV] [--keep] [--config=FILE]")
                .contains("--scenario=S", "--messages=N", "--rate=PER_S", "--warmup=N", "-s, --set=KEY=VALUE");
    }
}
