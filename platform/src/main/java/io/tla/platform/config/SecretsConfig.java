package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.ValidString;

/**
 * Where secrets (webhook keys, API keys, Graph credentials) come from. Their values are never configuration: even
 * Key Vault's own client secret is read from an environment variable, never from a key.
 */
public record SecretsConfig(String provider, String keyVaultUrl, String keyVaultTenantId, String keyVaultClientId,
                            String keyVaultClientSecretEnv, Duration keyVaultCacheTtl) {

    public static final String PROVIDER = "secrets.provider";
    public static final String KEYVAULT_URL = "keyvault.url";
    public static final String KEYVAULT_TENANT_ID = "keyvault.tenant-id";
    public static final String KEYVAULT_CLIENT_ID = "keyvault.client-id";
    public static final String KEYVAULT_CLIENT_SECRET_ENV = "keyvault.client-secret-env";
    public static final String KEYVAULT_CACHE_TTL_SECONDS = "keyvault.cache-ttl-seconds";

    public static final ConfigDef DEF = new ConfigDef()
            .define(PROVIDER, STRING, "env", ValidString.in("env", "file", "keyvault"), HIGH,
                    "env: secret NAME from TLA_SECRET_<NAME upper-cased, - as _>; file: data.dir/secrets/NAME; "
                            + "keyvault: Azure Key Vault at keyvault.url.")
            .define(KEYVAULT_URL, STRING, null, HIGH,
                    "Vault URL for secrets.provider=keyvault (https://NAME.vault.azure.net).")
            .define(KEYVAULT_TENANT_ID, STRING, null, MEDIUM,
                    "Directory (tenant) id for Key Vault's client-secret credential. With keyvault.client-id and the "
                            + "client secret in the environment variable named by keyvault.client-secret-env, the "
                            + "vault is read with that app registration; otherwise with DefaultAzureCredential "
                            + "(environment, workload identity, managed identity, Azure CLI, ...).")
            .define(KEYVAULT_CLIENT_ID, STRING, null, MEDIUM,
                    "Application (client) id for Key Vault's client-secret credential.")
            .define(KEYVAULT_CLIENT_SECRET_ENV, STRING, "AZURE_CLIENT_SECRET", new ConfigDef.NonEmptyString(), MEDIUM,
                    "Name of the environment variable holding the client secret for Key Vault's client-secret "
                            + "credential (the value itself is never a configuration key).")
            .define(KEYVAULT_CACHE_TTL_SECONDS, INT, 300, Range.between(0, 86_400), MEDIUM,
                    "How long a secret read from Key Vault (and its enabled, notBefore and expiresOn) is reused "
                            + "before it is read again; 0 reads it on every use.");

    public static SecretsConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        return new SecretsConfig((String) v.get(PROVIDER), (String) v.get(KEYVAULT_URL),
                (String) v.get(KEYVAULT_TENANT_ID), (String) v.get(KEYVAULT_CLIENT_ID),
                (String) v.get(KEYVAULT_CLIENT_SECRET_ENV),
                Duration.ofSeconds((Integer) v.get(KEYVAULT_CACHE_TTL_SECONDS)));
    }
}
