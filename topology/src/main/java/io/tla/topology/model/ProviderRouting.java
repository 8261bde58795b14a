package io.tla.topology.model;

import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.QualityConfig;
import io.tla.topology.quality.ProviderQuality;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The order a tenant's request asks the providers in.
 *
 * <ul>
 *   <li><b>ordered</b>: the tenant's order ({@code tenant.ID.model.providers}), else the chain's
 *       ({@code model.providers}). A provider left out of a tenant's order is never sent its text.</li>
 *   <li><b>cost</b>: first the cheapest provider (input plus output price per 1000 tokens; the first in order on a
 *       tie) that the tenant's compliance policy allows, whose answers are checked (not the offline echo), and
 *       whose recent pass rate ({@link ProviderQuality}) is unknown yet or at least
 *       {@code model.routing.min-quality}; then the rest in the tenant's order. When none qualifies, the order
 *       stays as it is.</li>
 * </ul>
 */
public final class ProviderRouting {

    /** The chain's own order for every tenant. */
    public static final ProviderRouting CHAIN_ORDER = new ProviderRouting(null, null, Map.of(), ProviderPolicy.NONE);

    private final QualityConfig config;
    private final ProviderQuality quality;
    private final Map<String, BigDecimal> prices;
    private final ProviderPolicy policy;

    private ProviderRouting(QualityConfig config, ProviderQuality quality, Map<String, BigDecimal> prices,
                            ProviderPolicy policy) {
        this.config = config;
        this.quality = quality;
        this.prices = prices;
        this.policy = policy;
    }

    /** Routing by {@code config} over the providers of {@code model}, with the pass rates of {@code quality}. */
    public static ProviderRouting of(QualityConfig config, ModelConfig model, ProviderQuality quality,
                                     ProviderPolicy policy) {
        return new ProviderRouting(config, quality, model.ordered().stream().collect(Collectors.toUnmodifiableMap(
                ModelConfig.Provider::name, p -> p.inputUsdPer1kTokens().add(p.outputUsdPer1kTokens()))), policy);
    }

    /**
     * The names to ask for {@code tenantId}, in order, out of {@code chain} (the configured order);
     * {@code checked} tells which providers' answers are verified.
     */
    public List<String> orderFor(String tenantId, List<String> chain, Predicate<String> checked) {
        if (config == null) {
            return chain;
        }
        List<String> tenantOrder = config.providersFor(tenantId);
        List<String> order = tenantOrder == null ? chain : tenantOrder.stream().filter(chain::contains).toList();
        if (!QualityConfig.COST.equals(config.routingFor(tenantId)) || order.size() < 2) {
            return order;
        }
        return order.stream()
                .filter(name -> policy.refusal(tenantId, name).isEmpty())
                .filter(checked)
                .filter(name -> quality.qualifies(name, config.minQuality()))
                .min(Comparator.comparing(name -> prices.getOrDefault(name, BigDecimal.ZERO)))
                .map(cheapest -> {
                    List<String> routed = new ArrayList<>(order.size());
                    routed.add(cheapest);
                    order.stream().filter(name -> !name.equals(cheapest)).forEach(routed::add);
                    return List.copyOf(routed);
                })
                .orElse(order);
    }
}
