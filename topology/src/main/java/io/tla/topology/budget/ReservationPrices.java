package io.tla.topology.budget;

import io.tla.platform.config.ModelConfig;
import java.math.BigDecimal;
import java.util.Collection;

/**
 * The prices a tenant's reservations are made at: the highest input price and the highest output price (USD per
 * 1000 tokens) among the providers its text may be sent to. Each chunk of a message may be answered by any provider
 * of the fallback chain that the tenant's compliance policy allows, so only these prices bound what it can cost;
 * the two may come from different providers.
 */
public record ReservationPrices(BigDecimal inputUsdPer1kTokens, BigDecimal outputUsdPer1kTokens) {

    /** No provider may be sent the text: nothing can be spent on it (the model stage answers with a failure). */
    public static final ReservationPrices NONE = new ReservationPrices(BigDecimal.ZERO, BigDecimal.ZERO);

    /** The highest input and the highest output price of {@code providers}; {@link #NONE} when there are none. */
    public static ReservationPrices dearestOf(Collection<ModelConfig.Provider> providers) {
        BigDecimal input = BigDecimal.ZERO;
        BigDecimal output = BigDecimal.ZERO;
        for (ModelConfig.Provider provider : providers) {
            input = input.max(provider.inputUsdPer1kTokens());
            output = output.max(provider.outputUsdPer1kTokens());
        }
        return new ReservationPrices(input, output);
    }
}
