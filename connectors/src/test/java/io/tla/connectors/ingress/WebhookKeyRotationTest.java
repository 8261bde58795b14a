package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.connectors.ingress.WebhookKeys.Key;
import io.tla.connectors.ingress.WebhookKeys.KeyState;
import io.tla.connectors.ingress.WebhookKeys.Status;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.WebhookConfig.PreviousKey;
import io.tla.platform.config.WebhookConfig.Registration;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.http.Health;
import io.tla.platform.http.HttpServer;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.Secret;
import io.tla.platform.testing.MutableClock;
import io.tla.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Key rotation through the real ingress over HTTP on a real broker: each key set (the default key, registrations
 * alpha and beta) verifies with its own current key, and alpha and the default key also with their previous key
 * until its expiry. The clock is moved past the expiry to prove the previous key is then refused.
 */
class WebhookKeyRotationTest {

    private static final Instant NOW = Instant.parse("2026-11-26T09:00:00Z");
    private static final Instant UNTIL = NOW.plus(Duration.ofHours(24));
    private static final String DEFAULT_KEY = Fixtures.randomKey();
    private static final String DEFAULT_PREVIOUS_KEY = Fixtures.randomKey();
    private static final String ALPHA_KEY = Fixtures.randomKey();
    private static final String ALPHA_PREVIOUS_KEY = Fixtures.randomKey();
    private static final String BETA_KEY = Fixtures.randomKey();
    private static final String DELTA_PREVIOUS_KEY = Fixtures.randomKey();
    private static final HttpConfig HTTP = new HttpConfig("127.0.0.1", 0, 256 * 1024);
    private static final Map<String, String> STORE = Map.of(
            "teams-webhook-hmac-previous", DEFAULT_PREVIOUS_KEY,
            "teams-webhook-alpha", ALPHA_KEY,
            "teams-webhook-alpha-previous", ALPHA_PREVIOUS_KEY,
            "teams-webhook-beta", BETA_KEY,
            "teams-webhook-delta", Fixtures.randomKey(),
            "teams-webhook-delta-previous", DELTA_PREVIOUS_KEY);

    @TempDir
    static Path dir;

    private static final MutableClock clock = new MutableClock(NOW);
    private static EmbeddedKafkaBroker broker;
    private static TlaMetrics metrics;
    private static TeamsIngress ingress;
    private static HttpServer server;
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
        KafkaClients clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        TopicAdmin.ensureTopics(clients, Topics.ALL, 1, (short) 1, Duration.ofSeconds(30));
        metrics = new TlaMetrics();
        Health health = new Health();
        WebhookConfig webhook = new WebhookConfig("teams-webhook-hmac", Map.of(
                "alpha", new Registration("alpha", "teams-webhook-alpha", "tenant-alpha", null, false,
                        new PreviousKey("teams-webhook-alpha-previous", UNTIL)),
                "beta", new Registration("beta", "teams-webhook-beta", "tenant-beta", null, false),
                "delta", new Registration("delta", "teams-webhook-delta", "tenant-delta", null, false,
                        new PreviousKey("teams-webhook-delta-previous", UNTIL))),
                new PreviousKey("teams-webhook-hmac-previous", UNTIL)).withTenant("tenant-default");
        ingress = new TeamsIngress(HTTP, webhook, new Secret("teams-webhook-hmac", DEFAULT_KEY, null), clients,
                metrics, health, clock,
                name -> Optional.ofNullable(STORE.get(name)).map(value -> new Secret(name, value, null)));
        server = HttpServer.webhook(HTTP, health).routes(ingress::routes).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (ingress != null) {
            ingress.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void resetClock() {
        clock.set(NOW);
    }

    private static byte[] freshActivity() {
        ObjectNode activity = Fixtures.json(Fixtures.GROUP_CHAT, clock.instant()); // the key-expiry tests move the clock
        activity.put("id", "msg-" + UUID.randomUUID());
        ((ObjectNode) activity.get("conversation")).put("id", "19:" + UUID.randomUUID() + "@thread.v2");
        ((ObjectNode) activity.get("conversation")).remove("tenantId"); // the tenant comes from the key's binding
        activity.remove("channelData");
        return Fixtures.bytes(activity);
    }

    /** Posts a fresh activity to {@code ?id=registration} (null: no id) signed with {@code key}. */
    private static HttpResponse<String> post(String registration, String key) throws Exception {
        byte[] body = freshActivity();
        String query = registration == null ? "" : "?id=" + registration;
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/messages" + query))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .header("Authorization", HmacSignature.ofBase64Key(key).authorizationHeader(body))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static double verified(String set, Key key) {
        var counter = metrics.registry().find(WebhookKeys.VERIFIED_METRIC).tag("registration", set)
                .tag("key", key.label()).counter();
        return counter == null ? 0 : counter.count();
    }

    private static Status status(String set) {
        return ingress.keys().status().stream().filter(s -> s.name().equals(set)).findFirst().orElseThrow();
    }

    @Test
    void theCurrentKeyVerifiesAndIsCountedAsCurrent() throws Exception {
        double before = verified("alpha", Key.CURRENT);

        HttpResponse<String> response = post("alpha", ALPHA_KEY);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        assertThat(verified("alpha", Key.CURRENT)).isEqualTo(before + 1);
        assertThat(status("alpha").lastVerifiedKey()).isEqualTo(Key.CURRENT);
        assertThat(status("alpha").lastVerifiedAt()).isEqualTo(NOW);
    }

    @Test
    void thePreviousKeyIsAcceptedWithinItsGraceAndCountedAsPrevious() throws Exception {
        clock.set(UNTIL.minusSeconds(1));
        double current = verified("alpha", Key.CURRENT);
        double previous = verified("alpha", Key.PREVIOUS);

        HttpResponse<String> response = post("alpha", ALPHA_PREVIOUS_KEY);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        assertThat(verified("alpha", Key.PREVIOUS)).isEqualTo(previous + 1);
        assertThat(verified("alpha", Key.CURRENT)).isEqualTo(current);
        Status alpha = status("alpha");
        assertThat(alpha.lastVerifiedKey()).isEqualTo(Key.PREVIOUS);
        assertThat(alpha.lastVerifiedAt()).isEqualTo(UNTIL.minusSeconds(1));
        assertThat(alpha.previousAccepted()).isTrue();
        assertThat(alpha.previousUntil()).isEqualTo(UNTIL);
        assertThat(alpha.previousKey()).isEqualTo(KeyState.PRESENT);
        assertThat(metrics.scrape())
                .contains("tla_ingress_signature_verified_total{key=\"previous\",registration=\"alpha\"}");
    }

    @Test
    void thePreviousKeyIsRefusedFromItsExpiryOn() throws Exception {
        clock.set(UNTIL);
        long refusedExpired = status("alpha").refusedExpiredPrevious();
        double previous = verified("alpha", Key.PREVIOUS);

        HttpResponse<String> response = post("alpha", ALPHA_PREVIOUS_KEY);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).contains("signature does not match");
        assertThat(verified("alpha", Key.PREVIOUS)).isEqualTo(previous);
        assertThat(status("alpha").refusedExpiredPrevious()).isEqualTo(refusedExpired + 1);
        assertThat(status("alpha").previousAccepted()).isFalse();
        // the current key still verifies
        assertThat(post("alpha", ALPHA_KEY).statusCode()).isEqualTo(202);
    }

    @Test
    void theDefaultKeyRotatesTheSameWay() throws Exception {
        double previous = verified(WebhookKeys.DEFAULT_SET, Key.PREVIOUS);

        assertThat(post(null, DEFAULT_KEY).statusCode()).isEqualTo(202);
        assertThat(post(null, DEFAULT_PREVIOUS_KEY).statusCode()).isEqualTo(202);
        assertThat(verified(WebhookKeys.DEFAULT_SET, Key.PREVIOUS)).isEqualTo(previous + 1);
        assertThat(status(WebhookKeys.DEFAULT_SET).lastVerifiedKey()).isEqualTo(Key.PREVIOUS);

        clock.set(UNTIL.plusSeconds(1));
        assertThat(post(null, DEFAULT_PREVIOUS_KEY).statusCode()).isEqualTo(401);
        assertThat(post(null, DEFAULT_KEY).statusCode()).isEqualTo(202);
    }

    @Test
    void aRequestIsVerifiedWithTheKeysOfTheRegistrationItNamesOnly() throws Exception {
        long alphaRefused = status("alpha").refused();
        long betaRefused = status("beta").refused();

        // another registration's current or previous key, and the default keys, are refused
        assertThat(post("alpha", BETA_KEY).statusCode()).isEqualTo(401);
        assertThat(post("alpha", DEFAULT_KEY).statusCode()).isEqualTo(401);
        assertThat(post("alpha", DEFAULT_PREVIOUS_KEY).statusCode()).isEqualTo(401);
        assertThat(post("beta", ALPHA_KEY).statusCode()).isEqualTo(401);
        assertThat(post("beta", ALPHA_PREVIOUS_KEY).statusCode()).isEqualTo(401);
        assertThat(post(null, ALPHA_PREVIOUS_KEY).statusCode()).isEqualTo(401);
        assertThat(post(null, BETA_KEY).statusCode()).isEqualTo(401);

        assertThat(status("alpha").refused()).isEqualTo(alphaRefused + 3);
        assertThat(status("beta").refused()).isEqualTo(betaRefused + 2);
        assertThat(status("beta").previousSecret()).isNull();
        assertThat(status("beta").verifiedPrevious()).isZero();
    }

    @Test
    void aPreviousKeyVerifyingIsLoggedAsAWarningAtMostOnceAMinuteWithoutTheKey() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(WebhookKeys.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try { // registration delta is used by this test only, so no earlier warning holds this one back
            assertThat(post("delta", DELTA_PREVIOUS_KEY).statusCode()).isEqualTo(202);
            assertThat(post("delta", DELTA_PREVIOUS_KEY).statusCode()).isEqualTo(202);
            clock.set(NOW.plus(WebhookKeys.PREVIOUS_KEY_WARNING_INTERVAL));
            assertThat(post("delta", DELTA_PREVIOUS_KEY).statusCode()).isEqualTo(202);
        } finally {
            logger.detachAppender(appender);
        }
        List<ILoggingEvent> warnings = appender.list.stream()
                .filter(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains("previous_key_verified"))
                .toList();
        assertThat(warnings).hasSize(2);
        assertThat(warnings.get(0).getFormattedMessage())
                .contains("registration=delta", "previous_secret=teams-webhook-delta-previous", "until=" + UNTIL);
        // the second warning counts the request it held back and its own
        assertThat(warnings.get(1).getFormattedMessage()).contains("requests=2");
        appender.list.forEach(e -> assertThat(e.getFormattedMessage())
                .doesNotContain(DELTA_PREVIOUS_KEY, STORE.get("teams-webhook-delta")));
    }

    @Test
    void aMissingPreviousKeyLeavesTheCurrentKeyWorkingAndIsReported() {
        WebhookConfig webhook = new WebhookConfig("teams-webhook-hmac", Map.of("gamma",
                new Registration("gamma", "teams-webhook-beta", "tenant-gamma", null, false,
                        new PreviousKey("not-in-the-store", UNTIL))));
        WebhookKeys keys = new WebhookKeys(webhook, null, name -> Optional.ofNullable(STORE.get(name))
                .map(value -> new Secret(name, value, null)), new TlaMetrics().registry(), clock);
        byte[] body = freshActivity();

        assertThat(keys.verify("gamma", HmacSignature.ofBase64Key(BETA_KEY).authorizationHeader(body), body).key())
                .isEqualTo(Key.CURRENT);
        // a missing key answers like a wrong signature: a 401 tells the caller nothing about the configuration
        assertThat(keys.verify(null, HmacSignature.ofBase64Key(BETA_KEY).authorizationHeader(body), body).reason())
                .isEqualTo("signature does not match the request body");
        Status gamma = keys.status().get(1);
        assertThat(gamma.currentKey()).isEqualTo(KeyState.PRESENT);
        assertThat(gamma.previousKey()).isEqualTo(KeyState.MISSING);
        assertThat(keys.status().get(0).currentKey()).isEqualTo(KeyState.MISSING);
    }
}
