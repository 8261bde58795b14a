package io.tla.platform.jvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Runs a JVM that sees two cores, since the common pool is sized once per JVM. */
class CommonPoolTest {

    /** What a fresh JVM's CompletableFuture runs asynchronous steps on, with or without {@link CommonPool}. */
    public static final class Probe {
        public static void main(String[] args) {
            if (args.length > 0 && args[0].equals("keep")) {
                CommonPool.keepAPool();
            }
            System.out.print(new CompletableFuture<Void>().defaultExecutor().getClass().getSimpleName());
        }
    }

    @Test
    void onTwoCoresAsynchronousStepsRunOnThePoolInsteadOfANewThreadEach() throws Exception {
        assertThat(probe(List.of(), "keep")).isEqualTo("ForkJoinPool");
    }

    @Test
    void withoutItTheJvmWouldStartAThreadPerStepOnTwoCores() throws Exception {
        assertThat(probe(List.of(), "leave")).isEqualTo("ThreadPerTaskExecutor");
    }

    @Test
    void anOperatorsOwnParallelismIsKept() throws Exception {
        assertThat(probe(List.of("-D" + CommonPool.PARALLELISM + "=1"), "keep")).isEqualTo("ThreadPerTaskExecutor");
    }

    private static String probe(List<String> jvmOptions, String mode) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-XX:ActiveProcessorCount=2"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName(), mode));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(process.waitFor()).as(output).isZero();
        return output;
    }
}
