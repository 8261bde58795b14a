package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * The management listener: dashboard, every {@code /api/*} route, {@code /metrics} and {@code /health/*}, on its own
 * address (loopback by default) so that only the webhook listener has to face Teams, and how it signs people and
 * scrapers in ({@code none}, {@code token} or {@code entra}).
 *
 * @param publicUrl base URL browsers use to reach this listener (the Entra redirect URL is built from it), never ends
 *                  with {@code /}; null: {@code http://127.0.0.1:<port>}
 * @param sessionKeySecret secret name of the session-cookie signing key, or null for a random key per process
 */
public record ManagementConfig(String host, int port, String auth, String tokenSecret, String sessionKeySecret,
                               Duration sessionTtl, String publicUrl, Entra entra) {

    public static final String HOST = "management.host";
    public static final String PORT = "management.port";
    public static final String AUTH = "management.auth";
    public static final String TOKEN_SECRET = "management.token-secret";
    public static final String SESSION_KEY_SECRET = "management.session-key-secret";
    public static final String SESSION_TTL_MINUTES = "management.session-ttl-minutes";
    public static final String PUBLIC_URL = "management.public-url";
    public static final String ENTRA_TENANT_ID = "management.entra.tenant-id";
    public static final String ENTRA_CLIENT_ID = "management.entra.client-id";
    public static final String ENTRA_CLIENT_SECRET_SECRET = "management.entra.client-secret-secret";
    public static final String ENTRA_AUTHORITY = "management.entra.authority";
    public static final String ENTRA_ALLOWED_GROUPS = "management.entra.allowed-groups";
    public static final String ENTRA_ALLOWED_ROLES = "management.entra.allowed-roles";

    public static final String AUTH_NONE = "none";
    public static final String AUTH_TOKEN = "token";
    public static final String AUTH_ENTRA = "entra";
    /** Shorter bearer tokens are refused at start: they can be guessed. */
    public static final int MIN_TOKEN_BYTES = 16;
    public static final String DEFAULT_AUTHORITY = "https://login.microsoftonline.com/{tenant}/v2.0";

    /**
     * OpenID Connect sign-in with Microsoft Entra ID for the page.
     *
     * @param authority the issuer: {@code {tenant}} already replaced by the tenant id, never ends with {@code /}
     */
    public record Entra(String tenantId, String clientId, String clientSecretSecret, String authority,
                        List<String> allowedGroups, List<String> allowedRoles) {
        public Entra {
            allowedGroups = List.copyOf(allowedGroups);
            allowedRoles = List.copyOf(allowedRoles);
        }
    }

    public static final ConfigDef DEF = new ConfigDef()
            .define(HOST, STRING, "127.0.0.1", new ConfigDef.NonEmptyString(), HIGH,
                    "Address the management listener (dashboard, /api/*, /metrics, /health/*) binds to. Loopback by"
                            + " default: reach it through SSH, a VPN or a reverse proxy, never from the internet.")
            .define(PORT, INT, 8081, Range.between(0, 65535), HIGH,
                    "Port of the management listener (0 picks a free port).")
            .define(AUTH, STRING, AUTH_NONE, ValidString.in(AUTH_NONE, AUTH_TOKEN, AUTH_ENTRA), HIGH,
                    "none: no sign-in, allowed only when management.host is a loopback address; token: a bearer"
                            + " token (secret management.token-secret) for scripts and /metrics, and a token prompt"
                            + " for the page; entra: OpenID Connect sign-in with Microsoft Entra ID for the page,"
                            + " the bearer token still for /metrics and scripted /api/*.")
            .define(TOKEN_SECRET, STRING, "management-token", new ConfigDef.NonEmptyString(), HIGH,
                    "Secret name of the management bearer token (at least 16 bytes) for management.auth=token and"
                            + " entra.")
            .define(SESSION_KEY_SECRET, STRING, null, MEDIUM,
                    "Secret name of the key (at least 32 bytes) that signs the dashboard's session cookie. Unset: a"
                            + " random key per process, so every session ends when the process restarts, and"
                            + " several instances behind one address do not share sessions.")
            .define(SESSION_TTL_MINUTES, INT, 480, Range.between(5, 7 * 24 * 60), MEDIUM,
                    "Lifetime of a dashboard session after sign-in.")
            .define(PUBLIC_URL, STRING, null, new HttpConfig.PublicUrlValidator(), MEDIUM,
                    "Base URL under which browsers reach the management listener (https://tla-admin.example.com);"
                            + " the Entra redirect URL is this plus /auth/callback. Unset:"
                            + " http://127.0.0.1:<management.port>.")
            .define(ENTRA_TENANT_ID, STRING, null, MEDIUM,
                    "Directory (tenant) id whose users may sign in (management.auth=entra).")
            .define(ENTRA_CLIENT_ID, STRING, null, MEDIUM,
                    "Application (client) id of the management app registration; ID tokens must be issued to it.")
            .define(ENTRA_CLIENT_SECRET_SECRET, STRING, "management-entra-client-secret", MEDIUM,
                    "Secret name of that app registration's client secret.")
            .define(ENTRA_AUTHORITY, STRING, DEFAULT_AUTHORITY, new ConfigDef.NonEmptyString(), LOW,
                    "OpenID Connect issuer; {tenant} stands for management.entra.tenant-id. Its"
                            + " /.well-known/openid-configuration names the endpoints and keys.")
            .define(ENTRA_ALLOWED_GROUPS, LIST, List.of(), MEDIUM,
                    "Group object ids (the ID token's groups claim) whose members may sign in.")
            .define(ENTRA_ALLOWED_ROLES, LIST, List.of(), MEDIUM,
                    "App roles (the ID token's roles claim) that may sign in; with allowed-groups, either suffices.");

    public ManagementConfig {
        publicUrl = publicUrl == null || publicUrl.isBlank() ? null : stripTrailingSlashes(publicUrl.strip());
    }

    /** No sign-in on loopback: tests and the development defaults. */
    public static ManagementConfig loopback(int port) {
        return new ManagementConfig("127.0.0.1", port, AUTH_NONE, "management-token", null, Duration.ofMinutes(480),
                null, null);
    }

    /** Bearer token and token prompt on loopback, the token under secret {@code tokenSecret}. */
    public static ManagementConfig tokenOnLoopback(int port, String tokenSecret) {
        return new ManagementConfig("127.0.0.1", port, AUTH_TOKEN, tokenSecret, null, Duration.ofMinutes(480), null,
                null);
    }

    @SuppressWarnings("unchecked")
    public static ManagementConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        String auth = (String) v.get(AUTH);
        String host = (String) v.get(HOST);
        if (AUTH_NONE.equals(auth) && !isLoopback(host)) {
            throw new ConfigException(AUTH, auth, "management.auth=none is allowed only when " + HOST
                    + " is a loopback address (it is " + host + "); set " + AUTH + "=token or entra");
        }
        Entra entra = null;
        if (AUTH_ENTRA.equals(auth)) {
            String tenant = required(v, ENTRA_TENANT_ID);
            String clientId = required(v, ENTRA_CLIENT_ID);
            List<String> groups = trimmed((List<String>) v.get(ENTRA_ALLOWED_GROUPS));
            List<String> roles = trimmed((List<String>) v.get(ENTRA_ALLOWED_ROLES));
            if (groups.isEmpty() && roles.isEmpty()) {
                // Without either, every account the tenant (or a guest invitation) has could read every tenant's data.
                throw new ConfigException(ENTRA_ALLOWED_GROUPS, "", "management.auth=entra needs "
                        + ENTRA_ALLOWED_GROUPS + " or " + ENTRA_ALLOWED_ROLES);
            }
            String authority = stripTrailingSlashes(((String) v.get(ENTRA_AUTHORITY)).strip().replace("{tenant}", tenant));
            entra = new Entra(tenant, clientId, (String) v.get(ENTRA_CLIENT_SECRET_SECRET), authority, groups, roles);
        }
        return new ManagementConfig(host, (Integer) v.get(PORT), auth, ((String) v.get(TOKEN_SECRET)).strip(),
                blankToNull((String) v.get(SESSION_KEY_SECRET)),
                Duration.ofMinutes((Integer) v.get(SESSION_TTL_MINUTES)), (String) v.get(PUBLIC_URL), entra);
    }

    /** The configured public URL, else this listener on the loopback address; never ends with {@code /}. */
    public String publicBaseUrl(int boundPort) {
        return publicUrl != null ? publicUrl : "http://127.0.0.1:" + boundPort;
    }

    public boolean authNone() {
        return AUTH_NONE.equals(auth);
    }

    public Optional<Entra> entraSettings() {
        return Optional.ofNullable(entra);
    }

    /**
     * True for {@code localhost}, {@code 127.0.0.0/8} and {@code ::1}. Only literals and {@code localhost} count: a
     * name that happens to resolve to loopback today may not tomorrow.
     */
    public static boolean isLoopback(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if ("localhost".equals(h)) {
            return true;
        }
        if (!h.matches("[0-9.]+") && !h.contains(":")) {
            return false;   // a name: not resolved here
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static String required(Map<String, Object> v, String key) {
        String value = blankToNull((String) v.get(key));
        if (value == null) {
            throw new ConfigException(key, null, "required when " + AUTH + "=" + AUTH_ENTRA);
        }
        return value;
    }

    private static List<String> trimmed(List<String> values) {
        return values.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    private static String stripTrailingSlashes(String url) {
        String result = url;
        while (result.endsWith("/")) {
            result = result.substring(0, result.length() - 1);
        }
        return result;
    }
}
