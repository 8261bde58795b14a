package io.tla.platform.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tla.platform.config.WebhookConfig.PreviousKey;
import io.tla.platform.config.WebhookConfig.Registration;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class WebhookConfigTest {

    private static WebhookConfig parse(Map<String, String> values) {
        return WebhookConfig.from(TlaConfig.of(values));
    }

    @Test
    void aRegistrationMayHoldAPreviousKeyUntilAnInstant() {
        WebhookConfig config = parse(Map.of(
                "webhook.registrations", "alpha, beta",
                "webhook.registration.alpha.secret", "teams-webhook-alpha",
                "webhook.registration.alpha.previous-secret", "teams-webhook-alpha-previous",
                "webhook.registration.alpha.previous-secret-until", "2026-11-27T09:00:00Z",
                "webhook.registration.alpha.sync-reply", "true",
                "webhook.registration.alpha.tenant-id", "tenant-a",
                "webhook.registration.beta.secret", "teams-webhook-beta",
                "webhook.registration.beta.tenant-id", "tenant-b"));

        Registration alpha = config.registrations().get("alpha");
        assertThat(alpha.secret()).isEqualTo("teams-webhook-alpha");
        assertThat(alpha.syncReply()).isTrue();
        assertThat(alpha.previousKey()).isEqualTo(
                new PreviousKey("teams-webhook-alpha-previous", Instant.parse("2026-11-27T09:00:00Z")));
        assertThat(config.registrations().get("beta").previousKey()).isNull();
        assertThat(config.registrations().keySet()).containsExactly("alpha", "beta");
        assertThat(config.defaultPreviousKey()).isNull();
    }

    @Test
    void theAnswerBudgetDefaultsTo4500MsAndMustStayBelowTeamsFiveSecondWindow() {
        assertThat(parse(Map.of()).answerWithin()).isEqualTo(Duration.ofMillis(4_000));
        assertThat(parse(Map.of("webhook.answer-within-ms", "4999")).answerWithin()).isEqualTo(Duration.ofMillis(4_999));
        assertThatThrownBy(() -> parse(Map.of("webhook.answer-within-ms", "5000")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("webhook.answer-within-ms");
        assertThatThrownBy(() -> parse(Map.of("webhook.answer-within-ms", "100")))
                .isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> new WebhookConfig("k", Map.of()).withAnswerWithin(Duration.ofSeconds(5)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void thePreviousKeyIsAcceptedUpToButExcludingItsExpiry() {
        PreviousKey previous = new PreviousKey("old", Instant.parse("2026-11-27T09:00:00Z"));

        assertThat(previous.acceptedAt(Instant.parse("2026-11-27T08:59:59.999Z"))).isTrue();
        assertThat(previous.acceptedAt(Instant.parse("2026-11-27T09:00:00Z"))).isFalse();
    }

    @Test
    void theDefaultKeyMayHoldAPreviousKeyToo() {
        WebhookConfig config = parse(Map.of(
                "webhook.default-key-previous-secret", "teams-webhook-hmac-previous",
                "webhook.default-key-previous-secret-until", "2026-11-27T09:00:00Z"));

        assertThat(config.defaultKeySecret()).isEqualTo("teams-webhook-hmac");
        assertThat(config.defaultPreviousKey()).isEqualTo(
                new PreviousKey("teams-webhook-hmac-previous", Instant.parse("2026-11-27T09:00:00Z")));
    }

    @Test
    void aPreviousKeyWithoutExpiryIsRefusedNamingTheMissingKey() {
        assertThatThrownBy(() -> parse(Map.of("webhook.registrations", "alpha",
                "webhook.registration.alpha.secret", "a",
                "webhook.registration.alpha.previous-secret", "a-previous")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("webhook.registration.alpha.previous-secret-until")
                .hasMessageContaining("needs an expiry");
        assertThatThrownBy(() -> parse(Map.of("webhook.default-key-previous-secret", "old")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("webhook.default-key-previous-secret-until");
    }

    @Test
    void anExpiryWithoutAPreviousKeyIsRefused() {
        assertThatThrownBy(() -> parse(Map.of("webhook.registrations", "alpha",
                "webhook.registration.alpha.secret", "a",
                "webhook.registration.alpha.previous-secret-until", "2026-11-27T09:00:00Z")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("webhook.registration.alpha.previous-secret");
    }

    @Test
    void anExpiryThatIsNotAnIsoInstantIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> parse(Map.of("webhook.registrations", "alpha",
                "webhook.registration.alpha.secret", "a",
                "webhook.registration.alpha.previous-secret", "a-previous",
                "webhook.registration.alpha.previous-secret-until", "tomorrow")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("webhook.registration.alpha.previous-secret-until")
                .hasMessageContaining("ISO-8601");
        assertThatThrownBy(() -> parse(Map.of("webhook.default-key-previous-secret", "old",
                "webhook.default-key-previous-secret-until", "2026-11-27")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("webhook.default-key-previous-secret-until");
    }

    @Test
    void thePreviousKeyMustBeAnotherSecretThanTheCurrentOne() {
        assertThatThrownBy(() -> parse(Map.of("webhook.registrations", "alpha",
                "webhook.registration.alpha.secret", "a",
                "webhook.registration.alpha.previous-secret", "a",
                "webhook.registration.alpha.previous-secret-until", "2026-11-27T09:00:00Z")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("different secret");
    }

    @Test
    void registrationNamesAreLowerCaseLettersAndDigitsAndUnique() {
        assertThatThrownBy(() -> parse(Map.of("webhook.registrations", "Team-A")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("lower-case letters and digits");
        assertThatThrownBy(() -> parse(Map.of("webhook.registrations", "alpha,alpha",
                "webhook.registration.alpha.secret", "a", "webhook.registration.alpha.tenant-id", "t")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unique");
    }

    @Test
    void aRegistrationWithoutTenantIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> parse(Map.of("webhook.registrations", "alpha",
                "webhook.registration.alpha.secret", "a")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("webhook.registration.alpha.tenant-id")
                .hasMessageContaining("tenant its key speaks for");
        assertThatThrownBy(() -> new Registration("alpha", "a", " ", null, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tenant");
    }

    @Test
    void aRegistrationMayBeBoundToOneTeam() {
        WebhookConfig config = parse(Map.of("webhook.registrations", "alpha",
                "webhook.registration.alpha.secret", "a",
                "webhook.registration.alpha.tenant-id", "tenant-a",
                "webhook.registration.alpha.team-id", "19:abc@thread.tacv2"));

        Registration alpha = config.registrations().get("alpha");
        assertThat(alpha.tenantId()).isEqualTo("tenant-a");
        assertThat(alpha.teamId()).isEqualTo("19:abc@thread.tacv2");
        assertThat(ConfigCatalog.isKnown("webhook.registration.alpha.team-id")).isTrue();
    }

    @Test
    void theDefaultKeyWithoutTenantIsDevelopmentModeAndWithOneIsBound() {
        WebhookConfig development = parse(Map.of());
        assertThat(development.developmentMode()).isTrue();
        assertThat(development.maxClockSkew()).hasSeconds(300);

        WebhookConfig bound = parse(Map.of("webhook.tenant-id", "tenant-a", "webhook.max-clock-skew-seconds", "60",
                "webhook.max-in-flight", "50"));
        assertThat(bound.developmentMode()).isFalse();
        assertThat(bound.tenantId()).isEqualTo("tenant-a");
        assertThat(bound.maxClockSkew()).hasSeconds(60);
        assertThat(bound.maxInFlight()).isEqualTo(50);
        assertThatThrownBy(() -> parse(Map.of("webhook.max-clock-skew-seconds", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("webhook.max-clock-skew-seconds");
    }

    @Test
    void aRegistrationWithoutSecretIsRefused() {
        assertThatThrownBy(() -> parse(Map.of("webhook.registrations", "alpha")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("webhook.registration.alpha.secret");
    }

    @Test
    void thePreviousKeySettingsHaveEnvironmentFormsThatMapBack() {
        assertThat(ConfigCatalog.keyForEnv("TLA_WEBHOOK_REGISTRATION_ALPHA_PREVIOUS_SECRET"))
                .isEqualTo("webhook.registration.alpha.previous-secret");
        assertThat(ConfigCatalog.keyForEnv("TLA_WEBHOOK_REGISTRATION_ALPHA_PREVIOUS_SECRET_UNTIL"))
                .isEqualTo("webhook.registration.alpha.previous-secret-until");
        assertThat(ConfigCatalog.keyForEnv("TLA_WEBHOOK_REGISTRATION_ALPHA_SECRET"))
                .isEqualTo("webhook.registration.alpha.secret");
        assertThat(ConfigCatalog.keyForEnv("TLA_WEBHOOK_DEFAULT_KEY_PREVIOUS_SECRET_UNTIL"))
                .isEqualTo("webhook.default-key-previous-secret-until");
        assertThat(ConfigCatalog.isKnown("webhook.registration.alpha.previous-secret-until")).isTrue();
    }

    @Test
    void thePublicUrlMustBeAnHttpUrlAndDefaultsToTheLoopbackPort() {
        assertThat(HttpConfig.from(TlaConfig.of(Map.of("http.port", "8181"))).publicBaseUrl())
                .isEqualTo("http://127.0.0.1:8181");
        assertThat(HttpConfig.from(TlaConfig.of(Map.of("http.public-url", "https://tla.example.com/teams/")))
                .publicBaseUrl()).isEqualTo("https://tla.example.com/teams");
        assertThatThrownBy(() -> HttpConfig.from(TlaConfig.of(Map.of("http.public-url", "tla.example.com"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("http.public-url");
        assertThatThrownBy(() -> HttpConfig.from(TlaConfig.of(Map.of("http.public-url", "https://x.example/?a=b"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("without query");
    }
}
