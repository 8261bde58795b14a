package io.tla.platform.secrets;

import java.util.Optional;

/** Where secrets come from. Implementations never log or echo values. */
public interface SecretStore {

    /** The secret, or empty when the store has none of that name. */
    Optional<Secret> get(String name);

    /** Where the store would look for the secret, for operators (an env variable name, a file path, a vault URL). */
    String locationOf(String name);

    /** Short name of the store kind: env, file, keyvault. */
    String kind();
}
