package io.tla.platform.jvm;

/**
 * Keeps {@link java.util.concurrent.CompletableFuture}'s default executor a pool on small machines.
 *
 * <p>The JVM sizes the common fork-join pool to one thread less than the cores it sees, and with a single thread
 * {@code CompletableFuture} runs every asynchronous step on a <em>new thread</em> instead. On a 2-core pod that
 * means a thread started for every response of the JDK HTTP client (it hands each {@code sendAsync} answer to
 * that default executor) and for every {@code delayedExecutor} task: the all-roles benchmark started 33 000
 * threads in 90 s. Two threads are enough to keep it a pool; more cores keep the JVM's own choice.
 */
public final class CommonPool {

    static final String PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";
    static final int MIN_PARALLELISM = 2;

    private CommonPool() {
    }

    /**
     * Call first in {@code main}, before anything uses {@code CompletableFuture} or the common pool: the pool reads
     * the property once, when it is created. An operator's own {@code -D} setting wins.
     */
    public static void keepAPool() {
        if (System.getProperty(PARALLELISM) == null
                && Runtime.getRuntime().availableProcessors() - 1 < MIN_PARALLELISM) {
            System.setProperty(PARALLELISM, Integer.toString(MIN_PARALLELISM));
        }
    }
}
