package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;

/**
 * Target languages per channel and per person, on top of the tenant's ({@code translation.target-languages},
 * {@code tenant.ID.target-languages}): what configuration sets ({@code tenant.ID.channel-languages},
 * {@code tenant.ID.user-languages}), who may change a channel's languages from Teams
 * ({@code tenant.ID.language-admins}), and the bound on people with languages of their own per tenant. Choices made
 * from Teams or {@code tla languages} live on the topic {@code tla.languages.v1} and add to these.
 */
public record LanguagesConfig(int maxUsersPerTenant, Map<String, Tenant> tenants) {

    public static final String MAX_USERS_PER_TENANT = "languages.max-users-per-tenant";

    /** No channel or person has languages of their own, nobody is a language admin. */
    public static final LanguagesConfig NONE = new LanguagesConfig(10_000, Map.of());

    public static final ConfigDef DEF = new ConfigDef()
            .define(MAX_USERS_PER_TENANT, INT, 10_000, Range.between(0, 1_000_000), MEDIUM,
                    "Most people of one tenant who may keep languages of their own on tla.languages.v1. A sender "
                            + "chooses the id the choice is stored under (their AAD object id), so beyond this a "
                            + "new person's 'languages add' sent to the bot is refused with a reply; people who "
                            + "already have languages can still change them, and tla languages and "
                            + "tenant.ID.user-languages are not limited.");

    /** What one tenant configures; empty maps and set when it configures nothing. */
    public record Tenant(Map<String, List<String>> channels, Map<String, List<String>> users, Set<String> admins) {
        public static final Tenant NONE = new Tenant(Map.of(), Map.of(), Set.of());

        public Tenant {
            channels = Map.copyOf(channels);
            users = Map.copyOf(users);
            admins = Set.copyOf(admins);
        }
    }

    public LanguagesConfig {
        tenants = Map.copyOf(tenants);
    }

    public static LanguagesConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        Map<String, Tenant> tenants = new LinkedHashMap<>();
        for (String tenant : TenantConfig.tenantsWithOverrides(config)) {
            Map<String, Object> overrides = TenantConfig.overrides(config, tenant);
            Tenant languages = new Tenant(TenantConfig.channelLanguages(tenant, overrides),
                    TenantConfig.userLanguages(tenant, overrides), TenantConfig.languageAdmins(tenant, overrides));
            if (!languages.equals(Tenant.NONE)) {
                tenants.put(tenant, languages);
            }
        }
        return new LanguagesConfig((Integer) v.get(MAX_USERS_PER_TENANT), tenants);
    }

    public Tenant tenant(String tenantId) {
        return tenantId == null ? Tenant.NONE : tenants.getOrDefault(tenantId, Tenant.NONE);
    }

    /** The languages {@code tenant.ID.channel-languages} gives a channel; empty for none (or a null channel). */
    public List<String> channelLanguages(String tenantId, String channelId) {
        return channelId == null ? List.of() : tenant(tenantId).channels().getOrDefault(channelId, List.of());
    }

    /** The languages {@code tenant.ID.user-languages} gives a person; empty for none (or a null id). */
    public List<String> userLanguages(String tenantId, String userId) {
        return userId == null ? List.of() : tenant(tenantId).users().getOrDefault(userId, List.of());
    }

    /** Whether {@code aadObjectId} is one of the tenant's {@code language-admins}. */
    public boolean isLanguageAdmin(String tenantId, String aadObjectId) {
        return aadObjectId != null && tenant(tenantId).admins().contains(aadObjectId);
    }
}
