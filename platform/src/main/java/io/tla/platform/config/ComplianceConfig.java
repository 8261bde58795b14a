package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

/**
 * What happens to personal data in a message before any of its text leaves for a model provider.
 *
 * @param piiPolicy       {@code redact} (replace each match by a placeholder such as {@code [email]}),
 *                        {@code refuse} (send nothing: the sender gets a {@code failed} reply saying why) or
 *                        {@code off}
 * @param piiRules        the rules that are looked for: {@code email}, {@code phone}, {@code card},
 *                        {@code national-id}
 * @param tenantPolicies  per tenant, its own policy ({@code tenant.ID.pii-policy})
 */
public record ComplianceConfig(String piiPolicy, List<String> piiRules, Map<String, String> tenantPolicies) {

    public static final String PII_POLICY = "compliance.pii-policy";
    public static final String PII_RULES = "compliance.pii-rules";
    public static final List<String> POLICIES = List.of("redact", "refuse", "off");
    public static final List<String> RULES = List.of("email", "phone", "card", "national-id");

    public static final ConfigDef DEF = new ConfigDef()
            .define(PII_POLICY, STRING, "redact", ConfigDef.ValidString.in("redact", "refuse", "off"), HIGH,
                    "Personal data in a message, before any text leaves for a model provider: redact (each match "
                    + "becomes a placeholder such as [email]), refuse (nothing is sent; the sender gets a failed "
                    + "reply naming the kind of data) or off. tenant.ID.pii-policy overrides per tenant. "
                    + "Telemetry (pii.detected) names the rules that fired, never the matched text.")
            .define(PII_RULES, LIST, RULES, ConfigDef.ValidList.in(RULES.toArray(String[]::new)), HIGH,
                    "Which personal data is looked for: email, phone (7 or more digits in phone notation), card "
                    + "(13 to 19 digits that pass the Luhn check), national-id (US SSN, UK National Insurance "
                    + "number).");

    @SuppressWarnings("unchecked")
    public static ComplianceConfig from(TlaConfig config) {
        Map<String, Object> v = config.parse(DEF);
        Map<String, String> tenants = new LinkedHashMap<>();
        for (String tenant : TenantConfig.tenantsWithOverrides(config)) {
            Object policy = TenantConfig.overrides(config, tenant).get(TenantConfig.PII_POLICY);
            if (policy != null) { // validated by TenantConfig.overrides
                tenants.put(tenant, (String) policy);
            }
        }
        return new ComplianceConfig((String) v.get(PII_POLICY), List.copyOf((List<String>) v.get(PII_RULES)),
                Map.copyOf(tenants));
    }

    /** The policy for {@code tenantId}: its own, else {@code compliance.pii-policy}. */
    public String piiPolicyFor(String tenantId) {
        return tenantPolicies.getOrDefault(tenantId, piiPolicy);
    }
}
