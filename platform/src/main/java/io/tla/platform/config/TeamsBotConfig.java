package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * The Teams bot identity used to resolve a team's AAD group id from its {@code 19:...@thread} id through the Bot
 * Framework connector ({@code GET {serviceUrl}/v3/teams/{teamId}}), and the team directory that caches the answer.
 * Without {@code teams.bot.app-id} nothing is looked up: only mappings learned from activities and registrations
 * are used. The bot token is only ever sent to a service URL under one of {@code teams.bot.service-urls}.
 */
public record TeamsBotConfig(String appId, String appSecretSecret, String tenantId, String authorityHost,
                             List<String> serviceUrls, Duration requestTimeout, int maxAttempts,
                             Duration initialBackoff, Duration negativeTtl, int maxLearnedTeams,
                             int maxMisses) {

    public static final String APP_ID = "teams.bot.app-id";
    public static final String APP_SECRET_SECRET = "teams.bot.app-secret-secret";
    public static final String TENANT_ID = "teams.bot.tenant-id";
    public static final String AUTHORITY_HOST = "teams.bot.authority-host";
    public static final String SERVICE_URLS = "teams.bot.service-urls";
    public static final String REQUEST_TIMEOUT_MS = "teams.bot.request-timeout-ms";
    public static final String MAX_ATTEMPTS = "teams.bot.max-attempts";
    public static final String INITIAL_BACKOFF_MS = "teams.bot.initial-backoff-ms";
    public static final String NEGATIVE_TTL_MS = "teams.directory.negative-ttl-ms";
    public static final String MAX_LEARNED_TEAMS = "teams.directory.max-learned-teams";
    public static final String MAX_MISSES = "teams.directory.max-misses";

    /** The Bot Framework service URLs of the public cloud, GCC, GCC High and DoD. */
    public static final List<String> DEFAULT_SERVICE_URLS = List.of("https://smba.trafficmanager.net/",
            "https://smba.infra.gcc.teams.microsoft.com/", "https://smba.infra.gov.teams.microsoft.us/",
            "https://smba.infra.dod.teams.microsoft.us/");

    public static final ConfigDef DEF = new ConfigDef()
            .define(APP_ID, STRING, null, HIGH,
                    "Microsoft App ID of the Teams bot, for Bot Framework team lookups (a team's AAD group id from"
                            + " its thread id); unset: no lookups, only mappings learned from activities and"
                            + " registrations are used.")
            .define(APP_SECRET_SECRET, STRING, "teams-bot-app-secret", MEDIUM,
                    "Secret name of the bot's client secret.")
            .define(TENANT_ID, STRING, "botframework.com", MEDIUM,
                    "Tenant the bot token is requested from: botframework.com for a multi-tenant bot, the bot's"
                            + " tenant id for a single-tenant one.")
            .define(AUTHORITY_HOST, STRING, "https://login.microsoftonline.com", MEDIUM,
                    "Microsoft Entra authority for the bot token (a sovereign cloud's, or a local test one).")
            .define(SERVICE_URLS, LIST, DEFAULT_SERVICE_URLS, LOW,
                    "Service URL prefixes (scheme, host, port and path prefix) the bot token may be sent to; a"
                            + " reply whose serviceUrl matches none is not looked up.")
            .define(REQUEST_TIMEOUT_MS, INT, 10_000, ConfigDef.Range.between(100, 120_000), LOW,
                    "Timeout of one Bot Framework team lookup.")
            .define(MAX_ATTEMPTS, INT, 3, ConfigDef.Range.between(1, 10), LOW,
                    "Attempts per team lookup for 429, 5xx and network errors, the first included.")
            .define(INITIAL_BACKOFF_MS, INT, 500, ConfigDef.Range.between(0, 60_000), LOW,
                    "Wait before retrying a team lookup without Retry-After; doubles per attempt (Retry-After is"
                            + " honoured up to 10 s).")
            .define(NEGATIVE_TTL_MS, INT, 300_000, ConfigDef.Range.between(0, 86_400_000), LOW,
                    "How long a team that could not be resolved is not looked up again (its replies are"
                            + " dead-lettered with reason team-unresolved meanwhile).")
            .define(MAX_LEARNED_TEAMS, INT, 100_000, ConfigDef.Range.between(1, 10_000_000), LOW,
                    "Team mappings learned from traffic (activities and registrations) each instance keeps in"
                            + " memory, least recently used dropped first; mappings looked up at the Bot Framework"
                            + " are always kept. A dropped team is learned again from its next message.")
            .define(MAX_MISSES, INT, 10_000, ConfigDef.Range.between(1, 1_000_000), LOW,
                    "Teams (per tenant) remembered as unresolvable for teams.directory.negative-ttl-ms; beyond"
                            + " this the least recently failed are forgotten and may be looked up again.");

    @SuppressWarnings("unchecked")
    public static TeamsBotConfig from(TlaConfig config) {
        var v = config.parse(DEF);
        List<String> serviceUrls = (List<String>) v.get(SERVICE_URLS);
        for (String prefix : serviceUrls) {
            URI uri;
            try {
                uri = URI.create(prefix);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(SERVICE_URLS, prefix, "not a URL");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null) {
                throw new ConfigException(SERVICE_URLS, prefix, "a service URL prefix is http(s)://host[:port]/path");
            }
        }
        String appId = (String) v.get(APP_ID);
        return new TeamsBotConfig(appId == null || appId.isBlank() ? null : appId, (String) v.get(APP_SECRET_SECRET),
                (String) v.get(TENANT_ID), (String) v.get(AUTHORITY_HOST), List.copyOf(serviceUrls),
                Duration.ofMillis((Integer) v.get(REQUEST_TIMEOUT_MS)), (Integer) v.get(MAX_ATTEMPTS),
                Duration.ofMillis((Integer) v.get(INITIAL_BACKOFF_MS)), Duration.ofMillis((Integer) v.get(NEGATIVE_TTL_MS)),
                (Integer) v.get(MAX_LEARNED_TEAMS), (Integer) v.get(MAX_MISSES));
    }

    /** Whether Bot Framework lookups are configured. */
    public boolean lookups() {
        return appId != null;
    }
}
