package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * The dashboard store behind /api/status, /api/metrics and the web dashboard, and how long it keeps each kind
 * of row (raw telemetry events, the reply audit trail, the per-minute rollups).
 */
public record DashboardConfig(String storeUrl, String consumerGroup, int rawRetentionDays, int auditRetentionDays,
                              int rollupRetentionDays, int metricsMaxInFlight) {

    public static final String STORE_URL = "dashboard.store.url";
    public static final String CONSUMER_GROUP = "dashboard.consumer-group";
    public static final String RETENTION_RAW_DAYS = "dashboard.retention.raw-days";
    public static final String RETENTION_AUDIT_DAYS = "dashboard.retention.audit-days";
    public static final String RETENTION_ROLLUP_DAYS = "dashboard.retention.rollup-days";
    public static final String METRICS_MAX_IN_FLIGHT = "dashboard.api.metrics-max-in-flight";
    public static final int DEFAULT_METRICS_MAX_IN_FLIGHT = 4;

    public static final int DEFAULT_RAW_DAYS = 30;
    public static final int DEFAULT_AUDIT_DAYS = 90;
    public static final int DEFAULT_ROLLUP_DAYS = 400;

    public static final ConfigDef DEF = new ConfigDef()
            .define(STORE_URL, STRING, null, HIGH,
                    "JDBC URL of the store; default jdbc:sqlite:${data.dir}/dashboard.db, or jdbc:postgresql://...")
            .define(CONSUMER_GROUP, STRING, "tla-dashboard", new ConfigDef.NonEmptyString(), HIGH,
                    "Consumer group of the dashboard feed.")
            .define(RETENTION_RAW_DAYS, INT, DEFAULT_RAW_DAYS, ConfigDef.Range.atLeast(1), MEDIUM,
                    "Days raw telemetry events are kept in the store (by event time); older rows are purged "
                            + "hourly. The per-minute rollups the API reads are kept separately.")
            .define(RETENTION_AUDIT_DAYS, INT, DEFAULT_AUDIT_DAYS, ConfigDef.Range.atLeast(1), MEDIUM,
                    "Days the reply audit trail (one row per reply: who, when, provider, model, tokens, cost, "
                            + "text hash) is kept; older rows are purged hourly.")
            .define(RETENTION_ROLLUP_DAYS, INT, DEFAULT_ROLLUP_DAYS, ConfigDef.Range.atLeast(1), MEDIUM,
                    "Days the per-minute, hourly and daily rollups behind /api/metrics and /api/status are kept; "
                            + "older rows are purged hourly (an hourly or daily row once its whole hour or day is "
                            + "older).")
            .define(METRICS_MAX_IN_FLIGHT, INT, DEFAULT_METRICS_MAX_IN_FLIGHT, ConfigDef.Range.between(1, 64), MEDIUM,
                    "/api/metrics queries answered at once; a request beyond this is answered 429 with Retry-After"
                            + " and a JSON reason instead of queueing on the store.");

    /** The given store and group with the default retention. */
    public DashboardConfig(String storeUrl, String consumerGroup) {
        this(storeUrl, consumerGroup, DEFAULT_RAW_DAYS, DEFAULT_AUDIT_DAYS, DEFAULT_ROLLUP_DAYS,
                DEFAULT_METRICS_MAX_IN_FLIGHT);
    }

    public static DashboardConfig from(TlaConfig config) {
        var v = config.parse(DEF);
        String url = (String) v.get(STORE_URL);
        if (url == null) {
            url = "jdbc:sqlite:" + DataConfig.from(config).dataDir().resolve("dashboard.db");
        } else if (!url.startsWith("jdbc:sqlite:") && !url.startsWith("jdbc:postgresql:")) {
            throw new ConfigException(STORE_URL, url, "only jdbc:sqlite: and jdbc:postgresql: URLs are supported");
        }
        return new DashboardConfig(url, (String) v.get(CONSUMER_GROUP), (Integer) v.get(RETENTION_RAW_DAYS),
                (Integer) v.get(RETENTION_AUDIT_DAYS), (Integer) v.get(RETENTION_ROLLUP_DAYS),
                (Integer) v.get(METRICS_MAX_IN_FLIGHT));
    }
}
