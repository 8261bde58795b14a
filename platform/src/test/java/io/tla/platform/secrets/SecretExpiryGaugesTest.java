package io.tla.platform.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tla.platform.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SecretExpiryGaugesTest {

    private final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private final MutableClock clock = new MutableClock(now);

    /** A store holding fixed secrets with expiry dates, as Key Vault would report them. */
    private record FixedStore(Map<String, Secret> secrets) implements SecretStore {
        @Override
        public Optional<Secret> get(String name) {
            return Optional.ofNullable(secrets.get(name));
        }

        @Override
        public String locationOf(String name) {
            return "fixed:" + name;
        }

        @Override
        public String kind() {
            return "fixed";
        }
    }

    @Test
    void gaugeShowsSecondsUntilExpiryPerConfiguredSecret() {
        SecretStore store = new FixedStore(Map.of(
                "api-key", new Secret("api-key", "v1", now.plus(Duration.ofDays(10))),
                "old-key", new Secret("old-key", "v2", now.minus(Duration.ofHours(1))),
                "forever", new Secret("forever", "v3", null)));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try {
            SecretExpiryGauges.register(registry, store, List.of("api-key", "old-key", "forever", "absent"), clock);

            assertThat(registry.get("tla.secret.expiry").tag("name", "api-key").gauge().value())
                    .isEqualTo(Duration.ofDays(10).toSeconds());
            assertThat(registry.get("tla.secret.expiry").tag("name", "old-key").gauge().value()).isEqualTo(-3600.0);
            assertThat(registry.get("tla.secret.expiry").tag("name", "forever").gauge().value()).isNaN();
            assertThat(registry.get("tla.secret.expiry").tag("name", "absent").gauge().value()).isNaN();
            String scrape = registry.scrape();
            assertThat(scrape).contains("tla_secret_expiry_seconds{name=\"api-key\"} 864000")
                    .contains("tla_secret_expiry_seconds{name=\"old-key\"} -3600")
                    .contains("tla_secret_expiry_seconds{name=\"absent\"} NaN")
                    .doesNotContain("v1");

            clock.advance(Duration.ofDays(1));
            assertThat(registry.get("tla.secret.expiry").tag("name", "api-key").gauge().value())
                    .isEqualTo(Duration.ofDays(9).toSeconds());
        } finally {
            registry.close();
        }
    }

    @Test
    void usableGaugeIsOneOnlyForASecretThatCanBeUsedNowWhetherOrNotItExpires() {
        SecretStore store = new FixedStore(Map.of(
                "api-key", new Secret("api-key", "v1", now.plus(Duration.ofDays(10))),
                "old-key", new Secret("old-key", "v2", now.minus(Duration.ofHours(1))),
                "forever", new Secret("forever", "v3", null)));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try {
            SecretExpiryGauges.register(registry, store, List.of("api-key", "old-key", "forever", "absent"), clock);

            String scrape = registry.scrape();
            assertThat(scrape).contains("tla_secret_usable{name=\"api-key\"} 1")
                    .contains("tla_secret_usable{name=\"forever\"} 1")
                    .contains("tla_secret_usable{name=\"old-key\"} 0")
                    .contains("tla_secret_usable{name=\"absent\"} 0");

            clock.advance(Duration.ofDays(10));
            assertThat(registry.get("tla.secret.usable").tag("name", "api-key").gauge().value()).isZero();
        } finally {
            registry.close();
        }
    }
}
