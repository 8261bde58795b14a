package io.tla.platform.secrets;

import static com.github.tomakehurst.wiremock.client.WireMock.exactly;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.tla.platform.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The Key Vault store against a local server speaking Key Vault's REST API, through the real Azure SDK client. */
class KeyVaultSecretStoreTest {

    private static final String VALUE = "kv-value-7f3a9c1e-do-not-print";
    private static KeyVaultServer server;

    private final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private MutableClock clock;
    private KeyVaultSecretStore store;

    @BeforeAll
    static void startServer() {
        server = new KeyVaultServer();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void newStore() {
        server.wireMock.resetRequests();
        clock = new MutableClock(now);
        store = new KeyVaultSecretStore(server.client(), server.url(), Duration.ofMinutes(5), clock);
    }

    @Test
    void presentSecretComesWithItsValueAndMetadata() {
        server.secret("api-key", VALUE, true, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)));

        SecretLookup lookup = store.lookup("api-key");

        assertThat(lookup.status()).isEqualTo(SecretStatus.OK);
        assertThat(lookup.present()).isTrue();
        assertThat(lookup.enabled()).isTrue();
        assertThat(lookup.notBefore()).isEqualTo(now.minus(Duration.ofDays(1)));
        assertThat(lookup.expiresOn()).isEqualTo(now.plus(Duration.ofDays(30)));
        assertThat(lookup.expiresIn(now)).contains(Duration.ofDays(30));
        assertThat(lookup.reason()).isNull();
        assertThat(store.get("api-key")).hasValueSatisfying(secret -> {
            assertThat(secret.reveal()).isEqualTo(VALUE);
            assertThat(secret.expiresOn()).contains(now.plus(Duration.ofDays(30)));
        });
        assertThat(store.kind()).isEqualTo("keyvault");
    }

    @Test
    void secretWithoutDatesHasNoExpiry() {
        server.secret("no-dates", VALUE, true, null, null);

        SecretLookup lookup = store.lookup("no-dates");

        assertThat(lookup.status()).isEqualTo(SecretStatus.OK);
        assertThat(lookup.notBefore()).isNull();
        assertThat(lookup.expiresIn(now)).isEmpty();
    }

    @Test
    void missingSecretIsReportedWithWhereItWasLookedFor() {
        server.missing("nowhere");

        SecretLookup lookup = store.lookup("nowhere");

        assertThat(lookup.status()).isEqualTo(SecretStatus.MISSING);
        assertThat(lookup.present()).isFalse();
        assertThat(lookup.reason()).isEqualTo("not found in " + server.url() + "/secrets/nowhere");
        assertThat(store.get("nowhere")).isEmpty();
    }

    @Test
    void secretTheVaultRefusesAsDisabledIsDisabled() {
        server.disabled("switched-off");

        SecretLookup lookup = store.lookup("switched-off");

        assertThat(lookup.status()).isEqualTo(SecretStatus.DISABLED);
        assertThat(lookup.present()).isTrue();
        assertThat(lookup.enabled()).isFalse();
        assertThat(lookup.reason()).startsWith("disabled in ");
        assertThat(store.get("switched-off")).isEmpty();
    }

    @Test
    void secretServedWithEnabledFalseIsDisabled() {
        server.secret("flagged-off", VALUE, false, null, null);

        SecretLookup lookup = store.lookup("flagged-off");

        assertThat(lookup.status()).isEqualTo(SecretStatus.DISABLED);
        assertThat(lookup.secret()).isNull();
    }

    @Test
    void expiredSecretIsNotHandedOut() {
        Instant expired = now.minus(Duration.ofHours(2));
        server.secret("old-key", VALUE, true, null, expired);

        SecretLookup lookup = store.lookup("old-key");

        assertThat(lookup.status()).isEqualTo(SecretStatus.EXPIRED);
        assertThat(lookup.reason()).isEqualTo("expired at " + expired);
        assertThat(lookup.expiresOn()).isEqualTo(expired);
        assertThat(lookup.secret()).isNull();
        assertThat(store.get("old-key")).isEmpty();
    }

    @Test
    void secretBeforeItsNotBeforeIsNotYetValid() {
        server.secret("future-key", VALUE, true, now.plus(Duration.ofDays(1)), null);

        SecretLookup lookup = store.lookup("future-key");

        assertThat(lookup.status()).isEqualTo(SecretStatus.NOT_YET_VALID);
        assertThat(lookup.reason()).isEqualTo("not valid before " + now.plus(Duration.ofDays(1)));
        assertThat(store.get("future-key")).isEmpty();
    }

    @Test
    void secondReadWithinTheTtlMakesNoHttpCall() {
        server.secret("cached", VALUE, true, null, null);

        store.lookup("cached");
        clock.advance(Duration.ofMinutes(4));
        SecretLookup again = store.lookup("cached");

        assertThat(again.status()).isEqualTo(SecretStatus.OK);
        server.wireMock.verify(exactly(1), KeyVaultServer.requestedSecret("cached"));
    }

    @Test
    void readsTheSecretAgainAfterTheTtl() {
        server.secret("rotated", VALUE, true, null, null);
        store.lookup("rotated");

        server.secret("rotated", "new-" + VALUE, true, null, null);
        clock.advance(Duration.ofMinutes(5));
        SecretLookup refreshed = store.lookup("rotated");

        assertThat(refreshed.secret().reveal()).isEqualTo("new-" + VALUE);
        server.wireMock.verify(exactly(2), KeyVaultServer.requestedSecret("rotated"));
    }

    @Test
    void cachedSecretStopsBeingUsableWhenItExpiresWithinTheTtl() {
        server.secret("short-lived", VALUE, true, null, now.plus(Duration.ofMinutes(1)));
        assertThat(store.lookup("short-lived").status()).isEqualTo(SecretStatus.OK);

        clock.advance(Duration.ofMinutes(2));

        assertThat(store.lookup("short-lived").status()).isEqualTo(SecretStatus.EXPIRED);
        server.wireMock.verify(exactly(1), KeyVaultServer.requestedSecret("short-lived"));
    }

    @Test
    void vaultErrorMakesTheSecretUnavailableWithoutThrowing() {
        server.failing("broken", 500);

        SecretLookup lookup = store.lookup("broken");

        assertThat(lookup.status()).isEqualTo(SecretStatus.UNAVAILABLE);
        assertThat(lookup.reason()).isEqualTo("Key Vault answered HTTP 500 for " + server.url() + "/secrets/broken");
        assertThat(store.get("broken")).isEmpty();
    }

    @Test
    void lastAnswerStaysInUseWhenTheVaultFailsOnRefresh() {
        server.secret("steady", VALUE, true, null, null);
        store.lookup("steady");

        server.failing("steady", 503);
        clock.advance(Duration.ofMinutes(6));

        assertThat(store.get("steady")).hasValueSatisfying(secret -> assertThat(secret.reveal()).isEqualTo(VALUE));
        server.wireMock.verify(exactly(1 + 2), KeyVaultServer.requestedSecret("steady")); // one try and one retry
    }

    @Test
    void valueNeverAppearsInToStringExceptionsOrLogs() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger azure = (Logger) LoggerFactory.getLogger("com.azure");
        Level azureLevel = azure.getLevel();
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        root.addAppender(appender);
        azure.setLevel(Level.DEBUG);
        List<String> shown = new ArrayList<>();
        try {
            server.secret("shown", VALUE, true, null, now.plus(Duration.ofDays(3)));
            server.secret("expired-shown", VALUE, true, null, now.minus(Duration.ofDays(3)));
            server.disabled("disabled-shown");
            server.failing("failing-shown", 500);
            for (String name : List.of("shown", "expired-shown", "disabled-shown", "failing-shown")) {
                SecretLookup lookup = store.lookup(name);
                shown.add(lookup.toString());
                shown.add(String.valueOf(lookup.reason()));
                lookup.usableSecret().ifPresent(secret -> shown.add(secret.toString()));
            }
            clock.advance(Duration.ofMinutes(10));
            server.failing("shown", 500);
            shown.add(store.lookup("shown").toString());
        } finally {
            root.detachAppender(appender);
            azure.setLevel(azureLevel);
        }
        for (ILoggingEvent event : appender.list) {
            shown.add(event.getFormattedMessage());
            if (event.getThrowableProxy() != null) {
                shown.add(ThrowableProxyUtil.asString(event.getThrowableProxy()));
            }
        }

        assertThat(shown).isNotEmpty().noneMatch(text -> text.contains(VALUE));
        assertThat(appender.list).isNotEmpty(); // the capture saw the SDK's and the store's log lines
        assertThat(shown.get(0)).contains("shown", "ok");
    }

    @Test
    void cacheHoldsAtMostItsBoundOfAnswersHoweverManyNamesAreAskedFor() {
        KeyVaultSecretStore bounded = new KeyVaultSecretStore(server.client(), server.url(), Duration.ofMinutes(5),
                clock, 8);
        server.secret("api-key", VALUE, true, null, null);
        for (int i = 0; i < 40; i++) {
            server.missing("probe-" + i);
            assertThat(bounded.lookup("probe-" + i).status()).isEqualTo(SecretStatus.MISSING);
        }
        assertThat(bounded.lookup("api-key").status()).isEqualTo(SecretStatus.OK);

        assertThat(bounded.cachedAnswers()).isLessThanOrEqualTo(8);
        assertThat(new KeyVaultSecretStore(server.client(), server.url(), Duration.ofMinutes(5), clock)
                .cachedAnswers()).isZero();
        assertThat(KeyVaultSecretStore.MAX_CACHED_SECRETS).isEqualTo(1_024);
    }
}
