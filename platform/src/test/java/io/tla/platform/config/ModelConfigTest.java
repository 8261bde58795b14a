package io.tla.platform.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelConfigTest {

    @Test
    void readsTheAzureApiVersionRetryAndBreakerKeysWithTheirDefaults() {
        ModelConfig model = ModelConfig.from(TlaConfig.load(null, Map.of(
                "TLA_MODEL_PROVIDERS", "azure,local",
                "TLA_MODEL_PROVIDER_AZURE_TYPE", "azure-openai",
                "TLA_MODEL_PROVIDER_AZURE_API_VERSION", "2025-01-01-preview",
                "TLA_MODEL_PROVIDER_AZURE_MAX_ATTEMPTS", "4",
                "TLA_MODEL_PROVIDER_AZURE_RETRY_BACKOFF_MS", "100",
                "TLA_MODEL_PROVIDER_AZURE_BREAKER_MIN_CALLS", "8",
                "TLA_MODEL_PROVIDER_AZURE_BREAKER_OPEN_MS", "5000",
                "TLA_MODEL_PROVIDER_LOCAL_TYPE", "openai"), Map.of()));

        ModelConfig.Provider azure = model.primary();
        assertThat(azure.apiVersion()).isEqualTo("2025-01-01-preview");
        assertThat(azure.maxAttempts()).isEqualTo(4);
        assertThat(azure.retryBackoffMs()).isEqualTo(100);
        assertThat(azure.breakerMinCalls()).isEqualTo(8);
        assertThat(azure.breakerOpenMs()).isEqualTo(5000);
        ModelConfig.Provider local = model.providers().get("local");
        assertThat(local.apiVersion()).isEqualTo(ModelConfig.DEFAULT_AZURE_API_VERSION);
        assertThat(local.maxAttempts()).isEqualTo(3);
        assertThat(model.ordered()).extracting(ModelConfig.Provider::name).containsExactly("azure", "local");
    }

    @Test
    void theModelStageWaitsForTheWholeChainButTheOfflineDefaultKeepsItsTimeout() {
        assertThat(ModelConfig.from(TlaConfig.of(Map.of())).chainTimeout()).isEqualTo(Duration.ofSeconds(30));

        ModelConfig chain = ModelConfig.from(TlaConfig.of(Map.of("model.providers", "primary,offline",
                "model.provider.primary.type", "openai", "model.provider.primary.timeout-ms", "1000",
                "model.provider.primary.max-attempts", "2", "model.provider.offline.timeout-ms", "500")));
        // two attempts of 1 s with the longest wait between them, then the offline provider's 0.5 s
        assertThat(chain.chainTimeout()).isEqualTo(Duration.ofMillis(2 * 1000
                + 1000L * Math.max(ModelConfig.MAX_RETRY_AFTER_SECONDS, ModelConfig.MAX_BACKOFF_SECONDS) + 500));
    }

    @Test
    void readsProviderRegionsAndCertificationsAndPutsAnUndeclaredOfflineProviderInRegionLocal() {
        ModelConfig model = ModelConfig.from(TlaConfig.of(Map.of("model.providers", "primary,backup,offline",
                "model.provider.primary.type", "openai", "model.provider.primary.regions", "us-east",
                "model.provider.primary.certifications", "soc2",
                "model.provider.backup.type", "openai", "model.provider.backup.regions", "eu-west, eu-central",
                "model.provider.backup.certifications", "iso27001,soc2")));

        assertThat(model.providers().get("primary").regions()).containsExactly("us-east");
        assertThat(model.providers().get("primary").certifications()).containsExactly("soc2");
        assertThat(model.providers().get("backup").regions()).containsExactly("eu-west", "eu-central");
        assertThat(model.providers().get("backup").certifications()).containsExactly("iso27001", "soc2");
        assertThat(model.providers().get("offline").regions()).containsExactly(ModelConfig.Provider.LOCAL_REGION);
        assertThat(model.providers().get("offline").certifications()).isEmpty();
    }

    @Test
    void aTenantsAllowedRegionsAndRequiredCertificationsOverrideTheGlobalOnesAndEmptyMeansNoRestriction() {
        ComplianceConfig compliance = ComplianceConfig.from(TlaConfig.of(Map.of(
                "compliance.allowed-regions", "eu-west,eu-central",
                "tenant.t1.allowed-regions", "eu-west",
                "tenant.t1.required-certifications", "iso27001",
                "tenant.t2.allowed-regions", "")));

        assertThat(compliance.allowedRegionsFor("t1")).containsExactly("eu-west");
        assertThat(compliance.requiredCertificationsFor("t1")).containsExactly("iso27001");
        assertThat(compliance.allowedRegionsFor("t2")).as("set empty: any region").isEmpty();
        assertThat(compliance.allowedRegionsFor("t3")).containsExactly("eu-west", "eu-central");
        assertThat(compliance.requiredCertificationsFor("t3")).isEmpty();
        assertThat(compliance.restrictsProviders()).isTrue();
        assertThat(ComplianceConfig.from(TlaConfig.of(Map.of())).restrictsProviders()).isFalse();
    }
}
