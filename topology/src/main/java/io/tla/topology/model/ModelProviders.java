package io.tla.topology.model;

import io.tla.platform.config.ModelConfig;
import org.apache.kafka.common.config.ConfigException;

/** Builds the configured primary provider. Fallback across {@code model.providers} comes with live providers. */
public final class ModelProviders {

    private ModelProviders() {
    }

    public static ModelProvider primary(ModelConfig config) {
        ModelConfig.Provider primary = config.primary();
        if (!OfflineModelProvider.TYPE.equals(primary.type())) {
            throw new ConfigException(ModelConfig.PROVIDER_PREFIX + primary.name() + ".type", primary.type(),
                    "this build ships only the offline provider; openai and azure-openai are not available yet");
        }
        return new OfflineModelProvider(primary.name(), primary.inputUsdPer1kTokens(), primary.outputUsdPer1kTokens(),
                java.time.Duration.ofMillis(primary.offlineLatencyMs()));
    }
}
