package io.tla.platform.secrets;

import io.tla.platform.config.DataConfig;
import io.tla.platform.config.SecretsConfig;
import io.tla.platform.config.TlaConfig;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/** Builds the configured secret store and resolves the webhook signing key. */
public final class SecretStores {

    private SecretStores() {
    }

    public static SecretStore create(TlaConfig config, Map<String, String> env) {
        SecretsConfig secrets = SecretsConfig.from(config);
        return switch (secrets.provider()) {
            case "env" -> new EnvSecretStore(env);
            case "file" -> new FileSecretStore(DataConfig.from(config).secretsDir());
            case "keyvault" -> KeyVaultSecretStore.create(secrets, env);
            default -> throw new ConfigException(SecretsConfig.PROVIDER, secrets.provider(), "unknown secret store");
        };
    }

    /** Where a resolved webhook key came from, for the start-up banner (never the value). */
    public record ResolvedKey(Secret secret, String location, boolean generated) {
    }

    /**
     * The webhook signing key {@code name}: from the configured store; else from the file store under
     * {@code data.dir/secrets}; else, when {@code generate} is set and the configured store is env or file, a new
     * random 32-byte key written to the file store. Teams shows webhook keys base64-encoded; so is the generated one.
     */
    public static ResolvedKey webhookKey(SecretStore configured, FileSecretStore fileStore, String name, boolean generate) {
        var fromConfigured = configured.get(name);
        if (fromConfigured.isPresent()) {
            return new ResolvedKey(fromConfigured.get(), configured.locationOf(name), false);
        }
        var fromFile = fileStore.get(name);
        if (fromFile.isPresent()) {
            return new ResolvedKey(fromFile.get(), fileStore.locationOf(name), false);
        }
        if (!generate || !(configured instanceof EnvSecretStore || configured instanceof FileSecretStore)) {
            throw new IllegalStateException("webhook signing key '" + name + "' not found (looked in "
                    + configured.locationOf(name) + " and " + fileStore.locationOf(name) + ")");
        }
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String encoded = Base64.getEncoder().encodeToString(key);
        try {
            fileStore.create(name, encoded);
        } catch (IllegalStateException raced) {
            // another process generated it between our read and write: use theirs
            return new ResolvedKey(fileStore.get(name).orElseThrow(), fileStore.locationOf(name), false);
        }
        return new ResolvedKey(fileStore.get(name).orElseThrow(), fileStore.locationOf(name), true);
    }
}
