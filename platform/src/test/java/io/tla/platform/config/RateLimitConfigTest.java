package io.tla.platform.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class RateLimitConfigTest {

    @Test
    void unlimitedByDefaultWithAMinuteOfWaitAndAThousandWaitingPerTenant() {
        RateLimitConfig config = RateLimitConfig.from(TlaConfig.of(Map.of()));

        assertThat(config.requestsPerMinuteFor("any")).isZero();
        assertThat(config.tokensPerMinuteFor("any")).isZero();
        assertThat(config.maxWait()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.maxWaitingPerTenant()).isEqualTo(1000);
    }

    @Test
    void tenantOverridesFromTheEnvironmentApplyOnlyToThatTenant() {
        TlaConfig tla = TlaConfig.load(null, Map.of(
                "TLA_RATE_LIMIT_REQUESTS_PER_MINUTE", "6",
                "TLA_RATE_LIMIT_TOKENS_PER_MINUTE", "5000",
                "TLA_RATE_LIMIT_MAX_WAIT_SECONDS", "30",
                "TLA_RATE_LIMIT_MAX_WAITING_PER_TENANT", "50",
                "TLA_TENANT_6F1C_AB_RATE_LIMIT_REQUESTS_PER_MINUTE", "120",
                "TLA_TENANT_6F1C_AB_RATE_LIMIT_TOKENS_PER_MINUTE", "0"), Map.of());
        RateLimitConfig config = RateLimitConfig.from(tla);

        assertThat(tla.warnings()).isEmpty();
        assertThat(config.requestsPerMinuteFor("other")).isEqualTo(6);
        assertThat(config.tokensPerMinuteFor("other")).isEqualTo(5000);
        assertThat(config.requestsPerMinuteFor("6f1c-ab")).isEqualTo(120);
        assertThat(config.tokensPerMinuteFor("6f1c-ab")).as("0 lifts the limit for this tenant").isZero();
        assertThat(config.maxWait()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.maxWaitingPerTenant()).isEqualTo(50);
    }

    @Test
    void aNegativeLimitIsAnErrorNamingTheFullKey() {
        assertThatThrownBy(() -> RateLimitConfig.from(TlaConfig.of(Map.of("rate-limit.requests-per-minute", "-1"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("rate-limit.requests-per-minute");
        assertThatThrownBy(() -> RateLimitConfig.from(TlaConfig.of(
                Map.of("tenant.abc.rate-limit.tokens-per-minute", "-5"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tenant.abc.rate-limit.tokens-per-minute");
    }

    @Test
    void theKeysAreInTheGeneratedReference() {
        String reference = ConfigCatalog.markdownReference();
        assertThat(reference).contains("## Rate limit")
                .contains("| `rate-limit.requests-per-minute` | `TLA_RATE_LIMIT_REQUESTS_PER_MINUTE` |")
                .contains("| `tenant.ID.rate-limit.tokens-per-minute` | `TLA_TENANT_ID_RATE_LIMIT_TOKENS_PER_MINUTE` |");
    }
}
