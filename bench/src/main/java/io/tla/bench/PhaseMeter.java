package io.tla.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Measures one phase of a scenario: wall time, the process's CPU time (broker, streams, ingress and the
 * benchmark's own clients all run in this JVM) and the largest heap in use, sampled twice a second, and prints
 * a progress line every two seconds.
 */
final class PhaseMeter implements AutoCloseable {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private final long startNanos = System.nanoTime();
    private final long startCpuNanos = processCpuNanos();
    private final ScheduledExecutorService ticker;
    private volatile long maxHeapBytes;
    private long endNanos = -1;
    private long endCpuNanos;

    PhaseMeter(BenchLog log, Supplier<String> progress) {
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "tla-bench-progress");
            thread.setDaemon(true);
            return thread;
        });
        ticker.scheduleAtFixedRate(this::sampleHeap, 0, 500, TimeUnit.MILLISECONDS);
        ticker.scheduleAtFixedRate(() -> log.info("%s", progress.get()), 2, 2, TimeUnit.SECONDS);
    }

    private void sampleHeap() {
        long used = MEMORY.getHeapMemoryUsage().getUsed();
        if (used > maxHeapBytes) {
            maxHeapBytes = used;
        }
    }

    long startNanos() {
        return startNanos;
    }

    /** Ends the measurement (idempotent); progress lines stop. */
    void stop() {
        if (endNanos < 0) {
            endNanos = System.nanoTime();
            endCpuNanos = processCpuNanos();
            ticker.shutdownNow();
            sampleHeap();
        }
    }

    /** Average number of cores this process kept busy during the phase (the machine has 2). */
    double cpuCores() {
        stop();
        return (endCpuNanos - startCpuNanos) / (double) Math.max(1, endNanos - startNanos);
    }

    double heapMaxMb() {
        stop();
        return maxHeapBytes / (1024.0 * 1024.0);
    }

    @Override
    public void close() {
        stop();
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }
}
