package io.tla.platform.kafka;

import io.tla.platform.config.KafkaSettings;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Client properties common to every producer, consumer, admin and Streams client of a process: the resolved
 * bootstrap servers (external or embedded) plus every {@code kafka.*} pass-through key.
 */
public record KafkaClients(String bootstrapServers, Map<String, Object> overrides) {

    public static KafkaClients of(KafkaSettings settings, String bootstrapServers) {
        return new KafkaClients(bootstrapServers, settings.clientOverrides());
    }

    /** A fresh mutable map with the common properties; callers add their own on top. */
    public Map<String, Object> properties(String clientId) {
        Map<String, Object> props = new HashMap<>(overrides);
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        return props;
    }
}
