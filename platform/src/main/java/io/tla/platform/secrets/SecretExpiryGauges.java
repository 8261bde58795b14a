package io.tla.platform.secrets;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Collection;

/**
 * {@code tla_secret_expiry_seconds{name}}: seconds until each configured secret's {@code expiresOn}, negative once
 * expired, NaN when the secret has no expiry or cannot be read (missing, disabled, store unavailable). Read on each
 * scrape through the store, so Key Vault answers come from its cache.
 */
public final class SecretExpiryGauges {

    public static final String NAME = "tla.secret.expiry";

    private SecretExpiryGauges() {
    }

    public static void register(MeterRegistry registry, SecretStore store, Collection<String> names, Clock clock) {
        for (String name : names) {
            Gauge.builder(NAME, store, s -> secondsLeft(s, name, clock))
                    .baseUnit("seconds")
                    .description("Seconds until the secret expires (negative: expired; NaN: no expiry or not readable).")
                    .tag("name", name)
                    .register(registry);
        }
    }

    static double secondsLeft(SecretStore store, String name, Clock clock) {
        SecretLookup lookup = store.lookup(name);
        if (!lookup.present() || !lookup.enabled()) {
            return Double.NaN;
        }
        return lookup.expiresIn(clock.instant()).map(left -> left.toMillis() / 1000.0).orElse(Double.NaN);
    }
}
