package io.tla.platform.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.platform.config.TlaConfig;
import io.tla.platform.secrets.ConfiguredSecrets.ConfiguredSecret;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfiguredSecretsTest {

    @Test
    void defaultConfigurationNamesOnlyTheWebhookKey() {
        assertThat(ConfiguredSecrets.of(TlaConfig.of(Map.of())))
                .containsExactly(new ConfiguredSecret("teams-webhook-hmac", java.util.List.of("webhook.default-key-secret")));
    }

    @Test
    void collectsWebhookRegistrationProviderAndGraphSecretsOnceEach() {
        TlaConfig config = TlaConfig.of(Map.ofEntries(
                Map.entry("webhook.registrations", "sales,hr"),
                Map.entry("webhook.registration.sales.secret", "sales-hmac"),
                Map.entry("webhook.registration.hr.secret", "hr-hmac"),
                Map.entry("webhook.registration.sales.tenant-id", "t-sales"),
                Map.entry("webhook.registration.hr.tenant-id", "t-hr"),
                Map.entry("model.providers", "primary,backup,offline"),
                Map.entry("model.provider.primary.type", "openai"),
                Map.entry("model.provider.primary.api-key-secret", "openai-key"),
                Map.entry("model.provider.backup.type", "azure-openai"),
                Map.entry("model.provider.backup.api-key-secret", "openai-key"),
                Map.entry("reply.sink", "graph"),
                Map.entry("graph.auth.mode", "client-secret")));

        assertThat(ConfiguredSecrets.of(config)).containsExactly(
                new ConfiguredSecret("teams-webhook-hmac", java.util.List.of("webhook.default-key-secret")),
                new ConfiguredSecret("hr-hmac", java.util.List.of("webhook.registration.hr.secret")),
                new ConfiguredSecret("sales-hmac", java.util.List.of("webhook.registration.sales.secret")),
                new ConfiguredSecret("openai-key", java.util.List.of("model.provider.primary.api-key-secret",
                        "model.provider.backup.api-key-secret")),
                new ConfiguredSecret("graph-client-secret", java.util.List.of("graph.client-secret-secret")));
    }

    @Test
    void graphSecretFollowsTheAuthModeAndOnlyForTheGraphSink() {
        assertThat(ConfiguredSecrets.names(TlaConfig.of(Map.of("reply.sink", "graph", "graph.auth.mode", "static-token"))))
                .containsExactly("teams-webhook-hmac", "graph-token");
        assertThat(ConfiguredSecrets.names(TlaConfig.of(Map.of("reply.sink", "outbox", "graph.auth.mode", "static-token"))))
                .containsExactly("teams-webhook-hmac");
    }
}
