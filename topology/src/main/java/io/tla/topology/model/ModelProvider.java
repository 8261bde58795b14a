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
}
