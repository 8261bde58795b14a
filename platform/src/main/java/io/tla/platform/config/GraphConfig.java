package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.ValidString;

/** Microsoft Graph, for {@code reply.sink=graph}: endpoint and app registration. */
public record GraphConfig(String baseUrl, String authMode, String staticTokenSecret, String tenantId, String clientId,
                          String clientSecretSecret) {

    public static final String BASE_URL = "graph.base-url";
    public static final String AUTH_MODE = "graph.auth.mode";
    public static final String STATIC_TOKEN_SECRET = "graph.auth.static-token-secret";
    public static final String TENANT_ID = "graph.tenant-id";
    public static final String CLIENT_ID = "graph.client-id";
    public static final String CLIENT_SECRET_SECRET = "graph.client-secret-secret";

    public static final ConfigDef DEF = new ConfigDef()
            .define(BASE_URL, STRING, "https://graph.microsoft.com/v1.0", new ConfigDef.NonEmptyString(), MEDIUM,
                    "Graph endpoint; may be plain http for a local emulator.")
            .define(AUTH_MODE, STRING, "client-secret", ValidString.in("client-secret", "obo", "static-token"), HIGH,
                    "client-secret (app-only), obo (on-behalf-of the sender), static-token (emulators only).")
            .define(STATIC_TOKEN_SECRET, STRING, "graph-token", MEDIUM,
                    "Secret name of the bearer token for graph.auth.mode=static-token.")
            .define(TENANT_ID, STRING, null, MEDIUM, "Directory (tenant) id of the app registration.")
            .define(CLIENT_ID, STRING, null, MEDIUM, "Application (client) id of the app registration.")
            .define(CLIENT_SECRET_SECRET, STRING, "graph-client-secret", MEDIUM,
                    "Secret name of the app registration's client secret.");

    public static GraphConfig from(TlaConfig config) {
        var v = config.parse(DEF);
        return new GraphConfig((String) v.get(BASE_URL), (String) v.get(AUTH_MODE), (String) v.get(STATIC_TOKEN_SECRET),
                (String) v.get(TENANT_ID), (String) v.get(CLIENT_ID), (String) v.get(CLIENT_SECRET_SECRET));
    }
}
