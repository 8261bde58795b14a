package io.tla.platform.kafka;

import io.tla.platform.config.KafkaAuthConfig;
import io.tla.platform.config.KafkaSettings;
import io.tla.platform.secrets.SecretLookup;
import io.tla.platform.secrets.SecretStore;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.types.Password;

/**
 * Client properties common to every producer, consumer, admin and Streams client of a process: the resolved
 * bootstrap servers (external or embedded), every {@code kafka.*} pass-through key and, with {@code kafka-auth.*},
 * the SASL/SCRAM settings built from the password in the secret store. Values of Kafka's password-type settings
 * are held as {@link Password}, which Kafka accepts and which prints as {@code [hidden]}: neither this record nor
 * a map of its properties shows a password in a log line or an exception message.
 */
public record KafkaClients(String bootstrapServers, Map<String, Object> overrides) {

    /** Kafka client settings of type password: held as {@link Password} whatever the source. */
    private static final Set<String> PASSWORD_KEYS = Set.of(SaslConfigs.SASL_JAAS_CONFIG, "ssl.key.password",
            "ssl.keystore.password", "ssl.truststore.password", "ssl.keystore.key", "ssl.keystore.certificate.chain",
            "ssl.truststore.certificates", "sasl.oauthbearer.client.credentials.client.secret");

    /** Clients without authentication: for the embedded broker, which has none, or {@code kafka-auth.mode=none}. */
    public static KafkaClients of(KafkaSettings settings, String bootstrapServers) {
        return new KafkaClients(bootstrapServers, hidePasswords(settings.clientOverrides()));
    }

    /**
     * Clients of an external cluster: with {@code kafka-auth.mode} other than none, every client authenticates with
     * SASL/SCRAM as {@code kafka-auth.username} with the password from {@code secrets}.
     *
     * @throws IllegalStateException when the password secret is missing or unusable (the message names the secret
     *                               and where it was looked for, never a value)
     */
    public static KafkaClients of(KafkaSettings settings, String bootstrapServers, SecretStore secrets) {
        KafkaAuthConfig auth = settings.auth();
        if (!auth.enabled()) {
            return of(settings, bootstrapServers);
        }
        SecretLookup lookup = secrets.lookup(auth.passwordSecret());
        if (!lookup.usable()) {
            throw new IllegalStateException("the Kafka password secret '" + auth.passwordSecret() + "' ("
                    + KafkaAuthConfig.PASSWORD_SECRET + ") is " + lookup.status().name().toLowerCase(java.util.Locale.ROOT)
                    + (lookup.reason() != null ? ": " + lookup.reason() : ""));
        }
        Map<String, Object> props = hidePasswords(settings.clientOverrides());
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, auth.securityProtocol());
        props.put(SaslConfigs.SASL_MECHANISM, auth.saslMechanism());
        props.put(SaslConfigs.SASL_JAAS_CONFIG, new Password(
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                        + quoted(auth.username()) + "\" password=\"" + quoted(lookup.secret().reveal()) + "\";"));
        return new KafkaClients(bootstrapServers, Map.copyOf(props));
    }

    /**
     * The clients of a command-line tool ({@code tla send}, {@code glossary}, {@code replay}): the external cluster
     * with its authentication (the secret store built from {@code config} and {@code env}, only when needed), else
     * the embedded broker of a running {@code tla run} on {@code embedded.kafka.port}.
     */
    public static KafkaClients forTool(io.tla.platform.config.TlaConfig config, Map<String, String> env) {
        KafkaSettings kafka = KafkaSettings.from(config);
        if (kafka.embedded()) {
            return of(kafka, "127.0.0.1:" + kafka.embeddedPort());
        }
        String bootstrap = kafka.bootstrapServers().orElseThrow();
        return kafka.auth().enabled()
                ? of(kafka, bootstrap, io.tla.platform.secrets.SecretStores.create(config, env))
                : of(kafka, bootstrap);
    }

    private static String quoted(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static Map<String, Object> hidePasswords(Map<String, Object> overrides) {
        Map<String, Object> copy = new HashMap<>(overrides);
        for (String key : PASSWORD_KEYS) {
            if (copy.get(key) instanceof String value) {
                copy.put(key, new Password(value));
            }
        }
        return copy;
    }

    /** A fresh mutable map with the common properties; callers add their own on top. */
    public Map<String, Object> properties(String clientId) {
        Map<String, Object> props = new HashMap<>(overrides);
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        return props;
    }
}
