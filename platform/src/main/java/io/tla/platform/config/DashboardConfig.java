package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/** The dashboard store behind /api/status, /api/metrics and the web dashboard. */
public record DashboardConfig(String storeUrl, String consumerGroup) {

    public static final String STORE_URL = "dashboard.store.url";
    public static final String CONSUMER_GROUP = "dashboard.consumer-group";

    public static final ConfigDef DEF = new ConfigDef()
            .define(STORE_URL, STRING, null, HIGH,
                    "JDBC URL of the store; default jdbc:sqlite:${data.dir}/dashboard.db, or jdbc:postgresql://...")
            .define(CONSUMER_GROUP, STRING, "tla-dashboard", new ConfigDef.NonEmptyString(), HIGH,
                    "Consumer group of the dashboard feed.");

    public static DashboardConfig from(TlaConfig config) {
        var v = config.parse(DEF);
        String url = (String) v.get(STORE_URL);
        if (url == null) {
            url = "jdbc:sqlite:" + DataConfig.from(config).dataDir().resolve("dashboard.db");
        } else if (!url.startsWith("jdbc:sqlite:") && !url.startsWith("jdbc:postgresql:")) {
            throw new ConfigException(STORE_URL, url, "only jdbc:sqlite: and jdbc:postgresql: URLs are supported");
        }
        return new DashboardConfig(url, (String) v.get(CONSUMER_GROUP));
    }
}
