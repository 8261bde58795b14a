package io.tla.topology.model;

import io.tla.topology.quality.Verification;

import java.util.List;

/** Every provider of the chain failed or was skipped; {@link #fallbacks()} says which and why, in order. */
public final class AllProvidersFailedException extends ProviderException {

    private final List<ModelResponse.Fallback> fallbacks;
    private final List<Verification.Attempt> attempts;

    public AllProvidersFailedException(String lastProvider, String lastReason, List<ModelResponse.Fallback> fallbacks) {
        this(lastProvider, lastReason, fallbacks, List.of());
    }

    /** ... and the provider answers that were checked on the way ({@code attempts}), for the quality telemetry. */
    public AllProvidersFailedException(String lastProvider, String lastReason, List<ModelResponse.Fallback> fallbacks,
                                       List<Verification.Attempt> attempts) {
        super(lastProvider, lastReason, "all " + distinct(fallbacks) + " providers failed");
        this.fallbacks = List.copyOf(fallbacks);
        this.attempts = List.copyOf(attempts);
    }

    public List<Verification.Attempt> attempts() {
        return attempts;
    }

    private static long distinct(List<ModelResponse.Fallback> fallbacks) {
        return fallbacks.stream().map(ModelResponse.Fallback::from).distinct().count();
    }

    public List<ModelResponse.Fallback> fallbacks() {
        return fallbacks;
    }
}
