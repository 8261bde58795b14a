package io.tla.bench;

import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ModelRequest;
import io.tla.topology.model.ModelResponse;
import io.tla.topology.model.OfflineModelProvider;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a network model with a fixed latency: the offline provider's answer, handed back after
 * {@code delay} from a scheduler thread, as an HTTP client's callback would. No network, no CPU while waiting,
 * so the async-model benchmark measures how the stage overlaps calls, not a server.
 */
final class DelayedModelProvider implements ModelProvider, AutoCloseable {

    private final OfflineModelProvider answers;
    private final Duration delay;
    private final ScheduledExecutorService scheduler;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicInteger answered = new AtomicInteger();

    DelayedModelProvider(String name, Duration delay) {
        this.answers = new OfflineModelProvider(name);
        this.delay = delay;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "tla-bench-model-delay");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** How the JSON result describes this provider. */
    String description() {
        return "in-process delay " + delay.toMillis() + " ms";
    }

    @Override
    public String name() {
        return answers.name();
    }

    @Override
    public CompletionStage<ModelResponse> translate(ModelRequest request) {
        ModelResponse response = answers.translate(request).toCompletableFuture().join();
        CompletableFuture<ModelResponse> future = new CompletableFuture<>();
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        scheduler.schedule(() -> {
            inFlight.decrementAndGet();
            answered.incrementAndGet();
            future.complete(response);
        }, delay.toMillis(), TimeUnit.MILLISECONDS);
        return future;
    }

    /** Calls answered so far, whether or not their replies were committed. */
    int answered() {
        return answered.get();
    }

    /** The most calls that were waiting at the same time. */
    int maxInFlight() {
        return maxInFlight.get();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
