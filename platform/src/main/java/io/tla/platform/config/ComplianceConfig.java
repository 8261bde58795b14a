package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * What happens to personal data in a message before any of its text leaves for a model provider.
 *
 * @param piiPolicy       {@code redact} (replace each match by a placeholder such as {@code [email]}),
 *                        {@code refuse} (send nothing: the sender gets a {@code failed} reply saying why, in their
 *                        language) or {@code off}
 * @param piiRules        the rules that are looked for: {@code email}, {@code phone}, {@code card},
 *                        {@code national-id}, {@code iban}
 * @param tenantPolicies  per tenant, its own policy ({@code tenant.ID.pii-policy})
 * @param allowedRegions  regions a provider must be in to be asked (empty: any)
 * @param requiredCertifications certifications a provider must all hold to be asked (empty: none)
 * @param tenantRegions   per tenant, its own allowed regions ({@code tenant.ID.allowed-regions}; empty: any)
 * @param tenantCertifications per tenant, its own required certifications
 *                        ({@code tenant.ID.required-certifications})
 */
public record ComplianceConfig(String piiPolicy, List<String> piiRules, Map<String, String> tenantPolicies,
                               List<String> allowedRegions, List<String> requiredCertifications,
                               Map<String, List<String>> tenantRegions,
                               Map<String, List<String>> tenantCertifications) {

    public static final String PII_POLICY = "compliance.pii-policy";
    public static final String PII_RULES = "compliance.pii-rules";
    public static final List<String> POLICIES = List.of("redact", "refuse", "off");
    public static final List<String> RULES = List.of("email", "phone", "card", "national-id", "iban");

    public static final String ALLOWED_REGIONS = "compliance.allowed-regions";
    public static final String REQUIRED_CERTIFICATIONS = "compliance.required-certifications";

    /** Region and certification names: lower-case letters and digits, words joined by '-' (eu-west, iso27001). */
    public static final ConfigDef.Validator TOKENS = ConfigDef.LambdaValidator.with((name, value) -> {
        if (value == null) {
            return;
        }
        for (Object token : (List<?>) value) {
            if (!(token instanceof String s) || !s.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
                throw new ConfigException(name, value,
                        "each entry must be lower-case letters and digits, words joined by '-' (eu-west, iso27001)");
            }
        }
    }, () -> "lower-case tokens such as eu-west");

    public ComplianceConfig {
        tenantPolicies = Map.copyOf(tenantPolicies);
        allowedRegions = allowedRegions == null ? List.of() : List.copyOf(allowedRegions);
        requiredCertifications = requiredCertifications == null ? List.of() : List.copyOf(requiredCertifications);
        tenantRegions = tenantRegions == null ? Map.of() : Map.copyOf(tenantRegions);
        tenantCertifications = tenantCertifications == null ? Map.of() : Map.copyOf(tenantCertifications);
    }

    /** A PII policy and no restriction on providers. */
    public ComplianceConfig(String piiPolicy, List<String> piiRules, Map<String, String> tenantPolicies) {
        this(piiPolicy, piiRules, tenantPolicies, List.of(), List.of(), Map.of(), Map.of());
    }

    public static final ConfigDef DEF = new ConfigDef()
            .define(PII_POLICY, STRING, "redact", ConfigDef.ValidString.in("redact", "refuse", "off"), HIGH,
                    "Personal data in a message, before any text leaves for a model provider: redact (each match "
                    + "becomes a placeholder such as [email]), refuse (nothing is sent; the sender gets a failed "
                    + "reply naming the kinds of data, worded in the language the message is written in) or off. "
                    + "tenant.ID.pii-policy overrides per tenant. "
                    + "Telemetry (pii.detected) names the rules that fired, never the matched text.")
            .define(PII_RULES, LIST, RULES, ConfigDef.ValidList.in(RULES.toArray(String[]::new)), HIGH,
                    "Which personal data is looked for: email, phone (7 or more digits in phone notation), card "
                    + "(13 to 19 digits that pass the Luhn check), national-id (US SSN, UK National Insurance "
                    + "number), iban (an IBAN of a country in the ISO 13616 registry, of that country's length, with "
                    + "or without spaces in groups of four, that passes the ISO 7064 mod-97 check).")
            .define(ALLOWED_REGIONS, LIST, List.of(), TOKENS, HIGH,
                    "Regions a model provider must be in (model.provider.NAME.regions) to be sent a message's "
                    + "text; a provider outside them is skipped in the fallback chain (reason policy-region), "
                    + "without a call. Empty: any region. tenant.ID.allowed-regions overrides per tenant.")
            .define(REQUIRED_CERTIFICATIONS, LIST, List.of(), TOKENS, HIGH,
                    "Certifications a model provider must all hold (model.provider.NAME.certifications) to be sent "
                    + "a message's text; a provider lacking one is skipped (reason policy-certification). When no "
                    + "provider is allowed, the sender gets a failed reply and the message is dead-lettered. "
                    + "Empty: none required. tenant.ID.required-certifications overrides per tenant.");

    @SuppressWarnings("unchecked")
    public static ComplianceConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        Map<String, String> tenants = new LinkedHashMap<>();
        Map<String, List<String>> regions = new LinkedHashMap<>();
        Map<String, List<String>> certifications = new LinkedHashMap<>();
        for (String tenant : TenantConfig.tenantsWithOverrides(config)) {
            Map<String, Object> overrides = TenantConfig.overrides(config, tenant); // validated there
            Object policy = overrides.get(TenantConfig.PII_POLICY);
            if (policy != null) {
                tenants.put(tenant, (String) policy);
            }
            if (overrides.get(TenantConfig.ALLOWED_REGIONS) != null) {
                regions.put(tenant, (List<String>) overrides.get(TenantConfig.ALLOWED_REGIONS));
            }
            if (overrides.get(TenantConfig.REQUIRED_CERTIFICATIONS) != null) {
                certifications.put(tenant, (List<String>) overrides.get(TenantConfig.REQUIRED_CERTIFICATIONS));
            }
        }
        return new ComplianceConfig((String) v.get(PII_POLICY), List.copyOf((List<String>) v.get(PII_RULES)),
                tenants, (List<String>) v.get(ALLOWED_REGIONS), (List<String>) v.get(REQUIRED_CERTIFICATIONS),
                regions, certifications);
    }

    /** The policy for {@code tenantId}: its own, else {@code compliance.pii-policy}. */
    public String piiPolicyFor(String tenantId) {
        return tenantPolicies.getOrDefault(tenantId, piiPolicy);
    }

    /** The regions {@code tenantId}'s text may be sent to: its own, else {@code compliance.allowed-regions}; empty: any. */
    public List<String> allowedRegionsFor(String tenantId) {
        return tenantId == null ? allowedRegions : tenantRegions.getOrDefault(tenantId, allowedRegions);
    }

    /** The certifications a provider needs for {@code tenantId}: its own, else the global ones; empty: none. */
    public List<String> requiredCertificationsFor(String tenantId) {
        return tenantId == null ? requiredCertifications
                : tenantCertifications.getOrDefault(tenantId, requiredCertifications);
    }

    /** Whether any tenant's providers are restricted by region or certification. */
    public boolean restrictsProviders() {
        return !allowedRegions.isEmpty() || !requiredCertifications.isEmpty()
                || tenantRegions.values().stream().anyMatch(l -> !l.isEmpty())
                || tenantCertifications.values().stream().anyMatch(l -> !l.isEmpty());
    }
}
