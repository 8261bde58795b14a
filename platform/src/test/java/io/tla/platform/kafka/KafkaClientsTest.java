package io.tla.platform.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tla.platform.config.ConfigCatalog;
import io.tla.platform.config.KafkaSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.platform.secrets.FileSecretStore;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientsTest {

    @Test
    void propertiesCarryPassThroughKeysAndTheResolvedBootstrapServers() {
        KafkaSettings settings = KafkaSettings.from(TlaConfig.of(Map.of(
                "kafka.bootstrap.servers", "configured:9092", "kafka.security.protocol", "SSL")));
        KafkaClients clients = KafkaClients.of(settings, "127.0.0.1:19092");

        Map<String, Object> props = clients.properties("tla-ingress");

        assertThat(props).containsEntry("bootstrap.servers", "127.0.0.1:19092")
                .containsEntry("client.id", "tla-ingress")
                .containsEntry("security.protocol", "SSL");
        // each caller gets its own mutable copy
        props.put("acks", "all");
        assertThat(clients.properties("other")).doesNotContainKey("acks").containsEntry("client.id", "other");
    }

    private static final String PASSWORD = "s3cret-Pa55word";

    @Test
    void scramKeysGiveEveryClientSaslSettingsWithThePasswordFromTheSecretStore(@TempDir Path dir) {
        new FileSecretStore(dir).create("kafka-password", PASSWORD);
        KafkaSettings settings = KafkaSettings.from(TlaConfig.of(Map.of("kafka.bootstrap.servers", "k:9092",
                "kafka-auth.mode", "scram-sha-512", "kafka-auth.username", "tla")));

        KafkaClients clients = KafkaClients.of(settings, "k:9092", new FileSecretStore(dir));
        Map<String, Object> props = clients.properties("tla-ingress");

        assertThat(props).containsEntry("security.protocol", "SASL_PLAINTEXT")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
        assertThat(props.get("sasl.jaas.config")).isInstanceOf(Password.class);
        assertThat(((Password) props.get("sasl.jaas.config")).value())
                .isEqualTo("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"tla\" "
                        + "password=\"" + PASSWORD + "\";");
        // whatever prints the clients or their properties shows no password
        assertThat(clients.toString()).doesNotContain(PASSWORD).contains("[hidden]");
        assertThat(props.toString()).doesNotContain(PASSWORD);
        // and Kafka's own client config takes the Password as it is
        props.put("key.serializer", StringSerializer.class);
        props.put("value.serializer", StringSerializer.class);
        assertThat(new ProducerConfig(props).getPassword("sasl.jaas.config").value()).contains(PASSWORD);
    }

    @Test
    void sha256AndTlsChooseTheMechanismAndProtocol() {
        KafkaSettings settings = KafkaSettings.from(TlaConfig.of(Map.of("kafka.bootstrap.servers", "k:9092",
                "kafka-auth.mode", "scram-sha-256", "kafka-auth.username", "app", "kafka-auth.tls", "true",
                "kafka-auth.password-secret", "broker-pw")));
        Map<String, Object> props = KafkaClients.of(settings, "k:9092",
                new EnvSecretStore(Map.of("TLA_SECRET_BROKER_PW", "pw\"with\\quote"))).properties("x");
        assertThat(props).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-256");
        assertThat(((Password) props.get("sasl.jaas.config")).value()).contains("password=\"pw\\\"with\\\\quote\";");
    }

    @Test
    void aMissingPasswordSecretIsNamedWithoutAnyValue() {
        KafkaSettings settings = KafkaSettings.from(TlaConfig.of(Map.of("kafka.bootstrap.servers", "k:9092",
                "kafka-auth.mode", "scram-sha-512", "kafka-auth.username", "tla")));
        assertThatThrownBy(() -> KafkaClients.of(settings, "k:9092", new EnvSecretStore(Map.of())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("kafka-password").hasMessageContaining("TLA_SECRET_KAFKA_PASSWORD");
    }

    @Test
    void scramNeedsAUserNameAndConflictsWithAJaasPassThrough() {
        assertThatThrownBy(() -> KafkaSettings.from(TlaConfig.of(Map.of("kafka-auth.mode", "scram-sha-512"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("kafka-auth.username");
        assertThatThrownBy(() -> KafkaSettings.from(TlaConfig.of(Map.of("kafka-auth.mode", "scram-sha-512",
                "kafka-auth.username", "tla", "kafka.sasl.jaas.config", "x password=\"" + PASSWORD + "\";"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("kafka.sasl.jaas.config")
                .hasMessageNotContaining(PASSWORD);
    }

    @Test
    void aJaasPassThroughStillWorksButIsHiddenAndWarnedAbout() {
        TlaConfig config = TlaConfig.load(null, Map.of("TLA_KAFKA_SASL_JAAS_CONFIG", "x password=\"" + PASSWORD + "\";"),
                Map.of());
        assertThat(config.warnings()).anyMatch(w -> w.contains("kafka-auth.mode") && !w.contains(PASSWORD));
        KafkaClients clients = KafkaClients.of(KafkaSettings.from(config), "k:9092");
        assertThat(((Password) clients.properties("x").get("sasl.jaas.config")).value()).contains(PASSWORD);
        assertThat(clients.toString()).doesNotContain(PASSWORD);
    }

    @Test
    void theTypedKeysHaveEnvironmentForms() {
        assertThat(ConfigCatalog.keyForEnv("TLA_KAFKA_AUTH_MODE")).isEqualTo("kafka-auth.mode");
        assertThat(ConfigCatalog.keyForEnv("TLA_KAFKA_AUTH_PASSWORD_SECRET")).isEqualTo("kafka-auth.password-secret");
        assertThat(ConfigCatalog.keyForEnv("TLA_KAFKA_SASL_MECHANISM")).isEqualTo("kafka.sasl.mechanism");
        assertThat(ConfigCatalog.isKnown("kafka-auth.username")).isTrue();
    }
}
