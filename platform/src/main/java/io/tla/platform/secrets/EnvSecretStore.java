package io.tla.platform.secrets;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Secret {@code NAME} from the environment variable {@code TLA_SECRET_<NAME upper-cased, '-' as '_'>}. */
public final class EnvSecretStore implements SecretStore {

    public static final String PREFIX = "TLA_SECRET_";

    private final Map<String, String> env;

    public EnvSecretStore(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    public static String variableFor(String name) {
        return PREFIX + name.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
    }

    @Override
    public Optional<Secret> get(String name) {
        String value = env.get(variableFor(name));
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new Secret(name, value.trim(), null));
    }

    @Override
    public String locationOf(String name) {
        return "environment variable " + variableFor(name);
    }

    @Override
    public String kind() {
        return "env";
    }
}
