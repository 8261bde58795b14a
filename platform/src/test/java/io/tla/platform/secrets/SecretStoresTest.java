package io.tla.platform.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tla.platform.config.SecretsConfig;
import io.tla.platform.config.TlaConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Base64;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretStoresTest {

    private static final String WEBHOOK = "teams-webhook-hmac";

    @TempDir
    Path dir;

    // --- env store --------------------------------------------------------------------------------------------

    @Test
    void envStoreReadsTlaSecretVariableWithDashesAsUnderscores() {
        assertThat(EnvSecretStore.variableFor(WEBHOOK)).isEqualTo("TLA_SECRET_TEAMS_WEBHOOK_HMAC");
        assertThat(EnvSecretStore.variableFor("graph.client-secret")).isEqualTo("TLA_SECRET_GRAPH_CLIENT_SECRET");

        EnvSecretStore store = new EnvSecretStore(Map.of("TLA_SECRET_TEAMS_WEBHOOK_HMAC", "  a2V5LXZhbHVl\n"));
        assertThat(store.get(WEBHOOK)).hasValueSatisfying(secret -> {
            assertThat(secret.name()).isEqualTo(WEBHOOK);
            assertThat(secret.reveal()).isEqualTo("a2V5LXZhbHVl");
        });
        assertThat(store.locationOf(WEBHOOK)).isEqualTo("environment variable TLA_SECRET_TEAMS_WEBHOOK_HMAC");
        assertThat(store.kind()).isEqualTo("env");
    }

    @Test
    void envStoreTreatsMissingOrBlankVariableAsAbsent() {
        EnvSecretStore store = new EnvSecretStore(Map.of("TLA_SECRET_BLANK", "   ", "teams-webhook-hmac", "wrong-name"));
        assertThat(store.get("blank")).isEmpty();
        assertThat(store.get(WEBHOOK)).isEmpty();
    }

    // --- file store -------------------------------------------------------------------------------------------

    @Test
    void fileStoreReadsTrimmedValues() throws Exception {
        Files.writeString(dir.resolve("primary-key"), "\n  sk-test-123 \n\n");
        FileSecretStore store = new FileSecretStore(dir);
        assertThat(store.get("primary-key")).hasValueSatisfying(s -> assertThat(s.reveal()).isEqualTo("sk-test-123"));
        assertThat(store.locationOf("primary-key")).isEqualTo(dir.toAbsolutePath().resolve("primary-key").toString());
        assertThat(store.kind()).isEqualTo("file");
    }

    @Test
    void fileStoreTreatsMissingOrEmptyFileAsAbsent() throws Exception {
        Files.writeString(dir.resolve("empty"), " \n");
        FileSecretStore store = new FileSecretStore(dir.resolve("not-there-yet"));
        assertThat(store.get("anything")).isEmpty();
        assertThat(new FileSecretStore(dir).get("empty")).isEmpty();
    }

    @Test
    void fileStoreCreatesOwnerOnlyFilesAndTheDirectory() throws Exception {
        FileSecretStore store = new FileSecretStore(dir.resolve("secrets"));
        Path path = store.create("new-key", "dmFsdWU=");

        assertThat(path).isEqualTo(dir.resolve("secrets").resolve("new-key").toAbsolutePath());
        assertThat(Files.readString(path).trim()).isEqualTo("dmFsdWU=");
        assertThat(Files.getPosixFilePermissions(path))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(store.get("new-key")).hasValueSatisfying(s -> assertThat(s.reveal()).isEqualTo("dmFsdWU="));
    }

    @Test
    void fileStoreNeverOverwritesAnExistingSecret() throws Exception {
        FileSecretStore store = new FileSecretStore(dir);
        store.create("key", "first");
        assertThatThrownBy(() -> store.create("key", "second"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already exists")
                .hasMessageNotContaining("second")
                .hasMessageNotContaining("first");
        assertThat(store.get("key")).hasValueSatisfying(s -> assertThat(s.reveal()).isEqualTo("first"));
    }

    @Test
    void fileStoreRejectsNamesThatLeaveItsDirectory() {
        FileSecretStore store = new FileSecretStore(dir.resolve("secrets"));
        assertThatThrownBy(() -> store.get("../passwd")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.create("/etc/shadow", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.get(".hidden")).isInstanceOf(IllegalArgumentException.class);
    }

    // --- webhook key ------------------------------------------------------------------------------------------

    @Test
    void webhookKeyPrefersTheConfiguredStore() throws Exception {
        FileSecretStore files = new FileSecretStore(dir);
        files.create(WEBHOOK, "ZmlsZS1rZXk=");
        EnvSecretStore env = new EnvSecretStore(Map.of("TLA_SECRET_TEAMS_WEBHOOK_HMAC", "ZW52LWtleQ=="));

        SecretStores.ResolvedKey key = SecretStores.webhookKey(env, files, WEBHOOK, true);

        assertThat(key.secret().reveal()).isEqualTo("ZW52LWtleQ==");
        assertThat(key.location()).isEqualTo("environment variable TLA_SECRET_TEAMS_WEBHOOK_HMAC");
        assertThat(key.generated()).isFalse();
    }

    @Test
    void webhookKeyFallsBackToTheFileStore() throws Exception {
        FileSecretStore files = new FileSecretStore(dir);
        files.create(WEBHOOK, "ZmlsZS1rZXk=");

        SecretStores.ResolvedKey key = SecretStores.webhookKey(new EnvSecretStore(Map.of()), files, WEBHOOK, false);

        assertThat(key.secret().reveal()).isEqualTo("ZmlsZS1rZXk=");
        assertThat(key.location()).isEqualTo(files.locationOf(WEBHOOK));
        assertThat(key.generated()).isFalse();
    }

    @Test
    void webhookKeyIsGeneratedOnceAsA32ByteBase64KeyAndThenReused() throws Exception {
        FileSecretStore files = new FileSecretStore(dir.resolve("secrets"));
        EnvSecretStore env = new EnvSecretStore(Map.of());

        SecretStores.ResolvedKey first = SecretStores.webhookKey(env, files, WEBHOOK, true);
        assertThat(first.generated()).isTrue();
        assertThat(Base64.getDecoder().decode(first.secret().reveal())).hasSize(32);
        assertThat(first.location()).isEqualTo(files.locationOf(WEBHOOK));
        assertThat(Files.getPosixFilePermissions(files.pathOf(WEBHOOK)))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

        SecretStores.ResolvedKey second = SecretStores.webhookKey(env, files, WEBHOOK, true);
        assertThat(second.generated()).isFalse();
        assertThat(second.secret().reveal()).isEqualTo(first.secret().reveal());
    }

    @Test
    void webhookKeyWithoutGenerationFailsNamingBothLocationsButNoValue() {
        FileSecretStore files = new FileSecretStore(dir);
        EnvSecretStore env = new EnvSecretStore(Map.of());

        assertThatThrownBy(() -> SecretStores.webhookKey(env, files, WEBHOOK, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("TLA_SECRET_TEAMS_WEBHOOK_HMAC")
                .hasMessageContaining(files.locationOf(WEBHOOK));
        assertThat(files.get(WEBHOOK)).isEmpty();
    }

    // --- configured store -------------------------------------------------------------------------------------

    @Test
    void createsTheConfiguredStore() throws Exception {
        Map<String, String> env = Map.of("TLA_SECRET_PRIMARY_KEY", "from-env");
        SecretStore envStore = SecretStores.create(TlaConfig.of(Map.of()), env);
        assertThat(envStore.kind()).isEqualTo("env");
        assertThat(envStore.get("primary-key")).hasValueSatisfying(s -> assertThat(s.reveal()).isEqualTo("from-env"));

        SecretStore fileStore = SecretStores.create(
                TlaConfig.of(Map.of("secrets.provider", "file", "data.dir", dir.toString())), env);
        assertThat(fileStore.kind()).isEqualTo("file");
        assertThat(fileStore.locationOf("primary-key"))
                .isEqualTo(dir.toAbsolutePath().resolve("secrets").resolve("primary-key").toString());
    }

    @Test
    void keyvaultStoreReadsTheConfiguredVault() {
        TlaConfig config = TlaConfig.of(Map.of("secrets.provider", "keyvault", "keyvault.url", "https://v.vault.azure.net"));
        SecretStore store = SecretStores.create(config, Map.of());
        assertThat(store).isInstanceOf(KeyVaultSecretStore.class);
        assertThat(store.kind()).isEqualTo("keyvault");
        assertThat(store.locationOf("primary-key")).isEqualTo("https://v.vault.azure.net/secrets/primary-key");
    }

    @Test
    void keyvaultStoreNeedsAnHttpsVaultUrl() {
        assertThatThrownBy(() -> SecretStores.create(TlaConfig.of(Map.of("secrets.provider", "keyvault")), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("keyvault.url");
        assertThatThrownBy(() -> SecretStores.create(TlaConfig.of(Map.of("secrets.provider", "keyvault",
                "keyvault.url", "http://v.vault.azure.net")), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("https");
    }

    @Test
    void keyvaultUsesTheClientSecretCredentialOnlyWhenTenantClientAndSecretAreAllThere() {
        Map<String, String> keys = Map.of("secrets.provider", "keyvault", "keyvault.url", "https://v.vault.azure.net",
                "keyvault.tenant-id", "t-1", "keyvault.client-id", "c-1");
        SecretsConfig all = SecretsConfig.from(TlaConfig.of(keys));
        assertThat(KeyVaultSecretStore.credentialKind(all, Map.of("AZURE_CLIENT_SECRET", "cs-value")))
                .isEqualTo("client-secret (tenant t-1, client c-1)")
                .doesNotContain("cs-value");
        assertThat(KeyVaultSecretStore.credentialKind(all, Map.of())).isEqualTo("DefaultAzureCredential");

        SecretsConfig otherVariable = SecretsConfig.from(TlaConfig.of(Map.of("keyvault.tenant-id", "t-1",
                "keyvault.client-id", "c-1", "keyvault.client-secret-env", "KV_SECRET")));
        assertThat(KeyVaultSecretStore.credentialKind(otherVariable, Map.of("KV_SECRET", "cs-value")))
                .startsWith("client-secret");
        SecretsConfig noTenant = SecretsConfig.from(TlaConfig.of(Map.of("keyvault.client-id", "c-1")));
        assertThat(KeyVaultSecretStore.credentialKind(noTenant, Map.of("AZURE_CLIENT_SECRET", "cs-value")))
                .isEqualTo("DefaultAzureCredential");
    }

    @Test
    void lookupOfAPlainStoreSaysOkOrMissingWithTheLocation() throws Exception {
        Files.writeString(dir.resolve("there"), "value-1\n");
        FileSecretStore store = new FileSecretStore(dir);

        SecretLookup there = store.lookup("there");
        assertThat(there.status()).isEqualTo(SecretStatus.OK);
        assertThat(there.store()).isEqualTo("file");
        assertThat(there.usableSecret()).hasValueSatisfying(s -> assertThat(s.reveal()).isEqualTo("value-1"));
        assertThat(there.toString()).doesNotContain("value-1");

        SecretLookup absent = store.lookup("absent");
        assertThat(absent.status()).isEqualTo(SecretStatus.MISSING);
        assertThat(absent.reason()).isEqualTo("not found in " + store.locationOf("absent"));

        SecretLookup invalid = store.lookup("../escape");
        assertThat(invalid.status()).isEqualTo(SecretStatus.UNAVAILABLE);
        assertThat(invalid.reason()).contains("invalid secret name");
    }

    // --- Secret -----------------------------------------------------------------------------------------------

    @Test
    void secretToStringNeverContainsTheValue() {
        Secret secret = new Secret(WEBHOOK, "c3VwZXItc2VjcmV0LXZhbHVl", null);
        assertThat(secret.toString()).contains(WEBHOOK).doesNotContain("c3VwZXItc2VjcmV0LXZhbHVl");
        SecretStores.ResolvedKey resolved = new SecretStores.ResolvedKey(secret, "somewhere", false);
        assertThat(resolved.toString()).doesNotContain("c3VwZXItc2VjcmV0LXZhbHVl");
        assertThat(secret.expiresOn()).isEmpty();
    }
}
