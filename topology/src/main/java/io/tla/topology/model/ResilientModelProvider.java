package io.tla.topology.model;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.tla.platform.config.ModelConfig;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * One provider behind resilience4j, per call from the outside in: retry (exponential backoff with jitter, or the
 * server's {@code Retry-After}) on timeouts, an unreachable server, 429 and 5xx; a circuit breaker that records
 * every attempt; a bulkhead of {@code max-in-flight} calls; a time limit of {@code timeout-ms} per attempt.
 * Failures complete the stage with a {@link ProviderException} whose reason names what happened last.
 */
public final class ResilientModelProvider implements ModelProvider {

    private final ModelProvider delegate;
    private final ScheduledExecutorService scheduler;
    private final Retry retry;
    private final CircuitBreaker breaker;
    private final Bulkhead bulkhead;
    private final TimeLimiter timeLimiter;

    public ResilientModelProvider(ModelProvider delegate, ModelConfig.Provider config,
                                  ScheduledExecutorService scheduler) {
        this.delegate = delegate;
        this.scheduler = scheduler;
        String name = delegate.name();
        IntervalFunction backoff = IntervalFunction.ofExponentialRandomBackoff(config.retryBackoffMs(), 2.0, 0.5,
                ModelConfig.MAX_BACKOFF_SECONDS * 1000L);
        this.retry = Retry.of(name, RetryConfig.<ModelResponse>custom()
                .maxAttempts(config.maxAttempts())
                .retryOnException(ResilientModelProvider::worthRetrying)
                .intervalBiFunction((attempt, outcome) -> outcome.isLeft()
                        ? retryAfter(outcome.getLeft()).map(Duration::toMillis).orElseGet(() -> backoff.apply(attempt))
                        : backoff.apply(attempt))
                .build());
        this.breaker = CircuitBreaker.of(name, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(config.breakerMinCalls())
                .minimumNumberOfCalls(config.breakerMinCalls())
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofMillis(config.breakerOpenMs()))
                .permittedNumberOfCallsInHalfOpenState(Math.min(3, config.breakerMinCalls()))
                // a missing or expired key made no call: it says nothing about the provider's health
                .recordException(error -> !(unwrap(error) instanceof ProviderException p && p.reason().startsWith("secret-")))
                .build());
        this.bulkhead = Bulkhead.of(name, BulkheadConfig.custom()
                .maxConcurrentCalls(config.maxInFlight())
                .maxWaitDuration(Duration.ZERO) // full: the next provider is tried rather than queueing here
                .build());
        this.timeLimiter = TimeLimiter.of(name, TimeLimiterConfig.custom()
                .timeoutDuration(Duration.ofMillis(config.timeoutMs()))
                .cancelRunningFuture(true)
                .build());
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public String model() {
        return delegate.model();
    }

    public CircuitBreaker.State breakerState() {
        return breaker.getState();
    }

    @Override
    public CompletionStage<ModelResponse> translate(ModelRequest request) {
        Supplier<CompletionStage<ModelResponse>> attempt = () -> {
            try {
                return delegate.translate(request);
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        };
        Supplier<CompletionStage<ModelResponse>> timed = timeLimiter.decorateCompletionStage(scheduler, attempt);
        Supplier<CompletionStage<ModelResponse>> limited = Bulkhead.decorateCompletionStage(bulkhead, timed);
        Supplier<CompletionStage<ModelResponse>> guarded = CircuitBreaker.decorateCompletionStage(breaker, limited);
        Supplier<CompletionStage<ModelResponse>> retried = Retry.decorateCompletionStage(retry, scheduler, guarded);
        CompletionStage<ModelResponse> stage;
        try {
            stage = retried.get();
        } catch (RuntimeException e) { // decorators that refuse synchronously
            stage = CompletableFuture.failedFuture(e);
        }
        return stage.toCompletableFuture().handle((response, error) -> {
            if (error != null) {
                throw new CompletionException(classify(name(), error));
            }
            return response;
        });
    }

    private static boolean worthRetrying(Throwable error) {
        Throwable cause = unwrap(error);
        if (cause instanceof TimeoutException) {
            return true;
        }
        if (cause instanceof ProviderException failure && failure.transientFailure()) {
            // a server asking for a long pause is better served by the next provider
            return failure.retryAfter().map(wait -> wait.getSeconds() <= ModelConfig.MAX_RETRY_AFTER_SECONDS)
                    .orElse(true);
        }
        return false;
    }

    private static java.util.Optional<Duration> retryAfter(Throwable error) {
        return unwrap(error) instanceof ProviderException failure ? failure.retryAfter() : java.util.Optional.empty();
    }

    /** The failure as a {@link ProviderException}, whatever layer produced it. */
    static ProviderException classify(String provider, Throwable error) {
        Throwable cause = unwrap(error);
        if (cause instanceof ProviderException failure) {
            return failure;
        }
        if (cause instanceof CallNotPermittedException) {
            return new ProviderException(provider, ProviderException.BREAKER_OPEN, null);
        }
        if (cause instanceof BulkheadFullException) {
            return new ProviderException(provider, ProviderException.BUSY, null);
        }
        if (cause instanceof TimeoutException) {
            return new ProviderException(provider, ProviderException.TIMEOUT, null);
        }
        return new ProviderException(provider, ProviderException.ERROR, 0, null,
                cause == null ? null : cause.getClass().getSimpleName(), null);
    }

    static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
