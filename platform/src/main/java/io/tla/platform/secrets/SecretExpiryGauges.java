package io.tla.platform.secrets;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Collection;

/**
 * {@code tla_secret_expiry_seconds{name}}: seconds until each configured secret's {@code expiresOn}, negative once
 * expired, NaN when the secret has no expiry or cannot be read (missing, disabled, store unavailable). Read on each
 * scrape through the store, so Key Vault answers come from its cache.
 *
 * <p>{@code tla_secret_usable{name}}: 1 when the secret can be used now, 0 when it is missing, disabled, not yet
 * valid, expired or the store cannot answer. The expiry gauge's NaN cannot tell "never expires" from "missing";
 * this one can, so an alert on a missing secret does not fire for a key that simply has no expiry date.
 */
public final class SecretExpiryGauges {

    public static final String NAME = "tla.secret.expiry";
    public static final String USABLE = "tla.secret.usable";

    private SecretExpiryGauges() {
    }

    public static void register(MeterRegistry registry, SecretStore store, Collection<String> names, Clock clock) {
        for (String name : names) {
            // strong: the store may be a view nobody else holds, and a collected one would read NaN
            Gauge.builder(NAME, store, s -> secondsLeft(s, name, clock)).strongReference(true)
                    .baseUnit("seconds")
                    .description("Seconds until the secret expires (negative: expired; NaN: no expiry or not readable).")
                    .tag("name", name)
                    .register(registry);
            Gauge.builder(USABLE, store, s -> usable(s, name, clock)).strongReference(true)
                    .description("1 when the secret is usable now, 0 when missing, disabled, not yet valid, expired or unreadable.")
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

    /** Judged on {@code clock}, as the expiry gauge is, so both agree at the instant a secret expires. */
    static double usable(SecretStore store, String name, Clock clock) {
        SecretLookup lookup = store.lookup(name);
        if (!lookup.present() || !lookup.enabled() || lookup.status() == SecretStatus.NOT_YET_VALID) {
            return 0;
        }
        return lookup.expiresIn(clock.instant()).map(left -> left.isNegative() || left.isZero() ? 0.0 : 1.0)
                .orElse(1.0);
    }
}
