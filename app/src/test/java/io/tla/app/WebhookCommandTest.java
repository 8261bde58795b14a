package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.connectors.ingress.HmacSignature;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.secrets.Secret;
import io.tla.schemas.Json;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code tla webhook add|rotate|list} against a temporary configuration file and data directory; the last test runs
 * the ingress on what the commands wrote and posts requests signed with the current and the previous key.
 */
class WebhookCommandTest {

    @TempDir
    Path dir;

    private Path config;
    private Path dataDir;
    private final List<String> keysUsed = new ArrayList<>();

    private record Run(int exitCode, String out, String err) {
        String all() {
            return out + err;
        }
    }

    @BeforeEach
    void files() throws Exception {
        dataDir = dir.resolve("data");
        config = dir.resolve("tla.properties");
        Files.writeString(config, """
                # production settings
                http.port=8181
                http.public-url=https://tla.example.com/teams/
                data.dir=%s

                ! keep this comment
                translation.target-languages=en,de
                """.formatted(dataDir.toString().replace("\\", "\\\\")));
    }

    private String newKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String encoded = Base64.getEncoder().encodeToString(key);
        keysUsed.add(encoded);
        return encoded;
    }

    private Run tla(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new TlaCommand()).setExecutionExceptionHandler(new TlaCommand.Errors());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        InputStream before = System.in;
        System.setIn(new ByteArrayInputStream((stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8)));
        try {
            int exit = cli.execute(args);
            Run run = new Run(exit, out.toString(), err.toString());
            keysUsed.forEach(key -> assertThat(run.all()).as("a key was printed").doesNotContain(key));
            return run;
        } finally {
            System.setIn(before);
        }
    }

    private WebhookConfig webhook() {
        return WebhookConfig.from(TlaConfig.load(config, Map.of(), Map.of()));
    }

    private String secret(String name) throws Exception {
        return Files.readString(dataDir.resolve("secrets").resolve(name)).strip();
    }

    @Test
    void addWritesTheRegistrationIntoTheConfigFileKeepsTheRestAndPrintsTheCallbackUrl() throws Exception {
        String original = Files.readString(config);

        Run run = tla(null, "webhook", "add", "alpha", "--tenant-id", "6f1c2b3a-tenant", "--sync-reply",
                "--config", config.toString());

        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(run.out()).contains("callback URL (paste into Teams): https://tla.example.com/teams/api/messages?id=alpha",
                "store the key Teams shows as secret teams-webhook-alpha");
        String written = Files.readString(config);
        assertThat(written).startsWith(original).contains("""
                webhook.registrations=alpha
                webhook.registration.alpha.secret=teams-webhook-alpha
                webhook.registration.alpha.tenant-id=6f1c2b3a-tenant
                webhook.registration.alpha.sync-reply=true
                """);
        WebhookConfig.Registration alpha = webhook().registrations().get("alpha");
        assertThat(alpha.secret()).isEqualTo("teams-webhook-alpha");
        assertThat(alpha.tenantId()).isEqualTo("6f1c2b3a-tenant");
        assertThat(alpha.syncReply()).isTrue();
        assertThat(Files.exists(dataDir.resolve("secrets/teams-webhook-alpha"))).isFalse();
    }

    @Test
    void addUpdatesAnExistingRegistrationsLinesInPlace() throws Exception {
        Files.writeString(config, """
                webhook.registrations = beta, \\
                    alpha
                webhook.registration.beta.secret=beta-key
                webhook.registration.beta.tenant-id=tenant-beta
                # alpha's webhook
                webhook.registration.alpha.secret: alpha-key
                webhook.registration.alpha.tenant-id=tenant-alpha
                webhook.registration.alpha.sync-reply=true
                http.port=8181
                """);

        Run run = tla(null, "webhook", "add", "alpha", "--team-aad-group-id", "02bd9fd6-group", "--no-sync-reply",
                "--config", config.toString()); // an existing registration keeps its tenant
        Run gamma = tla(null, "webhook", "add", "gamma", "--tenant-id", "tenant-gamma", "--config", config.toString());

        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(gamma.exitCode()).as(gamma.all()).isZero();
        assertThat(run.out()).contains("updated webhook registration alpha");
        assertThat(Files.readString(config)).startsWith("""
                webhook.registrations=beta,alpha,gamma
                webhook.registration.beta.secret=beta-key
                webhook.registration.beta.tenant-id=tenant-beta
                # alpha's webhook
                webhook.registration.alpha.secret=alpha-key
                webhook.registration.alpha.tenant-id=tenant-alpha
                webhook.registration.alpha.sync-reply=false
                http.port=8181
                """);
        WebhookConfig webhook = webhook();
        assertThat(webhook.registrations().keySet()).containsExactly("beta", "alpha", "gamma");
        assertThat(webhook.registrations().get("alpha").teamAadGroupId()).isEqualTo("02bd9fd6-group");
        assertThat(webhook.registrations().get("alpha").secret()).isEqualTo("alpha-key");
        assertThat(webhook.registrations().get("gamma").secret()).isEqualTo("teams-webhook-gamma");
    }

    @Test
    void addRequiresTheTenantOfANewRegistrationAndBindsItsTeam() throws Exception {
        String original = Files.readString(config);

        Run withoutTenant = tla(null, "webhook", "add", "delta", "--config", config.toString());

        assertThat(withoutTenant.exitCode()).isEqualTo(2);
        assertThat(withoutTenant.err()).contains("--tenant-id is required");
        assertThat(Files.readString(config)).isEqualTo(original);

        Run bound = tla(null, "webhook", "add", "delta", "--tenant-id", "tenant-delta", "--team-id",
                "19:0d5e2c1b8a7f4e3d9c6b5a4f3e2d1c0b@thread.tacv2", "--config", config.toString());

        assertThat(bound.exitCode()).as(bound.all()).isZero();
        assertThat(Files.readString(config))
                .contains("webhook.registration.delta.team-id=19:0d5e2c1b8a7f4e3d9c6b5a4f3e2d1c0b@thread.tacv2");
        WebhookConfig.Registration delta = webhook().registrations().get("delta");
        assertThat(delta.tenantId()).isEqualTo("tenant-delta");
        assertThat(delta.teamId()).isEqualTo("19:0d5e2c1b8a7f4e3d9c6b5a4f3e2d1c0b@thread.tacv2");
        assertThat(tla(null, "webhook", "list", "--config", config.toString()).out())
                .contains("tenant tenant-delta, team 19:0d5e2c1b8a7f4e3d9c6b5a4f3e2d1c0b@thread.tacv2");
    }

    @Test
    void addWithKeyStdinStoresTheKeyOwnerOnlyAndNeverPrintsIt() throws Exception {
        String key = newKey();

        Run run = tla(key + "\n", "webhook", "add", "alpha",
                "--tenant-id", "tenant-alpha", "--key-stdin", "--config", config.toString());

        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(run.out()).contains("stored the key as secret teams-webhook-alpha");
        Path file = dataDir.resolve("secrets/teams-webhook-alpha");
        assertThat(secret("teams-webhook-alpha")).isEqualTo(key);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.readString(config)).doesNotContain(key);

        // the same key again is fine; another key for the same secret is a rotation
        assertThat(tla(key, "webhook", "add", "alpha",
                "--tenant-id", "tenant-alpha", "--key-stdin", "--config", config.toString()).exitCode()).isZero();
        Run other = tla(newKey(), "webhook", "add", "alpha",
                "--tenant-id", "tenant-alpha", "--key-stdin", "--config", config.toString());
        assertThat(other.exitCode()).isEqualTo(2);
        assertThat(other.err()).contains("already holds another key", "tla webhook rotate alpha");
        assertThat(secret("teams-webhook-alpha")).isEqualTo(key);
    }

    @Test
    void addRefusesAnInvalidNameOrKeyAndWritesNothing() throws Exception {
        String original = Files.readString(config);
        String shortKey = Base64.getEncoder().encodeToString("too-short".getBytes(StandardCharsets.UTF_8));
        keysUsed.add(shortKey);

        Run badName = tla(null, "webhook", "add", "Team-A", "--config", config.toString());
        Run notBase64 = tla("this is not base64!", "webhook", "add", "alpha",
                "--tenant-id", "tenant-alpha", "--key-stdin", "--config", config.toString());
        Run tooShort = tla(shortKey, "webhook", "add", "alpha",
                "--tenant-id", "tenant-alpha", "--key-stdin", "--config", config.toString());
        Run empty = tla("", "webhook", "add", "alpha",
                "--tenant-id", "tenant-alpha", "--key-stdin", "--config", config.toString());

        assertThat(badName.exitCode()).isEqualTo(2);
        assertThat(badName.err()).contains("lower-case letters and digits");
        assertThat(notBase64.exitCode()).isEqualTo(2);
        assertThat(notBase64.err()).contains("not valid base64").doesNotContain("this is not base64!");
        assertThat(tooShort.exitCode()).isEqualTo(2);
        assertThat(tooShort.err()).contains("9 bytes", "at least 16");
        assertThat(empty.exitCode()).isEqualTo(2);
        assertThat(empty.err()).contains("no key on stdin");
        assertThat(Files.readString(config)).isEqualTo(original);
        assertThat(Files.exists(dataDir.resolve("secrets"))).isFalse();
    }

    @Test
    void addRefusesToWriteAConfigurationThatWouldNotLoad() throws Exception {
        Files.writeString(config, "http.port=8181\ndata.dir=" + dataDir + "\nwebhook.registration.alpha.previous-secret-until=soon\n");
        String original = Files.readString(config);

        Run run = tla(null, "webhook", "add", "alpha", "--tenant-id", "tenant-alpha", "--config", config.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("webhook.registration.alpha.previous-secret-until");
        assertThat(Files.readString(config)).isEqualTo(original);
    }

    @Test
    void addWithoutAConfigFilePrintsTheLinesToAdd() {
        Run run = tla(null, "webhook", "add", "alpha", "--tenant-id", "t1", "--set", "data.dir=" + dataDir,
                "--set", "http.port=9090");

        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(run.out()).contains("no configuration file", "  webhook.registrations=alpha",
                "  webhook.registration.alpha.secret=teams-webhook-alpha", "  webhook.registration.alpha.tenant-id=t1",
                "  webhook.registration.alpha.sync-reply=false",
                "callback URL (paste into Teams): http://127.0.0.1:9090/api/messages?id=alpha",
                "http.public-url is not set");
    }

    @Test
    void rotateKeepsTheOldKeyAsPreviousForTheGraceAndStoresTheNewOne() throws Exception {
        String oldKey = newKey();
        String newKey = newKey();
        assertThat(tla(oldKey, "webhook", "add", "alpha",
                "--tenant-id", "tenant-alpha", "--key-stdin", "--config", config.toString()).exitCode()).isZero();
        Instant before = Instant.now();

        Run run = tla(newKey + "\n", "webhook", "rotate", "alpha", "--grace", "2h", "--config", config.toString());

        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(secret("teams-webhook-alpha")).isEqualTo(newKey);
        assertThat(secret("teams-webhook-alpha-previous")).isEqualTo(oldKey);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
                dataDir.resolve("secrets/teams-webhook-alpha-previous")))).isEqualTo("rw-------");
        WebhookConfig.PreviousKey previous = webhook().registrations().get("alpha").previousKey();
        assertThat(previous.secret()).isEqualTo("teams-webhook-alpha-previous");
        assertThat(previous.until()).isBetween(before.plus(Duration.ofHours(2)).minusSeconds(1),
                Instant.now().plus(Duration.ofHours(2)));
        assertThat(run.out()).contains("the old key is accepted until " + previous.until(),
                "callback URL (unchanged): https://tla.example.com/teams/api/messages?id=alpha");

        // a second rotation within the grace replaces the previous key and moves its expiry
        String third = newKey();
        Run again = tla(third, "webhook", "rotate", "alpha", "--grace", "1d", "--config", config.toString());
        assertThat(again.exitCode()).as(again.all()).isZero();
        assertThat(again.out()).contains("no longer accepted");
        assertThat(secret("teams-webhook-alpha")).isEqualTo(third);
        assertThat(secret("teams-webhook-alpha-previous")).isEqualTo(newKey);
        assertThat(Files.readString(config)).containsOnlyOnce("webhook.registration.alpha.previous-secret-until=");
    }

    @Test
    void rotateRefusesAnUnknownRegistrationAMissingCurrentKeyOrTheSameKey() throws Exception {
        String key = newKey();
        Run unknown = tla(key, "webhook", "rotate", "alpha", "--config", config.toString());
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("no webhook registration 'alpha'");

        assertThat(tla(null, "webhook", "add", "alpha",
                "--tenant-id", "tenant-alpha", "--config", config.toString()).exitCode()).isZero();
        Run noCurrent = tla(key, "webhook", "rotate", "alpha", "--config", config.toString());
        assertThat(noCurrent.exitCode()).isEqualTo(2);
        assertThat(noCurrent.err()).contains("no current key for alpha", "--key-stdin");

        assertThat(tla(key, "webhook", "add", "alpha",
                "--tenant-id", "tenant-alpha", "--key-stdin", "--config", config.toString()).exitCode()).isZero();
        String before = Files.readString(config);
        Run same = tla(key, "webhook", "rotate", "alpha", "--config", config.toString());
        assertThat(same.exitCode()).isEqualTo(2);
        assertThat(same.err()).contains("the new key is the current key");
        Run zeroGrace = tla(newKey(), "webhook", "rotate", "alpha", "--grace", "0", "--config", config.toString());
        assertThat(zeroGrace.exitCode()).isEqualTo(2);
        assertThat(Files.readString(config)).isEqualTo(before);
        assertThat(Files.exists(dataDir.resolve("secrets/teams-webhook-alpha-previous"))).isFalse();
        assertThat(secret("teams-webhook-alpha")).isEqualTo(key);
    }

    @Test
    void listShowsEachRegistrationsKeysStateAndExpiryWithoutValuesAndFailsOnAMissingKey() throws Exception {
        String key = newKey();
        assertThat(tla(key, "webhook", "add", "alpha",
                "--tenant-id", "tenant-alpha", "--key-stdin", "--sync-reply", "--config", config.toString())
                .exitCode()).isZero();
        assertThat(tla(newKey(), "webhook", "rotate", "alpha", "--grace", "3h", "--config", config.toString())
                .exitCode()).isZero();
        assertThat(tla(null, "webhook", "add", "beta",
                "--tenant-id", "tenant-beta", "--config", config.toString()).exitCode()).isZero();
        Files.createDirectories(dataDir.resolve("secrets"));
        Files.writeString(dataDir.resolve("secrets/teams-webhook-hmac"), "not base64 !!\n");
        String until = webhook().registrations().get("alpha").previousKey().until().toString();

        Run run = tla(null, "webhook", "list", "--config", config.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(0)).startsWith("NAME").contains("SECRET", "KEY", "SYNC-REPLY", "PREVIOUS UNTIL", "CALLBACK URL");
        assertThat(lines.get(1)).contains("(default)", "teams-webhook-hmac", "unusable (file: not base64)",
                "https://tla.example.com/teams/api/messages").doesNotContain("not base64 !!");
        assertThat(lines.get(2)).contains("alpha", "teams-webhook-alpha", "usable (file)", "true",
                "teams-webhook-alpha-previous", until, "https://tla.example.com/teams/api/messages?id=alpha");
        assertThat(lines.get(3)).contains("beta", "teams-webhook-beta", "missing", "false");
        assertThat(run.err()).contains("FAIL beta: key teams-webhook-beta is missing");
    }

    @Test
    void aKeyStoredByAddCountsAsPresentForSmokeSecretsWithTheEnvStore() throws Exception {
        assertThat(tla(newKey(), "webhook", "add", "alpha",
                "--tenant-id", "tenant-alpha", "--key-stdin", "--config", config.toString()).exitCode())
                .isZero();
        Files.writeString(dataDir.resolve("secrets/teams-webhook-hmac"), newKey());

        Run run = tla(null, "smoke", "secrets", "--config", config.toString(), "--set", "secrets.provider=env");

        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(run.out()).containsPattern("teams-webhook-alpha +file +yes");
    }

    @Test
    void theIngressVerifiesARegistrationTheCommandsWroteWithItsNewAndItsPreviousKeyAndDiagnosticsSayWhich()
            throws Exception {
        String oldKey = newKey();
        String newKey = newKey();
        // the sample activities name SendCommand's tenant: the key must speak for it
        assertThat(tla(oldKey, "webhook", "add", "alpha", "--key-stdin", "--tenant-id", SendCommand.DEFAULT_TENANT,
                "--config", config.toString()).exitCode()).isZero();
        assertThat(tla(newKey, "webhook", "rotate", "alpha", "--config", config.toString()).exitCode()).isZero();
        String betaKey = newKey();
        assertThat(tla(betaKey, "webhook", "add", "beta",
                "--tenant-id", "tenant-beta", "--key-stdin", "--config", config.toString()).exitCode())
                .isZero();

        TlaConfig loaded = TlaConfig.load(config, Map.of(), Map.of("http.port", "0", "management.port", "0",
                "embedded.kafka.port", "0", "embedded.kafka.controller-port", "0"));
        try (TlaRuntime runtime = new TlaRuntime()) {
            TlaRuntime.Started started = runtime.start(loaded, EnumSet.of(Role.INGRESS), Map.of());
            String base = "http://127.0.0.1:" + started.httpPort();
            String mgmt = "http://127.0.0.1:" + started.managementPort();
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(Duration.ofSeconds(30)).until(() -> http.send(HttpRequest.newBuilder(URI.create(
                    base + "/health/ready")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
            String target = base + "/api/messages?id=alpha";

            assertThat(post(target, newKey, "m1").statusCode()).isEqualTo(202);
            assertThat(post(target, oldKey, "m2").statusCode()).isEqualTo(202);
            assertThat(post(target, betaKey, "m3").statusCode()).isEqualTo(401);

            String body = http.send(HttpRequest.newBuilder(URI.create(mgmt + "/api/diagnostics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            JsonNode signing = Json.mapper().readTree(body).get("signing");
            assertThat(signing.get("ingressInProcess").asBoolean()).isTrue();
            JsonNode alpha = signing.get("keySets").get(1);
            assertThat(alpha.get("name").asText()).isEqualTo("alpha");
            assertThat(alpha.get("previousSecret").asText()).isEqualTo("teams-webhook-alpha-previous");
            assertThat(alpha.get("previousAccepted").asBoolean()).isTrue();
            assertThat(alpha.at("/verified/current").asLong()).isEqualTo(1);
            assertThat(alpha.at("/verified/previous").asLong()).isEqualTo(1);
            assertThat(alpha.get("refused").asLong()).isEqualTo(1);
            assertThat(alpha.get("lastVerifiedKey").asText()).isEqualTo("previous");
            assertThat(alpha.get("currentKey").asText()).isEqualTo("present");
            assertThat(alpha.get("previousKey").asText()).isEqualTo("present");
            keysUsed.forEach(key -> assertThat(body).doesNotContain(key));

            String metrics = http.send(HttpRequest.newBuilder(URI.create(mgmt + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("tla_ingress_signature_verified_total{key=\"previous\",registration=\"alpha\"} 1.0");
        }
    }

    private static HttpResponse<String> post(String target, String key, String id) throws Exception {
        byte[] body = Json.mapper().writeValueAsBytes(SendCommand.activity(id + "-" + System.nanoTime(), Instant.now(),
                "Guten Morgen", SendCommand.DEFAULT_TENANT, SendCommand.DEFAULT_CONVERSATION));
        return SendCommand.postSigned(target, body, new Secret("test", key, null));
    }
}
