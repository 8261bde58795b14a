package io.tla.platform.secrets;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A secret value with what the store knows about its validity. {@link #toString()} never shows the value, so a
 * secret that slips into a log line or an exception message stays hidden.
 */
public final class Secret {

    private final String name;
    private final String value;
    private final Instant expiresOn;

    public Secret(String name, String value, Instant expiresOn) {
        this.name = Objects.requireNonNull(name, "name");
        this.value = Objects.requireNonNull(value, "value");
        this.expiresOn = expiresOn;
    }

    public String name() {
        return name;
    }

    /** The value itself. Hand it only to the code that signs or authenticates with it. */
    public String reveal() {
        return value;
    }

    public Optional<Instant> expiresOn() {
        return Optional.ofNullable(expiresOn);
    }

    @Override
    public String toString() {
        return "Secret[" + name + ", value hidden]";
    }
}
