package io.tla.topology.model;

import java.util.List;

/** Every provider of the chain failed or was skipped; {@link #fallbacks()} says which and why, in order. */
public final class AllProvidersFailedException extends ProviderException {

    private final List<ModelResponse.Fallback> fallbacks;

    public AllProvidersFailedException(String lastProvider, String lastReason, List<ModelResponse.Fallback> fallbacks) {
        super(lastProvider, lastReason, "all " + distinct(fallbacks) + " providers failed");
        this.fallbacks = List.copyOf(fallbacks);
    }

    private static long distinct(List<ModelResponse.Fallback> fallbacks) {
        return fallbacks.stream().map(ModelResponse.Fallback::from).distinct().count();
    }

    public List<ModelResponse.Fallback> fallbacks() {
        return fallbacks;
    }
}
