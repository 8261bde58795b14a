package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigException;

/**
 * The HTTP server: ingress, JSON API, dashboard and {@code /metrics} share one port. {@code publicUrl} is how Teams
 * reaches it (behind a proxy or tunnel), null when not configured.
 */
public record HttpConfig(String host, int port, int maxBodyBytes, String publicUrl) {

    public static final String HOST = "http.host";
    public static final String PORT = "http.port";
    public static final String MAX_BODY_BYTES = "http.max-body-bytes";
    public static final String PUBLIC_URL = "http.public-url";

    public static final ConfigDef DEF = new ConfigDef()
            .define(HOST, STRING, "0.0.0.0", new ConfigDef.NonEmptyString(), LOW,
                    "Address the HTTP server binds to.")
            .define(PORT, INT, 8080, Range.between(0, 65535), HIGH,
                    "Port of the ingress, the JSON API, the dashboard and /metrics (0 picks a free port).")
            .define(MAX_BODY_BYTES, INT, 256 * 1024, Range.between(1024, 16 * 1024 * 1024), LOW,
                    "Largest request body the ingress reads; larger requests get 413.")
            .define(PUBLIC_URL, STRING, null, new PublicUrlValidator(), MEDIUM,
                    "Base URL under which Teams reaches this server (https://tla.example.com), used for the webhook"
                            + " callback URLs `tla webhook` prints; unset: http://127.0.0.1:<http.port>.");

    /** Without a public URL. */
    public HttpConfig(String host, int port, int maxBodyBytes) {
        this(host, port, maxBodyBytes, null);
    }

    public static HttpConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        String publicUrl = (String) v.get(PUBLIC_URL);
        return new HttpConfig((String) v.get(HOST), (Integer) v.get(PORT), (Integer) v.get(MAX_BODY_BYTES),
                publicUrl == null || publicUrl.isBlank() ? null : stripTrailingSlashes(publicUrl.strip()));
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
