package io.tla.topology.model;

import java.util.concurrent.CompletionStage;

/**
 * A configured LLM provider. Calls are asynchronous: an implementation that talks to a network returns at once
 * and completes the stage from its own threads. It never throws; failures complete the stage exceptionally.
 */
public interface ModelProvider {

    /** The configured provider name (e.g. {@code primary}, {@code backup}, {@code offline}). */
    String name();

    CompletionStage<ModelResponse> translate(ModelRequest request);

    /** The model it asks, as configured; what quality metrics are tagged with. */
    default String model() {
        return name();
    }

    /**
     * Whether its answers are translations to check ({@link io.tla.topology.quality.TranslationVerifier}); the
     * offline provider's are marked echoes, never checked.
     */
    default boolean verifies() {
        return true;
    }

    /** Whether it checks the answers it returns ({@link FallbackModelProvider} with a verifier). */
    default boolean checksAnswers() {
        return false;
    }
}
