package io.tla.topology.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.ComplianceConfig;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.QualityConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.topology.quality.Check;
import io.tla.topology.quality.Problem;
import io.tla.topology.quality.ProviderQuality;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Which provider a tenant's request asks first: its own order, or the cheapest good enough one. */
class ProviderRoutingTest {

    private static final String TENANT = "6f1c2b7e-0000-4000-8000-000000000001";
    private static final List<String> CHAIN = List.of("premium", "budget", "midrange", "offline");

    private final Map<String, String> keys = new HashMap<>(Map.of(
            "model.providers", String.join(",", CHAIN),
            "model.provider.premium.type", "openai",
            "model.provider.premium.input-usd-per-1k-tokens", "0.005",
            "model.provider.premium.output-usd-per-1k-tokens", "0.015",
            "model.provider.budget.type", "openai",
            "model.provider.budget.input-usd-per-1k-tokens", "0.0001",
            "model.provider.budget.output-usd-per-1k-tokens", "0.0004",
            "model.provider.midrange.type", "openai",
            "model.provider.midrange.input-usd-per-1k-tokens", "0.001",
            "model.provider.midrange.output-usd-per-1k-tokens", "0.002"));
    private final ProviderQuality quality = new ProviderQuality(10, Duration.ofMinutes(60), 5,
            Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC), new SimpleMeterRegistry());

    private List<String> orderFor(String tenant) {
        TlaConfig config = TlaConfig.of(keys);
        ModelConfig model = ModelConfig.from(config);
        ProviderRouting routing = ProviderRouting.of(QualityConfig.from(config), model, quality,
                ProviderPolicy.of(ComplianceConfig.from(config), model));
        return routing.orderFor(tenant, CHAIN, name -> !name.equals("offline"));
    }

    private void answers(String provider, int passed, int failed) {
        for (int i = 0; i < passed; i++) {
            quality.answered(provider, provider + "-model", List.of());
        }
        for (int i = 0; i < failed; i++) {
            quality.answered(provider, provider + "-model", List.of(new Problem(Check.WRONG_LANGUAGE, "de", "en")));
        }
    }

    @Test
    void orderedRoutingKeepsTheConfiguredOrderAndATenantsOwnOrderWins() {
        assertThat(orderFor(TENANT)).isEqualTo(CHAIN);
        keys.put("tenant." + TENANT + ".model.providers", "midrange,premium");
        assertThat(orderFor(TENANT)).as("a provider left out is never asked").containsExactly("midrange", "premium");
        assertThat(orderFor("another-tenant")).isEqualTo(CHAIN);
    }

    @Test
    void costRoutingAsksTheCheapestCheckedProviderFirstThenTheRestInOrder() {
        keys.put("tenant." + TENANT + ".model.routing", "cost");
        // offline costs nothing but its answers are not translations: it is never picked first
        assertThat(orderFor(TENANT)).containsExactly("budget", "premium", "midrange", "offline");
        assertThat(orderFor("another-tenant")).as("routing is per tenant").isEqualTo(CHAIN);
    }

    @Test
    void costRoutingPassesOverAProviderWhosePassRateIsBelowTheMinimum() {
        keys.put(QualityConfig.ROUTING, "cost");
        answers("budget", 8, 2); // 80 %, below the default 90 %
        assertThat(orderFor(TENANT)).containsExactly("midrange", "premium", "budget", "offline");
        answers("budget", 10, 0); // the window holds the last 10: 100 %
        assertThat(orderFor(TENANT)).startsWith("budget");
    }

    @Test
    void aPassRateOnTooFewAnswersDoesNotCountYet() {
        keys.put(QualityConfig.ROUTING, "cost");
        answers("budget", 0, 4); // 4 answers, minimum 5
        assertThat(quality.passRate("budget")).isEmpty();
        assertThat(orderFor(TENANT)).startsWith("budget");
    }

    @Test
    void costRoutingOnlyPicksAProviderTheTenantsPolicyAllows() {
        keys.put("tenant." + TENANT + ".model.routing", "cost");
        keys.put("model.provider.premium.regions", "eu-west");
        keys.put("model.provider.midrange.regions", "eu-west");
        keys.put("model.provider.budget.regions", "us-east");
        keys.put("tenant." + TENANT + ".allowed-regions", "eu-west");
        assertThat(orderFor(TENANT)).startsWith("midrange");
    }

    @Test
    void aTenantOrderNamingAnUnknownProviderIsAConfigurationError() {
        keys.put("tenant." + TENANT + ".model.providers", "premium,gpt5");
        assertThatThrownBy(() -> QualityConfig.from(TlaConfig.of(keys))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("gpt5");
        keys.put("tenant." + TENANT + ".model.providers", "premium");
        keys.put("tenant." + TENANT + ".model.routing", "cheapest");
        assertThatThrownBy(() -> QualityConfig.from(TlaConfig.of(keys))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("ordered, cost");
    }
}
