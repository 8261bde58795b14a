package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.BOOLEAN;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * How every Kafka client of a process authenticates to an external cluster: SASL/SCRAM with a user name from the
 * configuration and its password from the secret store (never a configuration value). The clients then get
 * {@code security.protocol}, {@code sasl.mechanism} and a {@code sasl.jaas.config} built from the secret.
 *
 * @param mode           none, scram-sha-512 or scram-sha-256
 * @param passwordSecret name of the secret holding the password
 * @param tls            SASL_SSL instead of SASL_PLAINTEXT (trust store settings pass through as kafka.ssl.*)
 */
public record KafkaAuthConfig(String mode, String username, String passwordSecret, boolean tls) {

    public static final String MODE = "kafka-auth.mode";
    public static final String USERNAME = "kafka-auth.username";
    public static final String PASSWORD_SECRET = "kafka-auth.password-secret";
    public static final String TLS = "kafka-auth.tls";

    public static final String DEFAULT_PASSWORD_SECRET = "kafka-password";
    public static final KafkaAuthConfig NONE = new KafkaAuthConfig("none", null, DEFAULT_PASSWORD_SECRET, false);

    /** Client keys the typed keys set: a kafka.* pass-through of any of them conflicts with kafka-auth.mode. */
    public static final Set<String> CLIENT_KEYS = Set.of("security.protocol", "sasl.mechanism", "sasl.jaas.config");

    public static final ConfigDef DEF = new ConfigDef()
            .define(MODE, STRING, "none", ValidString.in("none", "scram-sha-512", "scram-sha-256"), HIGH,
                    "How the Kafka clients authenticate to kafka.bootstrap.servers: none, or SASL/SCRAM with "
                            + "kafka-auth.username and the password in the secret kafka-auth.password-secret. Use "
                            + "these keys rather than a kafka.sasl.jaas.config pass-through, which would put the "
                            + "password into the configuration. The embedded broker ignores them.")
            .define(USERNAME, STRING, null, HIGH,
                    "SCRAM user name; required when kafka-auth.mode is not none.")
            .define(PASSWORD_SECRET, STRING, DEFAULT_PASSWORD_SECRET, new ConfigDef.NonEmptyString(), HIGH,
                    "Name of the secret holding the SCRAM password (file store: data.dir/secrets/NAME).")
            .define(TLS, BOOLEAN, false, MEDIUM,
                    "true: SASL_SSL (trust store as kafka.ssl.* pass-through keys); false: SASL_PLAINTEXT.");

    public KafkaAuthConfig {
        if (!"none".equals(mode) && (username == null || username.isBlank())) {
            throw new ConfigException(USERNAME, username, "required when " + MODE + " is " + mode);
        }
        if (username != null && (username.contains("\"") || username.contains("\\"))) {
            throw new ConfigException(USERNAME, username, "must not contain a quote or a backslash");
        }
    }

    public static KafkaAuthConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        String username = (String) v.get(USERNAME);
        return new KafkaAuthConfig((String) v.get(MODE), username == null ? null : username.trim(),
                ((String) v.get(PASSWORD_SECRET)).trim(), (Boolean) v.get(TLS));
    }

    public boolean enabled() {
        return !"none".equals(mode);
    }

    /** SCRAM-SHA-512 or SCRAM-SHA-256; only when {@link #enabled()}. */
    public String saslMechanism() {
        return mode.toUpperCase(Locale.ROOT);
    }

    public String securityProtocol() {
        return tls ? "SASL_SSL" : "SASL_PLAINTEXT";
    }
}
