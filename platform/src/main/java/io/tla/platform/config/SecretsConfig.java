package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.ValidString;

/** Where secrets (webhook keys, API keys, Graph credentials) come from. Their values are never configuration. */
public record SecretsConfig(String provider, String keyVaultUrl) {

    public static final String PROVIDER = "secrets.provider";
    public static final String KEYVAULT_URL = "keyvault.url";

    public static final ConfigDef DEF = new ConfigDef()
            .define(PROVIDER, STRING, "env", ValidString.in("env", "file", "keyvault"), HIGH,
                    "env: secret NAME from TLA_SECRET_<NAME upper-cased, - as _>; file: data.dir/secrets/NAME; "
                            + "keyvault: Azure Key Vault at keyvault.url.")
            .define(KEYVAULT_URL, STRING, null, HIGH, "Vault URL for secrets.provider=keyvault.");

    public static SecretsConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        return new SecretsConfig((String) v.get(PROVIDER), (String) v.get(KEYVAULT_URL));
    }
}
