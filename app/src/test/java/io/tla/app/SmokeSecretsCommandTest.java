package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.platform.secrets.KeyVaultServer;
import io.tla.platform.secrets.KeyVaultSecretStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SmokeSecretsCommandTest {

    private static final String WEBHOOK_VALUE = "d2ViaG9vay1rZXktdmFsdWUtMQ==";
    private static final String API_KEY_VALUE = "sk-smoke-api-key-value-9d2f";
    private static KeyVaultServer vault;

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void startVault() {
        vault = new KeyVaultServer();
    }

    @AfterAll
    static void stopVault() {
        vault.close();
    }

    private int execute(String... args) {
        return new CommandLine(new TlaCommand())
                .setExecutionExceptionHandler(new TlaCommand.Errors())
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
    }

    /** {@code smoke secrets} with its store pointed at the local Key Vault server. */
    private int executeAgainstVault(String... args) {
        KeyVaultSecretStore store = new KeyVaultSecretStore(vault.client(), vault.url(), Duration.ofMinutes(5),
                Clock.systemUTC());
        return new CommandLine(new SmokeCommand.Secrets(config -> store, Clock.systemUTC()))
                .setExecutionExceptionHandler(new TlaCommand.Errors())
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
    }

    private Path config(String store, String apiKeySecret) throws Exception {
        Path file = dir.resolve("tla.properties");
        Files.writeString(file, String.join("\n",
                "secrets.provider=" + store,
                "data.dir=" + dir.resolve("data"),
                "model.providers=primary,offline",
                "model.provider.primary.type=openai",
                "model.provider.primary.base-url=http://127.0.0.1:11434/v1",
                "model.provider.primary.api-key-secret=" + apiKeySecret,
                "webhook.tenant-id=6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c", ""));
        return file;
    }

    private void fileSecret(String name, String value) throws Exception {
        Path secrets = Files.createDirectories(dir.resolve("data").resolve("secrets"));
        Files.writeString(secrets.resolve(name), value + "\n");
    }

    @Test
    void passesForPresentSecretsFromTheFileStoreAndPrintsNoValue() throws Exception {
        fileSecret("teams-webhook-hmac", WEBHOOK_VALUE);
        fileSecret("primary-key", API_KEY_VALUE);

        int exit = execute("smoke", "secrets", "--config", config("file", "primary-key").toString(),
                "--min-validity", "14d", "--verify-readiness");

        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString())
                .contains("NAME", "STORE", "PRESENT", "ENABLED", "EXPIRES IN", "STATUS")
                .containsPattern("teams-webhook-hmac +file +yes +yes +never +ok")
                .containsPattern("primary-key +file +yes +yes +never +ok +model.provider.primary.api-key-secret")
                .contains("readiness: " + dir.resolve("data/readiness") + " is writable (readiness file "
                        + dir.resolve("data/readiness/last-smoke.json") + ")")
                .contains("smoke secrets: ok");
        assertThat(out + err.toString()).doesNotContain(WEBHOOK_VALUE).doesNotContain(API_KEY_VALUE);
    }

    @Test
    void failsForAMissingSecretNamingItAndWhy() throws Exception {
        fileSecret("teams-webhook-hmac", WEBHOOK_VALUE);

        int exit = execute("smoke", "secrets", "--config", config("file", "primary-key").toString());

        assertThat(exit).isEqualTo(1);
        assertThat(out.toString()).containsPattern("primary-key +file +no +- +- +missing");
        assertThat(err.toString()).contains("FAIL secret primary-key: missing (not found in "
                + dir.resolve("data").resolve("secrets").resolve("primary-key") + ")");
        assertThat(out.toString()).contains("smoke secrets: 1 failure(s)");
    }

    @Test
    void failsForAnExpiredKeyVaultSecret() throws Exception {
        Instant expired = Instant.now().minus(Duration.ofDays(2)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        vault.secret("teams-webhook-hmac", WEBHOOK_VALUE, true, null, Instant.now().plus(Duration.ofDays(90)));
        vault.secret("stale-key", API_KEY_VALUE, true, null, expired);

        int exit = executeAgainstVault("--config", config("keyvault", "stale-key").toString());

        assertThat(exit).isEqualTo(1);
        assertThat(out.toString())
                .containsPattern("teams-webhook-hmac +keyvault +yes +yes +89d 23h +ok")
                .containsPattern("stale-key +keyvault +yes +yes +expired 2d ago +expired");
        assertThat(err.toString()).contains("FAIL secret stale-key: expired (expired at " + expired + ")")
                .doesNotContain("teams-webhook-hmac");
        assertThat(out + err.toString()).doesNotContain(WEBHOOK_VALUE).doesNotContain(API_KEY_VALUE);
    }

    @Test
    void failsForAKeyVaultSecretExpiringWithinTheWindowOrDisabled() throws Exception {
        vault.secret("teams-webhook-hmac", WEBHOOK_VALUE, true, null, null);
        vault.secret("soon-key", API_KEY_VALUE, true, null, Instant.now().plus(Duration.ofDays(3)).plusSeconds(60));

        assertThat(executeAgainstVault("--config", config("keyvault", "soon-key").toString())).isZero();
        assertThat(executeAgainstVault("--config", config("keyvault", "soon-key").toString(), "--min-validity", "14d"))
                .isEqualTo(1);
        assertThat(out.toString()).containsPattern("soon-key +keyvault +yes +yes +3d +expiring");
        assertThat(err.toString()).contains("FAIL secret soon-key: expires in 3d (at ").contains("within --min-validity 14d");

        vault.disabled("off-key");
        assertThat(executeAgainstVault("--config", config("keyvault", "off-key").toString())).isEqualTo(1);
        assertThat(out.toString()).containsPattern("off-key +keyvault +yes +no +- +disabled");
        assertThat(err.toString()).contains("FAIL secret off-key: disabled (disabled in " + vault.url() + "/secrets/off-key)");
    }

    @Test
    void readinessCheckFailsWhileTheDefaultWebhookKeyIsBoundToNoTenant() throws Exception {
        fileSecret("teams-webhook-hmac", WEBHOOK_VALUE);
        fileSecret("primary-key", API_KEY_VALUE);
        Path config = config("file", "primary-key");
        Files.writeString(config, Files.readString(config).replace("webhook.tenant-id=", "# webhook.tenant-id="));

        assertThat(execute("smoke", "secrets", "--config", config.toString())).as("without --verify-readiness").isZero();
        int exit = execute("smoke", "secrets", "--config", config.toString(), "--verify-readiness");

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("FAIL readiness: the default webhook key is bound to no tenant",
                "development mode");
    }

    @Test
    void aWebhookKeyShorterThan16BytesFails() throws Exception {
        String shortKey = Base64.getEncoder().encodeToString("only-12-byte".getBytes());
        fileSecret("teams-webhook-hmac", shortKey);
        fileSecret("primary-key", API_KEY_VALUE);

        int exit = execute("smoke", "secrets", "--config", config("file", "primary-key").toString());

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("FAIL secret teams-webhook-hmac: unusable as a webhook key",
                "expected at least 16").doesNotContain(shortKey);
    }

    @Test
    void readinessCheckFailsWhenDataDirIsNotWritable() throws Exception {
        fileSecret("teams-webhook-hmac", WEBHOOK_VALUE);
        fileSecret("primary-key", API_KEY_VALUE);
        Path config = config("file", "primary-key");
        Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");

        int exit = execute("smoke", "secrets", "--config", config.toString(), "--verify-readiness",
                "--set", "data.dir=" + notADirectory);

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("FAIL readiness: cannot write the readiness file "
                + notADirectory.resolve("readiness/last-smoke.json"));
    }

    @Test
    void minValidityTakesShortAndIsoDurations() {
        SmokeCommand.DurationConverter converter = new SmokeCommand.DurationConverter();
        assertThat(converter.convert("14d")).isEqualTo(Duration.ofDays(14));
        assertThat(converter.convert("12h")).isEqualTo(Duration.ofHours(12));
        assertThat(converter.convert("0")).isEqualTo(Duration.ZERO);
        assertThat(converter.convert("P2DT3H")).isEqualTo(Duration.ofHours(51));
        assertThat(execute("smoke", "secrets", "--min-validity", "14")).isEqualTo(2);
        assertThat(err.toString()).contains("--min-validity");
    }

    @Test
    void smokeListsItsChecks() {
        assertThat(execute("smoke")).isZero();
        assertThat(out.toString()).contains("secrets");
    }
}
