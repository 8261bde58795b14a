package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.BOOLEAN;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Teams outgoing-webhook signing: the default key ({@code teams-webhook-hmac}) and named registrations, one per
 * team's webhook, each verified with its own key only. There is no unsigned mode.
 */
public record WebhookConfig(String defaultKeySecret, Map<String, Registration> registrations) {

    public static final String DEFAULT_KEY_SECRET = "webhook.default-key-secret";
    public static final String REGISTRATIONS = "webhook.registrations";
    public static final String REGISTRATION_PREFIX = "webhook.registration.";

    public static final ConfigDef DEF = new ConfigDef()
            .define(DEFAULT_KEY_SECRET, STRING, "teams-webhook-hmac", new ConfigDef.NonEmptyString(), HIGH,
                    "Secret name of the default webhook signing key (base64, as Teams shows it).")
            .define(REGISTRATIONS, LIST, List.of(), MEDIUM,
                    "Names of outgoing-webhook registrations (lower-case letters and digits).");

    public static final ConfigDef REGISTRATION_DEF = new ConfigDef()
            .define("secret", STRING, null, HIGH, "Secret name of this registration's signing key.")
            .define("tenant-id", STRING, null, MEDIUM, "Tenant id used when the activity carries none.")
            .define("team-aad-group-id", STRING, null, MEDIUM, "The team's AAD group id, for Graph replies.")
            .define("sync-reply", BOOLEAN, false, MEDIUM,
                    "Answer the webhook call with the reply when it is ready within Teams' 5-second window.");

    /** One team's outgoing webhook. */
    public record Registration(String name, String secret, String tenantId, String teamAadGroupId, boolean syncReply) {
    }

    @SuppressWarnings("unchecked")
    public static WebhookConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        Map<String, Registration> registrations = new LinkedHashMap<>();
        for (String name : (List<String>) v.get(REGISTRATIONS)) {
            if (!name.matches("[a-z0-9]+")) {
                throw new ConfigException(REGISTRATIONS, name, "registration names are lower-case letters and digits");
            }
            String prefix = REGISTRATION_PREFIX + name + ".";
            Map<String, Object> r = config.parse(prefix, REGISTRATION_DEF);
            if (r.get("secret") == null) {
                throw new ConfigException(prefix + "secret", null, "every registration needs the secret name of its key");
            }
            registrations.put(name, new Registration(name, (String) r.get("secret"), (String) r.get("tenant-id"),
                    (String) r.get("team-aad-group-id"), (Boolean) r.get("sync-reply")));
        }
        return new WebhookConfig((String) v.get(DEFAULT_KEY_SECRET), Map.copyOf(registrations));
    }
}
