package io.tla.app;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code tla bench} as the runtime jar knows it: the benchmarks and JMH live in the bench module, not in
 * {@code tla.jar}, and the {@code ./tla} launcher runs them from there. This entry keeps the command listed and
 * says where it runs when someone calls it on the jar (in a container image, say).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark tla-streams on an embedded broker of its own (needs no running ./tla run).",
                "Runs from the source tree through the launcher, ./tla bench [--scenario S] ... (module bench); "
                        + "./tla bench --help lists its options."})
final class BenchLauncherCommand implements Callable<Integer> {

    static final String WHERE = "tla: bench is not part of tla.jar; run it from the source tree as ./tla bench "
            + "(./tla bench --help lists its options)";

    @Spec
    CommandSpec spec;

    @Unmatched
    List<String> arguments;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println(WHERE);
        return 2;
    }
}
