package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.schemas.Json;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code signing} section of {@code /api/diagnostics} in a process without the ingress: configuration only. */
class DiagnosticsSigningTest {

    @TempDir
    Path dataDir;

    @Test
    void withoutTheIngressTheKeySetsShowTheirConfigurationAndThePreviousKeysExpiryOnly() {
        TlaConfig config = TlaConfig.of(Map.ofEntries(
                Map.entry("data.dir", dataDir.toString()),
                Map.entry("webhook.registrations", "alpha,beta"),
                Map.entry("webhook.registration.alpha.secret", "teams-webhook-alpha"),
                Map.entry("webhook.registration.alpha.tenant-id", "tenant-a"),
                Map.entry("webhook.registration.alpha.previous-secret", "teams-webhook-alpha-previous"),
                Map.entry("webhook.registration.alpha.previous-secret-until", "2026-11-27T09:00:00Z"),
                Map.entry("webhook.registration.alpha.sync-reply", "true"),
                Map.entry("webhook.registration.beta.secret", "teams-webhook-beta"),
                Map.entry("webhook.registration.beta.tenant-id", "tenant-b"),
                Map.entry("webhook.registration.beta.previous-secret", "teams-webhook-beta-previous"),
                Map.entry("webhook.registration.beta.previous-secret-until", "2026-11-26T09:00:00Z")));
        Clock clock = Clock.fixed(Instant.parse("2026-11-26T12:00:00Z"), ZoneOffset.UTC);

        JsonNode signing = Json.mapper().valueToTree(
                new Diagnostics(config, new EnvSecretStore(Map.of()), null, null, clock).report()).get("signing");

        assertThat(signing.get("ingressInProcess").asBoolean()).isFalse();
        assertThat(signing.get("registrations").toString()).isEqualTo("[\"alpha\",\"beta\"]");
        JsonNode keySets = signing.get("keySets");
        assertThat(keySets).hasSize(3);
        assertThat(keySets.get(0).get("name").asText()).isEqualTo("_default");
        assertThat(keySets.get(0).get("secret").asText()).isEqualTo("teams-webhook-hmac");
        assertThat(keySets.get(0).get("previousAccepted").asBoolean()).isFalse();
        JsonNode alpha = keySets.get(1);
        assertThat(alpha.get("secret").asText()).isEqualTo("teams-webhook-alpha");
        assertThat(alpha.get("syncReply").asBoolean()).isTrue();
        assertThat(alpha.get("previousSecret").asText()).isEqualTo("teams-webhook-alpha-previous");
        assertThat(alpha.get("previousSecretUntil").asText()).isEqualTo("2026-11-27T09:00:00Z");
        assertThat(alpha.get("previousAccepted").asBoolean()).isTrue();
        assertThat(alpha.has("verified")).isFalse();
        assertThat(alpha.has("currentKey")).isFalse();
        assertThat(keySets.get(2).get("previousAccepted").asBoolean()).isFalse();
    }
}
