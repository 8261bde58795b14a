package io.tla.platform.secrets;

import java.time.Instant;
import java.util.Optional;

/** Where secrets come from. Implementations never log or echo values. */
public interface SecretStore {

    /** The secret when the store has a usable one of that name (present, enabled and valid now), else empty. */
    Optional<Secret> get(String name);

    /**
     * The secret with its status and metadata, with a reason when it cannot be used. Never throws for a missing,
     * disabled, not-yet-valid or expired secret, nor when the store cannot be read (status unavailable).
     */
    default SecretLookup lookup(String name) {
        Optional<Secret> found;
        try {
            found = get(name);
        } catch (RuntimeException e) {
            // the stores' own messages name the location, never the value
            return SecretLookup.unavailable(name, kind(), e.getMessage());
        }
        return SecretLookup.judge(name, kind(), locationOf(name), found.isPresent(), true, null,
                found.flatMap(Secret::expiresOn).orElse(null), found.orElse(null), Instant.now());
    }

    /** Where the store would look for the secret, for operators (an env variable name, a file path, a vault URL). */
    String locationOf(String name);

    /** Short name of the store kind: env, file, keyvault. */
    String kind();
}
