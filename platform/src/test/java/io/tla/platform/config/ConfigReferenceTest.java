package io.tla.platform.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is generated from the definitions; this keeps the checked-in copy current. */
class ConfigReferenceTest {

    /** Relative to the module directory, where Maven runs the tests. */
    private static final Path REFERENCE = Path.of("../docs/configuration.md");

    /** Every key named in the "Configuration" section of the operational contract (docs/contract.md). */
    private static final List<String> CONTRACT_KEYS = List.of(
            "http.port",
            "data.dir",
            "kafka.bootstrap.servers",
            "embedded.kafka.port",
            "embedded.kafka.controller-port",
            "secrets.provider",
            "keyvault.url",
            "model.providers",
            "model.provider.NAME.type",
            "model.provider.NAME.base-url",
            "model.provider.NAME.model",
            "model.provider.NAME.api-key-secret",
            "model.provider.NAME.timeout-ms",
            "model.provider.NAME.max-in-flight",
            "model.provider.NAME.input-usd-per-1k-tokens",
            "model.provider.NAME.output-usd-per-1k-tokens",
            "translation.target-languages",
            "tenant.ID.target-languages",
            "budget.daily-usd",
            "tenant.ID.budget.daily-usd",
            "reply.sink",
            "graph.base-url",
            "graph.auth.mode",
            "graph.auth.static-token-secret",
            "graph.tenant-id",
            "graph.client-id",
            "graph.client-secret-secret",
            "dashboard.store.url",
            "webhook.registrations",
            "webhook.registration.NAME.secret",
            "webhook.registration.NAME.tenant-id",
            "webhook.registration.NAME.team-aad-group-id",
            "webhook.registration.NAME.sync-reply");

    @Test
    void checkedInReferenceMatchesTheDefinitions() throws Exception {
        assertThat(REFERENCE)
                .as("docs/configuration.md is missing; generate it from the repo root with "
                        + "`./tla config --docs > docs/configuration.md`")
                .exists();
        String checkedIn = Files.readString(REFERENCE, StandardCharsets.UTF_8);
        assertThat(checkedIn)
                .as("docs/configuration.md is out of date with the config definitions. Regenerate it from the repo "
                        + "root with `./tla config --docs > docs/configuration.md` (it prints "
                        + "io.tla.platform.config.ConfigCatalog.markdownReference() verbatim) and commit the result")
                .isEqualTo(ConfigCatalog.markdownReference());
    }

    @Test
    void referenceListsEveryContractKeyWithItsEnvironmentName() {
        String reference = ConfigCatalog.markdownReference();
        for (String key : CONTRACT_KEYS) {
            assertThat(reference).as("contract key %s", key)
                    .contains("| `" + key + "` | `" + ConfigCatalog.envName(key) + "` |");
        }
    }

    @Test
    void everyContractKeyIsKnownAndRoundTripsThroughItsEnvironmentName() {
        for (String key : CONTRACT_KEYS) {
            String concrete = key.replace(".NAME.", ".primary.").replace(".ID.", ".6f1c-ab.");
            assertThat(ConfigCatalog.isKnown(concrete)).as(concrete).isTrue();
            assertThat(ConfigCatalog.keyForEnv(ConfigCatalog.envName(concrete))).as(concrete).isEqualTo(concrete);
        }
    }
}
