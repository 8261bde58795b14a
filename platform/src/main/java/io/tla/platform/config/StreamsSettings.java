package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.LONG;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.ValidString;

/** The Kafka Streams application: its id (consumer group and internal topic prefix) and its guarantees. */
public record StreamsSettings(String applicationId, String processingGuarantee, int threads, long commitIntervalMs) {

    public static final String APPLICATION_ID = "streams.application-id";
    public static final String PROCESSING_GUARANTEE = "streams.processing-guarantee";
    public static final String THREADS = "streams.threads";
    public static final String COMMIT_INTERVAL_MS = "streams.commit-interval-ms";

    public static final ConfigDef DEF = new ConfigDef()
            .define(APPLICATION_ID, STRING, "tla-streams", new ConfigDef.NonEmptyString(), HIGH,
                    "Kafka Streams application id; every topology instance of one deployment shares it.")
            .define(PROCESSING_GUARANTEE, STRING, "exactly_once_v2", ValidString.in("exactly_once_v2", "at_least_once"),
                    MEDIUM, "exactly_once_v2 makes the reply and telemetry output exactly-once per input message.")
            .define(THREADS, INT, 1, Range.between(1, 64), MEDIUM,
                    "Stream threads per instance (the work is CPU-bound; scale out with instances).")
            .define(COMMIT_INTERVAL_MS, LONG, 100L, Range.between(10, 60_000), LOW,
                    "How often the topology commits; bounds the added latency of each repartition hop under EOS.");

    public static StreamsSettings from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        return new StreamsSettings((String) v.get(APPLICATION_ID), (String) v.get(PROCESSING_GUARANTEE),
                (Integer) v.get(THREADS), (Long) v.get(COMMIT_INTERVAL_MS));
    }
}
