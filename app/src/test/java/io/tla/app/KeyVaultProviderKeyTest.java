package io.tla.app;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.secrets.KeyVaultServer;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.secrets.KeyVaultSecretStore;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ModelProviders;
import io.tla.topology.model.ModelRequest;
import io.tla.topology.model.ModelResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An Azure OpenAI provider whose API key lives in Key Vault: the key the vault holds is the one sent, and a key the
 * vault reports expired makes the chain skip the provider (no request) for the next one. Both servers are local:
 * Key Vault's REST API over HTTPS and an Azure OpenAI deployment endpoint.
 */
class KeyVaultProviderKeyTest {

    private static final String KEY = "azure-openai-key-value-4f1d";
    private static final String ANSWER = "{\\\"sourceLanguage\\\":\\\"de\\\",\\\"translations\\\":[{\\\"language\\\":"
            + "\\\"en\\\",\\\"text\\\":\\\"Good morning\\\"}]}";

    private KeyVaultServer vault;
    private WireMockServer azure;

    @BeforeEach
    void start() {
        vault = new KeyVaultServer();
        azure = new WireMockServer(options().dynamicPort());
        azure.start();
        String completion = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"" + ANSWER + "\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":8,\"total_tokens\":48}}";
        azure.stubFor(post(urlPathEqualTo("/openai/deployments/gpt-4o/chat/completions"))
                .withHeader("api-key", equalTo(KEY))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(completion)));
        azure.stubFor(post(urlPathEqualTo("/backup/v1/chat/completions"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(completion)));
    }

    @AfterEach
    void stop() {
        azure.stop();
        vault.close();
    }

    private ModelProvider chain() {
        Map<String, String> keys = new HashMap<>();
        keys.put("model.providers", "azure,backup");
        keys.put("model.provider.azure.type", "azure-openai");
        keys.put("model.provider.azure.base-url", azure.baseUrl());
        keys.put("model.provider.azure.model", "gpt-4o");
        keys.put("model.provider.azure.api-key-secret", "azure-openai-key");
        keys.put("model.provider.backup.type", "openai");
        keys.put("model.provider.backup.base-url", azure.baseUrl() + "/backup/v1");
        keys.put("model.provider.backup.model", "small");
        KeyVaultSecretStore store = new KeyVaultSecretStore(vault.client(), vault.url(), Duration.ofMinutes(5),
                Clock.systemUTC());
        return ModelProviders.chain(ModelConfig.from(TlaConfig.of(keys)), store, new SimpleMeterRegistry());
    }

    private static ModelResponse translate(ModelProvider provider) {
        return provider.translate(new ModelRequest("tenant-a", "conv-a", "m-1", "Guten Morgen", List.of("en"),
                List.of(), 256, "de", "business", List.of())).toCompletableFuture().join();
    }

    @Test
    void sendsTheKeyTheVaultHoldsToTheAzureDeployment() {
        vault.secret("azure-openai-key", KEY, true, null, Instant.now().plus(Duration.ofDays(30)));

        ModelResponse response = translate(chain());

        assertThat(response.provider()).isEqualTo("azure");
        assertThat(response.fallbacks()).isEmpty();
        azure.verify(1, postRequestedFor(urlPathEqualTo("/openai/deployments/gpt-4o/chat/completions"))
                .withHeader("api-key", equalTo(KEY)));
    }

    @Test
    void skipsTheAzureProviderWhenTheVaultSaysItsKeyExpiredAndTheBackupAnswers() {
        vault.secret("azure-openai-key", KEY, true, null, Instant.now().minus(Duration.ofHours(1)));

        ModelResponse response = translate(chain());

        assertThat(response.provider()).isEqualTo("backup");
        assertThat(response.fallbacks()).singleElement()
                .satisfies(fallback -> assertThat(fallback.reason()).isEqualTo("secret-expired"));
        azure.verify(0, postRequestedFor(urlPathEqualTo("/openai/deployments/gpt-4o/chat/completions")));
    }
}
