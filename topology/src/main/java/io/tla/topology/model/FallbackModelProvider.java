package io.tla.topology.model;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The providers of {@code model.providers} as one: each call goes to the first, and on its failure (after its own
 * retries) or when it is unavailable (breaker open, key missing or expired) to the next, in order. Every fallback
 * is logged, counted in {@code tla_model_fallbacks_total{from,to,reason}} and recorded on the answer, or, when
 * every provider failed, on the {@link AllProvidersFailedException}. A {@link ProviderPolicy} skips, without a
 * call, the providers a tenant's compliance policy rules out (reason {@code policy-region} or
 * {@code policy-certification}).
 */
public final class FallbackModelProvider implements ModelProvider {

    public static final String FALLBACKS_METER = "tla.model.fallbacks";

    private static final Logger log = LoggerFactory.getLogger(FallbackModelProvider.class);

    private final List<ModelProvider> providers;
    private final MeterRegistry meters;
    private final ProviderPolicy policy;

    public FallbackModelProvider(List<ModelProvider> providers, MeterRegistry meters) {
        this(providers, meters, ProviderPolicy.NONE);
    }

    /** A chain that skips, per request, the providers {@code policy} does not allow for the request's tenant. */
    public FallbackModelProvider(List<ModelProvider> providers, MeterRegistry meters, ProviderPolicy policy) {
        if (providers.isEmpty()) {
            throw new IllegalArgumentException("a fallback chain needs at least one provider");
        }
        this.providers = List.copyOf(providers);
        this.meters = meters;
        this.policy = policy;
    }

    /** The primary's name: metrics and the cache are keyed by the chain, replies name who answered. */
    @Override
    public String name() {
        return providers.get(0).name();
    }

    public List<ModelProvider> providers() {
        return providers;
    }

    @Override
    public CompletionStage<ModelResponse> translate(ModelRequest request) {
        return attempt(0, request, new ArrayList<>());
    }

    private CompletableFuture<ModelResponse> attempt(int index, ModelRequest request, List<ModelResponse.Fallback> taken) {
        ModelProvider provider = providers.get(index);
        Optional<String> refusal = policy.refusal(request.tenantId(), provider.name());
        if (refusal.isPresent()) {
            // skipped like a failed provider, but without a call: none of the tenant's text reaches it
            return next(index, request, taken, refusal.get());
        }
        CompletableFuture<ModelResponse> call;
        try {
            call = provider.translate(request).toCompletableFuture();
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        return call.handle((response, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(taken.isEmpty() ? response : response.withFallbacks(taken));
            }
            return next(index, request, taken, ResilientModelProvider.classify(provider.name(), error).reason());
        }).thenCompose(next -> next);
    }

    /** Records the fallback from provider {@code index} and asks the next one, or fails when it was the last. */
    private CompletableFuture<ModelResponse> next(int index, ModelRequest request, List<ModelResponse.Fallback> taken,
                                                  String reason) {
        ModelProvider provider = providers.get(index);
        boolean last = index + 1 >= providers.size();
        String next = last ? ModelResponse.Fallback.NONE : providers.get(index + 1).name();
        ModelResponse.Fallback fallback = new ModelResponse.Fallback(provider.name(), next, reason, taken.size() + 1);
        taken.add(fallback);
        record(request, fallback);
        if (last) {
            return CompletableFuture.failedFuture(new AllProvidersFailedException(provider.name(), reason, taken));
        }
        return attempt(index + 1, request, taken);
    }

    private void record(ModelRequest request, ModelResponse.Fallback fallback) {
        Counter.builder(FALLBACKS_METER).description("Model calls passed on to the next provider (to=none: none left)")
                .tag("from", fallback.from()).tag("to", fallback.to()).tag("reason", fallback.reason())
                .register(meters).increment();
        log.warn("event=model_fallback from={} to={} reason={} attempt={} tenant={} conversation={} message_id={}",
                fallback.from(), fallback.to(), fallback.reason(), fallback.attempt(), request.tenantId(),
                request.conversationId(), request.messageId());
    }
}
