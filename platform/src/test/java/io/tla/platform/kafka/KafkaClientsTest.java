package io.tla.platform.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.platform.config.KafkaSettings;
import io.tla.platform.config.TlaConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
}
