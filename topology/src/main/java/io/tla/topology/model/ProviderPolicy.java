package io.tla.topology.model;

import io.tla.platform.config.ComplianceConfig;
import io.tla.platform.config.ModelConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Which providers may be sent a tenant's text: a provider in none of the tenant's allowed regions, or lacking one
 * of its required certifications, is skipped before any call, so no text leaves for it.
 */
public final class ProviderPolicy {

    public static final String REGION = "policy-region";
    public static final String CERTIFICATION = "policy-certification";

    /** Every provider is allowed for every tenant. */
    public static final ProviderPolicy NONE = new ProviderPolicy(null, Map.of());

    private final ComplianceConfig compliance;
    private final Map<String, ModelConfig.Provider> providers;

    private ProviderPolicy(ComplianceConfig compliance, Map<String, ModelConfig.Provider> providers) {
        this.compliance = compliance;
        this.providers = providers;
    }

    /** The policy of {@code compliance} over the providers of {@code model}; {@link #NONE} when it restricts nothing. */
    public static ProviderPolicy of(ComplianceConfig compliance, ModelConfig model) {
        if (compliance == null || !compliance.restrictsProviders()) {
            return NONE;
        }
        return new ProviderPolicy(compliance, model.ordered().stream()
                .collect(Collectors.toUnmodifiableMap(ModelConfig.Provider::name, p -> p)));
    }

    public boolean restricts() {
        return compliance != null;
    }

    /** Why {@code provider} must not be asked for {@code tenantId} ({@link #REGION}, {@link #CERTIFICATION}), or empty. */
    public Optional<String> refusal(String tenantId, String provider) {
        if (compliance == null) {
            return Optional.empty();
        }
        ModelConfig.Provider declared = providers.get(provider);
        List<String> regions = declared == null ? List.of() : declared.regions();
        List<String> certifications = declared == null ? List.of() : declared.certifications();
        List<String> allowed = compliance.allowedRegionsFor(tenantId);
        if (!allowed.isEmpty() && regions.stream().noneMatch(allowed::contains)) {
            return Optional.of(REGION);
        }
        if (!certifications.containsAll(compliance.requiredCertificationsFor(tenantId))) {
            return Optional.of(CERTIFICATION);
        }
        return Optional.empty();
    }
}
