package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.SHORT;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;

/**
 * How a process reaches Kafka: an external cluster ({@code kafka.bootstrap.servers}) or the embedded KRaft
 * broker, and how the contract's topics are created. Every other {@code kafka.*} key passes through to the
 * clients (e.g. {@code kafka.security.protocol}).
 */
public record KafkaSettings(Optional<String> bootstrapServers, int embeddedPort, int embeddedControllerPort,
                            int partitions, short replicationFactor, Map<String, Object> clientOverrides,
                            KafkaAuthConfig auth) {

    /** Settings without client authentication ({@code kafka-auth.mode=none}). */
    public KafkaSettings(Optional<String> bootstrapServers, int embeddedPort, int embeddedControllerPort,
                         int partitions, short replicationFactor, Map<String, Object> clientOverrides) {
        this(bootstrapServers, embeddedPort, embeddedControllerPort, partitions, replicationFactor, clientOverrides,
                KafkaAuthConfig.NONE);
    }

    public static final String BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    public static final String EMBEDDED_PORT = "embedded.kafka.port";
    public static final String EMBEDDED_CONTROLLER_PORT = "embedded.kafka.controller-port";
    public static final String TOPIC_PARTITIONS = "topics.partitions";
    public static final String TOPIC_REPLICATION_FACTOR = "topics.replication-factor";

    public static final ConfigDef DEF = new ConfigDef()
            .define(BOOTSTRAP_SERVERS, STRING, null, HIGH,
                    "Bootstrap servers of an external Kafka cluster. Unset: start the embedded KRaft broker.")
            .define(EMBEDDED_PORT, INT, 9092, Range.between(0, 65535), MEDIUM,
                    "Listener port of the embedded broker, advertised as 127.0.0.1:<port> (0 picks a free port).")
            .define(EMBEDDED_CONTROLLER_PORT, INT, null, MEDIUM,
                    "Listener port of the embedded KRaft controller on 127.0.0.1; default embedded.kafka.port + 1.")
            .define(TOPIC_PARTITIONS, INT, 6, Range.between(1, 10_000), MEDIUM,
                    "Partitions of each contract topic when this process creates it (existing topics are kept).")
            .define(TOPIC_REPLICATION_FACTOR, SHORT, (short) 1, Range.between(1, 32), MEDIUM,
                    "Replication factor of each contract topic when this process creates it (min.insync.replicas 2 "
                            + "when above 1) and of the topology's internal topics; 3 on a three-broker cluster. "
                            + "Existing topics with fewer replicas are logged as a warning at start.");

    public static KafkaSettings from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        int port = (Integer) v.get(EMBEDDED_PORT);
        Integer controllerPort = (Integer) v.get(EMBEDDED_CONTROLLER_PORT);
        if (controllerPort != null && (controllerPort < 0 || controllerPort > 65535)) {
            throw new org.apache.kafka.common.config.ConfigException(EMBEDDED_CONTROLLER_PORT, controllerPort,
                    "Value must be a port between 0 and 65535");
        }
        Map<String, Object> overrides = new TreeMap<>(config.withPrefix(ConfigCatalog.KAFKA_PASSTHROUGH_PREFIX));
        overrides.remove("bootstrap.servers");
        KafkaAuthConfig auth = KafkaAuthConfig.from(config);
        if (auth.enabled()) {
            for (String key : KafkaAuthConfig.CLIENT_KEYS) {
                if (overrides.containsKey(key)) {
                    throw new org.apache.kafka.common.config.ConfigException(
                            ConfigCatalog.KAFKA_PASSTHROUGH_PREFIX + key, "(not shown)",
                            "conflicts with " + KafkaAuthConfig.MODE + "=" + auth.mode()
                                    + ", which sets it; remove one of them");
                }
            }
        }
        return new KafkaSettings(Optional.ofNullable((String) v.get(BOOTSTRAP_SERVERS)), port,
                controllerPort != null ? controllerPort : (port == 0 ? 0 : port + 1),
                (Integer) v.get(TOPIC_PARTITIONS), (Short) v.get(TOPIC_REPLICATION_FACTOR), Map.copyOf(overrides),
                auth);
    }

    public boolean embedded() {
        return bootstrapServers.isEmpty();
    }
}
