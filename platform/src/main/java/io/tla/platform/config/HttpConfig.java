package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigException;

/**
 * The webhook listener, the only one Teams needs to reach: {@code POST /api/messages} and {@code /health/*}. The
 * dashboard, {@code /api/*} and {@code /metrics} are on the management listener ({@link ManagementConfig}). Body
 * limit and idle timeout apply to both listeners. {@code publicUrl} is how Teams reaches the webhook listener (behind
 * a proxy or tunnel), null when not configured.
 */
public record HttpConfig(String host, int port, int maxBodyBytes, String publicUrl, Duration idleTimeout) {

    public static final String HOST = "http.host";
    public static final String PORT = "http.port";
    public static final String MAX_BODY_BYTES = "http.max-body-bytes";
    public static final String PUBLIC_URL = "http.public-url";
    public static final String IDLE_TIMEOUT_MS = "http.idle-timeout-ms";
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

    public static final ConfigDef DEF = new ConfigDef()
            .define(HOST, STRING, "0.0.0.0", new ConfigDef.NonEmptyString(), LOW,
                    "Address the webhook listener binds to (POST /api/messages and /health/* only).")
            .define(PORT, INT, 8080, Range.between(0, 65535), HIGH,
                    "Port of the webhook listener, the one Teams must reach (0 picks a free port).")
            .define(MAX_BODY_BYTES, INT, 256 * 1024, Range.between(1024, 16 * 1024 * 1024), LOW,
                    "Largest request body either listener reads; larger requests get 413.")
            .define(IDLE_TIMEOUT_MS, INT, (int) DEFAULT_IDLE_TIMEOUT.toMillis(), Range.between(1_000, 600_000), LOW,
                    "A connection that sends or takes nothing for this long is closed, on both listeners, so a slow"
                            + " sender cannot hold a thread. Keep it above the dashboard stream's 15 s heartbeat.")
            .define(PUBLIC_URL, STRING, null, new PublicUrlValidator(), MEDIUM,
                    "Base URL under which Teams reaches this server (https://tla.example.com), used for the webhook"
                            + " callback URLs `tla webhook` prints; unset: http://127.0.0.1:<http.port>.");

    /** Without a public URL, with the default idle timeout. */
    public HttpConfig(String host, int port, int maxBodyBytes) {
        this(host, port, maxBodyBytes, null);
    }

    /** With the default idle timeout. */
    public HttpConfig(String host, int port, int maxBodyBytes, String publicUrl) {
        this(host, port, maxBodyBytes, publicUrl, DEFAULT_IDLE_TIMEOUT);
    }

    public static HttpConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        String publicUrl = (String) v.get(PUBLIC_URL);
        return new HttpConfig((String) v.get(HOST), (Integer) v.get(PORT), (Integer) v.get(MAX_BODY_BYTES),
                publicUrl == null || publicUrl.isBlank() ? null : stripTrailingSlashes(publicUrl.strip()),
                Duration.ofMillis((Integer) v.get(IDLE_TIMEOUT_MS)));
    }

    /** The configured public URL, else this server on the loopback address; never ends with {@code /}. */
    public String publicBaseUrl() {
        return publicUrl != null ? publicUrl : "http://127.0.0.1:" + port;
    }

    private static String stripTrailingSlashes(String url) {
        String result = url;
        while (result.endsWith("/")) {
            result = result.substring(0, result.length() - 1);
        }
        return result;
    }

    /** An absolute http(s) URL without query or fragment (paths such as {@code /tla} behind a proxy are fine). */
    static final class PublicUrlValidator implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null || ((String) value).isBlank()) {
                return;
            }
            try {
                URI uri = new URI(((String) value).strip());
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                        || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                    throw new ConfigException(name, value, "must be an http(s) URL without query or fragment");
                }
            } catch (URISyntaxException e) {
                throw new ConfigException(name, value, "not a URL");
            }
        }

        @Override
        public String toString() {
            return "http(s) URL without query or fragment";
        }
    }
}
