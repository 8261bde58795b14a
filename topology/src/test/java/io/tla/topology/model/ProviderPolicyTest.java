package io.tla.topology.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.ComplianceConfig;
import io.tla.platform.config.TlaConfig;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A tenant's compliance policy filters the fallback chain: {@code primary} (us-east, soc2) and {@code backup}
 * (eu-west, iso27001 and soc2) are local OpenAI-compatible servers.
 */
class ProviderPolicyTest {

    private final LocalChatServer primary = new LocalChatServer();
    private final LocalChatServer backup = new LocalChatServer();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final Map<String, String> keys = new HashMap<>();

    @BeforeEach
    void start() {
        primary.start();
        backup.start();
        keys.put("model.providers", "primary,backup");
        for (String name : List.of("primary", "backup")) {
            keys.put("model.provider." + name + ".type", "openai");
            keys.put("model.provider." + name + ".base-url", (name.equals("primary") ? primary : backup).url("/v1"));
            keys.put("model.provider." + name + ".model", name + "-model");
            keys.put("model.provider." + name + ".max-attempts", "1");
        }
        keys.put("model.provider.primary.regions", "us-east");
        keys.put("model.provider.primary.certifications", "soc2");
        keys.put("model.provider.backup.regions", "eu-west,eu-central");
        keys.put("model.provider.backup.certifications", "iso27001,soc2");
    }

    @AfterEach
    void stop() {
        primary.close();
        backup.close();
    }

    private ModelProvider chain() {
        TlaConfig config = TlaConfig.of(keys);
        return ModelProviders.chain(ChatCompletions.config(keys), new ChatCompletions.Secrets(), meters,
                Clock.systemUTC(), ComplianceConfig.from(config));
    }

    private static ModelRequest request(String tenant) {
        return new ModelRequest(tenant, "conv-a", "m1", "Guten Morgen", List.of("en"), List.of(), 256, "de",
                "business", List.of());
    }

    private static Throwable failure(ModelProvider provider, String tenant) {
        return provider.translate(request(tenant)).toCompletableFuture()
                .handle((response, error) -> error instanceof CompletionException ? error.getCause() : error).join();
    }

    private double fallbacksCounted(String from, String to, String reason) {
        var counter = meters.find(FallbackModelProvider.FALLBACKS_METER).tags("from", from, "to", to, "reason", reason)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aTenantAllowedOnlyEuWestSkipsTheUsEastPrimaryWithoutACallAndGetsTheBackupsAnswer() {
        keys.put("tenant.tenant-eu.allowed-regions", "eu-west");
        backup.enqueue(ChatCompletions.translated("en", "Good morning"));

        ModelResponse response = chain().translate(request("tenant-eu")).toCompletableFuture().join();

        assertThat(response.provider()).isEqualTo("backup");
        assertThat(response.translations().get(0).text()).isEqualTo("Good morning");
        assertThat(response.fallbacks())
                .containsExactly(new ModelResponse.Fallback("primary", "backup", ProviderPolicy.REGION, 1));
        assertThat(primary.requestCount()).as("no text sent to a provider outside the tenant's regions").isZero();
        assertThat(fallbacksCounted("primary", "backup", ProviderPolicy.REGION)).isEqualTo(1);
    }

    @Test
    void aTenantWithoutItsOwnPolicyStillUsesThePrimary() {
        keys.put("tenant.tenant-eu.allowed-regions", "eu-west");
        primary.enqueue(ChatCompletions.translated("en", "Good morning"));

        ModelResponse response = chain().translate(request("tenant-other")).toCompletableFuture().join();

        assertThat(response.provider()).isEqualTo("primary");
        assertThat(response.fallbacks()).isEmpty();
        assertThat(backup.requestCount()).isZero();
    }

    @Test
    void aRequiredCertificationNoProviderHoldsFailsTheCallWithoutSendingAnything() {
        keys.put("compliance.required-certifications", "soc2,hipaa");

        Throwable error = failure(chain(), "tenant-a");

        assertThat(error).isInstanceOf(AllProvidersFailedException.class);
        assertThat(((AllProvidersFailedException) error).fallbacks()).containsExactly(
                new ModelResponse.Fallback("primary", "backup", ProviderPolicy.CERTIFICATION, 1),
                new ModelResponse.Fallback("backup", ModelResponse.Fallback.NONE, ProviderPolicy.CERTIFICATION, 2));
        assertThat(primary.requestCount()).isZero();
        assertThat(backup.requestCount()).isZero();
        assertThat(fallbacksCounted("backup", "none", ProviderPolicy.CERTIFICATION)).isEqualTo(1);
    }

    @Test
    void aCertificationOnlyTheBackupHoldsSkipsThePrimary() {
        keys.put("compliance.required-certifications", "iso27001");
        backup.enqueue(ChatCompletions.translated("en", "Good morning"));

        ModelResponse response = chain().translate(request("tenant-a")).toCompletableFuture().join();

        assertThat(response.provider()).isEqualTo("backup");
        assertThat(response.fallbacks()).extracting(ModelResponse.Fallback::reason)
                .containsExactly(ProviderPolicy.CERTIFICATION);
        assertThat(primary.requestCount()).isZero();
    }

    @Test
    void withoutAPolicyDeclaredRegionsChangeNothing() {
        primary.enqueue(ChatCompletions.translated("en", "Good morning"));

        ModelResponse response = chain().translate(request("tenant-eu")).toCompletableFuture().join();

        assertThat(response.provider()).isEqualTo("primary");
        assertThat(response.fallbacks()).isEmpty();
        assertThat(meters.find(FallbackModelProvider.FALLBACKS_METER).counters()).isEmpty();
    }

    @Test
    void anOfflineProviderIsInRegionLocalUnlessConfigured() {
        keys.put("model.providers", "primary,offline");
        keys.put("compliance.allowed-regions", "local");

        ModelResponse response = chain().translate(request("tenant-a")).toCompletableFuture().join();
        assertThat(response.provider()).isEqualTo("offline");
        assertThat(primary.requestCount()).isZero();

        keys.put("model.provider.offline.regions", "eu-west");
        assertThat(failure(chain(), "tenant-a")).isInstanceOf(AllProvidersFailedException.class);
    }

    @Test
    void aLoneOfflineProviderIsStillRefusedForATenantRequiringACertification() {
        keys.clear();
        keys.put("tenant.tenant-a.required-certifications", "iso27001");

        assertThat(failure(chain(), "tenant-a")).isInstanceOf(AllProvidersFailedException.class);
        assertThat(chain().translate(request("tenant-b")).toCompletableFuture().join().provider()).isEqualTo("offline");
    }
}
