package io.tla.topology.model;

import io.micrometer.core.instrument.MeterRegistry;
import io.tla.platform.config.ComplianceConfig;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.QualityConfig;
import io.tla.platform.secrets.SecretStore;
import io.tla.topology.quality.ProviderQuality;
import io.tla.topology.quality.TranslationVerifier;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.common.config.ConfigException;

/** Builds the configured providers of {@code model.providers} as one fallback chain. */
public final class ModelProviders {

    /** Retry waits and time limits only schedule; the calls themselves run on the HTTP client's threads. */
    private static final ScheduledExecutorService SCHEDULER = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "tla-model-scheduler");
        thread.setDaemon(true);
        return thread;
    });

    private ModelProviders() {
    }

    /**
     * The providers in fallback order as one {@link ModelProvider}. A lone offline provider (the default) is
     * returned as it is: it never fails, so there is nothing to fall back from.
     */
    public static ModelProvider chain(ModelConfig config, SecretStore secrets, MeterRegistry meters) {
        return chain(config, secrets, meters, Clock.systemUTC());
    }

    /** The chain with no compliance policy: every provider may be asked for every tenant. */
    public static ModelProvider chain(ModelConfig config, SecretStore secrets, MeterRegistry meters, Clock clock) {
        return chain(config, secrets, meters, clock, null);
    }

    /**
     * The chain under {@code compliance}'s provider policy (allowed regions, required certifications per tenant);
     * {@code null} or an unrestricted policy means none.
     */
    public static ModelProvider chain(ModelConfig config, SecretStore secrets, MeterRegistry meters, Clock clock,
                                      ComplianceConfig compliance) {
        return chain(config, secrets, meters, clock, compliance, null);
    }

    /**
     * The chain as the pipeline runs it: under {@code compliance}'s provider policy, with answers checked and
     * providers routed per tenant as {@code quality} says ({@code null}: none checked, the configured order).
     */
    public static ModelProvider chain(ModelConfig config, SecretStore secrets, MeterRegistry meters, Clock clock,
                                      ComplianceConfig compliance, QualityConfig quality) {
        ProviderPolicy policy = ProviderPolicy.of(compliance, config);
        List<ModelConfig.Provider> ordered = config.ordered();
        HttpClient http = null;
        List<ModelProvider> providers = new ArrayList<>();
        for (ModelConfig.Provider provider : ordered) {
            if (OfflineModelProvider.TYPE.equals(provider.type())) {
                providers.add(offline(provider));
                continue;
            }
            require(provider, "base-url", provider.baseUrl());
            require(provider, "model", provider.model());
            if (http == null) {
                http = HttpClient.newBuilder()
                        .connectTimeout(Duration.ofMillis(ordered.stream().mapToInt(ModelConfig.Provider::timeoutMs).min()
                                .orElse(10_000)))
                        .build();
            }
            providers.add(new ResilientModelProvider(new OpenAiChatProvider(provider, secrets, http, clock), provider,
                    SCHEDULER));
        }
        // a policy may rule out even a lone offline provider, so it stays in a chain then
        if (providers.size() == 1 && providers.get(0) instanceof OfflineModelProvider offline && !policy.restricts()) {
            return offline;
        }
        if (quality == null) {
            return new FallbackModelProvider(providers, meters, policy);
        }
        ProviderQuality rates = new ProviderQuality(quality.qualityWindow(), quality.qualityWindowAge(),
                quality.minAnswers(), clock, meters);
        return new FallbackModelProvider(providers, meters, policy, ProviderRouting.of(quality, config, rates, policy),
                quality.verification() ? TranslationVerifier.of(quality.minLetters()) : null, rates);
    }

    private static OfflineModelProvider offline(ModelConfig.Provider provider) {
        return new OfflineModelProvider(provider.name(), provider.inputUsdPer1kTokens(), provider.outputUsdPer1kTokens(),
                Duration.ofMillis(provider.offlineLatencyMs()));
    }

    private static void require(ModelConfig.Provider provider, String key, String value) {
        if (value == null || value.isBlank()) {
            throw new ConfigException(ModelConfig.PROVIDER_PREFIX + provider.name() + "." + key, value,
                    "a provider of type " + provider.type() + " needs " + key);
        }
    }
}
