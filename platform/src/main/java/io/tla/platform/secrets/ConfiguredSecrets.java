package io.tla.platform.secrets;

import io.tla.platform.config.GraphConfig;
import io.tla.platform.config.KafkaAuthConfig;
import io.tla.platform.config.KafkaSettings;
import io.tla.platform.config.ManagementConfig;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.config.TeamsBotConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.WebhookConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every secret the configuration names, in one place, so the expiry gauge and {@code tla smoke secrets} see the
 * same list: the default webhook key, each webhook registration's key, each provider's API key in
 * {@code model.providers}, and when {@code reply.sink=graph} the Graph credential of the configured auth mode and,
 * when team lookups are configured ({@code teams.bot.app-id}), the bot's client secret; the management token (and
 * session key, Entra client secret) when {@code management.auth} is not {@code none}; the Kafka password when
 * {@code kafka-auth.mode} is not {@code none} and the clients use an external cluster.
 */
public final class ConfiguredSecrets {

    /** A secret name and the settings that use it (for operators: why it must exist). */
    public record ConfiguredSecret(String name, List<String> usedBy) {
        public ConfiguredSecret {
            usedBy = List.copyOf(usedBy);
        }
    }

    private ConfiguredSecrets() {
    }

    public static List<ConfiguredSecret> of(TlaConfig config) {
        Map<String, List<String>> names = new LinkedHashMap<>();
        WebhookConfig webhook = WebhookConfig.from(config);
        add(names, webhook.defaultKeySecret(), WebhookConfig.DEFAULT_KEY_SECRET);
        webhook.registrations().values().stream()
                .sorted((a, b) -> a.name().compareTo(b.name()))
                .forEach(r -> add(names, r.secret(), WebhookConfig.REGISTRATION_PREFIX + r.name() + ".secret"));
        ModelConfig model = ModelConfig.from(config);
        for (String provider : model.providerOrder()) {
            add(names, model.providers().get(provider).apiKeySecret(),
                    ModelConfig.PROVIDER_PREFIX + provider + ".api-key-secret");
        }
        // Graph credentials matter only when replies go to Graph; the outbox sink needs none.
        if ("graph".equals(ReplyConfig.from(config).sink())) {
            GraphConfig graph = GraphConfig.from(config);
            if ("static-token".equals(graph.authMode())) {
                add(names, graph.staticTokenSecret(), GraphConfig.STATIC_TOKEN_SECRET);
            } else {
                add(names, graph.clientSecretSecret(), GraphConfig.CLIENT_SECRET_SECRET);
            }
            TeamsBotConfig bot = TeamsBotConfig.from(config);
            if (bot.lookups()) {
                add(names, bot.appSecretSecret(), TeamsBotConfig.APP_SECRET_SECRET);
            }
        }
        // The management listener's credentials, when it asks for any.
        ManagementConfig management = ManagementConfig.from(config);
        if (!management.authNone()) {
            add(names, management.tokenSecret(), ManagementConfig.TOKEN_SECRET);
            add(names, management.sessionKeySecret(), ManagementConfig.SESSION_KEY_SECRET);
            management.entraSettings().ifPresent(entra ->
                    add(names, entra.clientSecretSecret(), ManagementConfig.ENTRA_CLIENT_SECRET_SECRET));
        }
        // The Kafka password, when the clients authenticate to an external cluster.
        KafkaSettings kafka = KafkaSettings.from(config);
        if (!kafka.embedded() && kafka.auth().enabled()) {
            add(names, kafka.auth().passwordSecret(), KafkaAuthConfig.PASSWORD_SECRET);
        }
        List<ConfiguredSecret> secrets = new ArrayList<>();
        names.forEach((name, usedBy) -> secrets.add(new ConfiguredSecret(name, usedBy)));
        return List.copyOf(secrets);
    }

    public static List<String> names(TlaConfig config) {
        return of(config).stream().map(ConfiguredSecret::name).toList();
    }

    private static void add(Map<String, List<String>> names, String secret, String key) {
        if (secret != null && !secret.isBlank()) {
            names.computeIfAbsent(secret.trim(), n -> new ArrayList<>()).add(key);
        }
    }
}
