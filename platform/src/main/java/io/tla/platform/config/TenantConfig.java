package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.DOUBLE;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.LONG;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import io.tla.schemas.LanguagePreference;
import io.tla.schemas.LanguageTag;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigException;

/**
 * Per-tenant overrides ({@code tenant.ID.*}); a key not set for a tenant falls back to the global one.
 * Tenant ids are lower-cased GUIDs.
 */
public final class TenantConfig {

    public static final String PREFIX = "tenant.";
    public static final String BUDGET_DAILY_USD = "budget.daily-usd";
    public static final String BUDGET_MONTHLY_USD = "budget.monthly-usd";
    public static final String BUDGET_DAILY_TOKENS = "budget.daily-tokens";
    public static final String BUDGET_MONTHLY_TOKENS = "budget.monthly-tokens";
    public static final String TARGET_LANGUAGES = "target-languages";
    public static final String TONE = "tone";
    /**
     * Tones of single channels of the tenant, as one list: channel ids ({@code 19:abc@thread.tacv2}) contain
     * {@code :}, {@code @} and {@code .}, so they cannot be part of a key name.
     */
    public static final String CHANNEL_TONES = "channel-tones";
    public static final String PII_POLICY = "pii-policy";
    public static final String ALLOWED_REGIONS = "allowed-regions";
    public static final String REQUIRED_CERTIFICATIONS = "required-certifications";
    public static final String MODEL_PROVIDERS = QualityConfig.TENANT_PROVIDERS;
    public static final String MODEL_ROUTING = QualityConfig.TENANT_ROUTING;
    public static final String RATE_LIMIT_REQUESTS_PER_MINUTE = "rate-limit.requests-per-minute";
    public static final String RATE_LIMIT_TOKENS_PER_MINUTE = "rate-limit.tokens-per-minute";
    /** Target languages of single channels, as {@code CHANNEL_ID=fr+de} pairs (see {@link #CHANNEL_TONES}). */
    public static final String CHANNEL_LANGUAGES = "channel-languages";
    /** Target languages of single people, as {@code AAD_OBJECT_ID=fr+de} pairs. */
    public static final String USER_LANGUAGES = "user-languages";
    /** AAD object ids of the people who may change a channel's languages from Teams. */
    public static final String LANGUAGE_ADMINS = "language-admins";

    public static final ConfigDef DEF = new ConfigDef()
            .define(BUDGET_DAILY_USD, DOUBLE, null, MEDIUM, "This tenant's budget per UTC day in USD.")
            .define(BUDGET_MONTHLY_USD, DOUBLE, null, MEDIUM, "This tenant's budget per calendar month in USD.")
            .define(BUDGET_DAILY_TOKENS, LONG, null, MEDIUM, "This tenant's tokens per UTC day.")
            .define(TARGET_LANGUAGES, LIST, null, MEDIUM, "This tenant's target languages.")
            .define(TONE, STRING, null, MEDIUM, "This tenant's tone: polite, casual, business or technical.")
            .define(CHANNEL_TONES, LIST, null, MEDIUM, "Tones of single channels of this tenant, as comma-separated "
                    + "CHANNEL_ID=TONE pairs (19:abc@thread.tacv2=casual); the channel id is matched exactly. A "
                    + "channel's tone wins over tenant.ID.tone, which wins over translation.tone; chats (no "
                    + "channel) take the tenant's tone.")
            .define(PII_POLICY, STRING, null, MEDIUM, "This tenant's personal-data policy: redact, refuse or off "
                    + "(compliance.pii-policy when unset).")
            .define(ALLOWED_REGIONS, LIST, null, ComplianceConfig.TOKENS, MEDIUM, "Regions a model provider must be "
                    + "in to be sent this tenant's text (compliance.allowed-regions when unset; set empty: any).")
            .define(REQUIRED_CERTIFICATIONS, LIST, null, ComplianceConfig.TOKENS, MEDIUM, "Certifications a model "
                    + "provider must all hold to be sent this tenant's text (compliance.required-certifications "
                    + "when unset; set empty: none).")
            .define(MODEL_PROVIDERS, LIST, null, MEDIUM, "This tenant's provider order: names from model.providers, "
                    + "the first asked first (model.providers when unset). A provider left out is never sent this "
                    + "tenant's text.")
            .define(MODEL_ROUTING, STRING, null, MEDIUM, "This tenant's routing: ordered or cost (model.routing when "
                    + "unset).")
            .define(BUDGET_MONTHLY_TOKENS, LONG, null, MEDIUM, "This tenant's tokens (input plus output) per "
                    + "calendar month (UTC); budget.monthly-tokens when unset (and no monthly token limit when "
                    + "neither is set).")
            .define(RATE_LIMIT_REQUESTS_PER_MINUTE, LONG, null, MEDIUM, "This tenant's messages per minute to the "
                    + "model (rate-limit.requests-per-minute when unset; 0: unlimited).")
            .define(RATE_LIMIT_TOKENS_PER_MINUTE, LONG, null, MEDIUM, "This tenant's reserved tokens per minute to "
                    + "the model (rate-limit.tokens-per-minute when unset; 0: unlimited).")
            .define(CHANNEL_LANGUAGES, LIST, null, MEDIUM, "Target languages of single channels of this tenant, as "
                    + "comma-separated CHANNEL_ID=LANG+LANG pairs (19:abc@thread.tacv2=fr+de); the channel id is "
                    + "matched exactly, tags are BCP-47 (at most 10 per channel). Replies in the channel are "
                    + "translated into these as well as the tenant's languages; a channel's languages set from "
                    + "Teams or tla languages (topic tla.languages.v1) add to these.")
            .define(USER_LANGUAGES, LIST, null, MEDIUM, "Target languages of single people of this tenant, as "
                    + "comma-separated AAD_OBJECT_ID=LANG+LANG pairs (at most 10 per person). Replies in a "
                    + "conversation are also translated into the languages of the sender and of the people who "
                    + "wrote its recent turns; a person's languages set from Teams or tla languages add to these.")
            .define(LANGUAGE_ADMINS, LIST, null, MEDIUM, "AAD object ids of the people who may change a "
                    + "channel's languages from Teams (languages channel add|remove). Empty or unset: nobody can "
                    + "from Teams; configuration and tla languages still can.");

    private TenantConfig() {
    }

    /** The parsed overrides of one tenant (values are null where the tenant sets nothing). */
    public static Map<String, Object> overrides(TlaConfig config, String tenantId) {
        Map<String, Object> v = config.parse(PREFIX + tenantId + ".", DEF);
        for (String key : new String[] {BUDGET_DAILY_USD, BUDGET_MONTHLY_USD}) {
            if (v.get(key) != null) {
                Range.atLeast(0.0).ensureValid(PREFIX + tenantId + "." + key, v.get(key));
            }
        }
        if (v.get(BUDGET_DAILY_TOKENS) != null) {
            Range.atLeast(0L).ensureValid(PREFIX + tenantId + "." + BUDGET_DAILY_TOKENS, v.get(BUDGET_DAILY_TOKENS));
        }
        if (v.get(BUDGET_MONTHLY_TOKENS) != null) {
            Range.atLeast(0L).ensureValid(PREFIX + tenantId + "." + BUDGET_MONTHLY_TOKENS,
                    v.get(BUDGET_MONTHLY_TOKENS));
        }
        for (String key : new String[] {RATE_LIMIT_REQUESTS_PER_MINUTE, RATE_LIMIT_TOKENS_PER_MINUTE}) {
            if (v.get(key) != null) {
                Range.atLeast(0L).ensureValid(PREFIX + tenantId + "." + key, v.get(key));
            }
        }
        if (v.get(TONE) != null && !TranslationConfig.TONES.contains(v.get(TONE))) {
            throw new ConfigException(PREFIX + tenantId + "." + TONE, v.get(TONE),
                    "tone must be one of " + TranslationConfig.TONES);
        }
        if (v.get(PII_POLICY) != null && !ComplianceConfig.POLICIES.contains(v.get(PII_POLICY))) {
            throw new ConfigException(PREFIX + tenantId + "." + PII_POLICY, v.get(PII_POLICY),
                    "pii-policy must be one of " + ComplianceConfig.POLICIES);
        }
        if (v.get(CHANNEL_TONES) != null) {
            channelTones(tenantId, v);
        }
        channelLanguages(tenantId, v);
        userLanguages(tenantId, v);
        languageAdmins(tenantId, v);
        return v;
    }

    /**
     * The tenant's {@link #CHANNEL_TONES} from its parsed {@code overrides}: channel id to tone, in configured
     * order, empty when not set. A pair without a channel id or with an unknown tone, and a channel named twice,
     * are errors naming the key.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, String> channelTones(String tenantId, Map<String, Object> overrides) {
        List<String> pairs = (List<String>) overrides.get(CHANNEL_TONES);
        if (pairs == null) {
            return Map.of();
        }
        String key = PREFIX + tenantId + "." + CHANNEL_TONES;
        Map<String, String> tones = new LinkedHashMap<>();
        for (String pair : pairs) {
            // the tone is after the last '=': tone names never contain one, so a channel id may
            int split = pair.lastIndexOf('=');
            String channel = split < 0 ? "" : pair.substring(0, split).trim();
            String tone = split < 0 ? "" : pair.substring(split + 1).trim();
            if (channel.isEmpty() || channel.chars().anyMatch(Character::isWhitespace)) {
                throw new ConfigException(key, pair, "each entry must be CHANNEL_ID=TONE, for example "
                        + "19:abc123@thread.tacv2=casual");
            }
            if (!TranslationConfig.TONES.contains(tone)) {
                throw new ConfigException(key, pair, "tone must be one of " + TranslationConfig.TONES);
            }
            if (tones.putIfAbsent(channel, tone) != null) {
                throw new ConfigException(key, pair, "channel " + channel + " is named more than once");
            }
        }
        return Collections.unmodifiableMap(tones);
    }

    /**
     * The tenant's {@link #CHANNEL_LANGUAGES} from its parsed {@code overrides}: channel id to canonical language
     * tags, in configured order, empty when not set. Errors name the key.
     */
    public static Map<String, List<String>> channelLanguages(String tenantId, Map<String, Object> overrides) {
        return languagePairs(tenantId, overrides, CHANNEL_LANGUAGES, "CHANNEL_ID=fr+de, for example "
                + "19:abc123@thread.tacv2=fr+de", "channel");
    }

    /** The tenant's {@link #USER_LANGUAGES}: AAD object id to canonical language tags, empty when not set. */
    public static Map<String, List<String>> userLanguages(String tenantId, Map<String, Object> overrides) {
        return languagePairs(tenantId, overrides, USER_LANGUAGES, "AAD_OBJECT_ID=fr+de, for example "
                + "b1e0c4d2-7f3a-4a8e-9c1d-2e5f6a7b8c9d=fr+de", "person");
    }

    /** The tenant's {@link #LANGUAGE_ADMINS}, empty when not set. An id with white space is an error. */
    @SuppressWarnings("unchecked")
    public static java.util.Set<String> languageAdmins(String tenantId, Map<String, Object> overrides) {
        List<String> ids = (List<String>) overrides.get(LANGUAGE_ADMINS);
        if (ids == null) {
            return java.util.Set.of();
        }
        java.util.Set<String> admins = new java.util.LinkedHashSet<>();
        for (String id : ids) {
            if (id.isBlank() || id.chars().anyMatch(Character::isWhitespace)) {
                throw new ConfigException(PREFIX + tenantId + "." + LANGUAGE_ADMINS, id,
                        "each entry must be an AAD object id");
            }
            admins.add(id);
        }
        return Collections.unmodifiableSet(admins);
    }

    /**
     * {@code ID=LANG+LANG} pairs: the languages are after the last '=' (tags never contain one, so an id may); each
     * tag must pass {@link LanguageTag}, at most {@link LanguagePreference#MAX_LANGUAGES} per id, an id once.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, List<String>> languagePairs(String tenantId, Map<String, Object> overrides,
                                                           String name, String form, String what) {
        List<String> pairs = (List<String>) overrides.get(name);
        if (pairs == null) {
            return Map.of();
        }
        String key = PREFIX + tenantId + "." + name;
        Map<String, List<String>> languages = new LinkedHashMap<>();
        for (String pair : pairs) {
            int split = pair.lastIndexOf('=');
            String id = split < 0 ? "" : pair.substring(0, split).trim();
            String tags = split < 0 ? "" : pair.substring(split + 1).trim();
            if (id.isEmpty() || id.chars().anyMatch(Character::isWhitespace) || tags.isEmpty()) {
                throw new ConfigException(key, pair, "each entry must be " + form);
            }
            List<String> canonical = new java.util.ArrayList<>();
            for (String tag : tags.split("\\+")) {
                String valid = LanguageTag.canonical(tag);
                if (valid == null) {
                    throw new ConfigException(key, pair, "'" + tag.trim() + "' is not a BCP-47 tag of a known "
                            + "language, such as fr or pt-BR");
                }
                if (!canonical.contains(valid)) {
                    canonical.add(valid);
                }
            }
            if (canonical.size() > LanguagePreference.MAX_LANGUAGES) {
                throw new ConfigException(key, pair, "at most " + LanguagePreference.MAX_LANGUAGES
                        + " languages per " + what);
            }
            if (languages.putIfAbsent(id, List.copyOf(canonical)) != null) {
                throw new ConfigException(key, pair, what + " " + id + " is named more than once");
            }
        }
        return Collections.unmodifiableMap(languages);
    }

    /** Tenant ids that have at least one override. */
    public static java.util.Set<String> tenantsWithOverrides(TlaConfig config) {
        java.util.Set<String> ids = new java.util.TreeSet<>();
        for (String key : config.withPrefix(PREFIX).keySet()) {
            for (String name : DEF.names()) {
                if (key.endsWith("." + name)) {
                    ids.add(key.substring(0, key.length() - name.length() - 1));
                }
            }
        }
        return ids;
    }
}
