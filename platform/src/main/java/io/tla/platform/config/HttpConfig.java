package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;

/** The HTTP server: ingress, JSON API, dashboard and {@code /metrics} share one port. */
public record HttpConfig(String host, int port, int maxBodyBytes) {

    public static final String HOST = "http.host";
    public static final String PORT = "http.port";
    public static final String MAX_BODY_BYTES = "http.max-body-bytes";

    public static final ConfigDef DEF = new ConfigDef()
            .define(HOST, STRING, "0.0.0.0", new ConfigDef.NonEmptyString(), LOW,
                    "Address the HTTP server binds to.")
            .define(PORT, INT, 8080, Range.between(0, 65535), HIGH,
                    "Port of the ingress, the JSON API, the dashboard and /metrics (0 picks a free port).")
            .define(MAX_BODY_BYTES, INT, 256 * 1024, Range.between(1024, 16 * 1024 * 1024), LOW,
                    "Largest request body the ingress reads; larger requests get 413.");

    public static HttpConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        return new HttpConfig((String) v.get(HOST), (Integer) v.get(PORT), (Integer) v.get(MAX_BODY_BYTES));
    }
}
