package io.tla.topology;

import io.tla.platform.config.BudgetConfig;
import io.tla.platform.config.ComplianceConfig;
import io.tla.platform.config.LanguagesConfig;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.TranslationConfig;
import io.tla.schemas.NormalizedMessage;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * What the stages need from configuration, resolved once at start.
 *
 * @param toneFor the tone from a tenant id and a channel id (null for chats): the channel's, else the tenant's,
 *                else {@code translation.tone}
 * @param languages target languages per channel and person, language admins, and the bound on people per tenant
 */
public record TopologySettings(
        Function<String, List<String>> targetLanguagesForTenant,
        Function<String, BigDecimal> dailyBudgetUsdForTenant,
        Function<String, BigDecimal> monthlyBudgetUsdForTenant,
        Function<String, Long> dailyBudgetTokensForTenant,
        BigDecimal inputUsdPer1kTokens,
        BigDecimal outputUsdPer1kTokens,
        int maxOutputTokens,
        int contextTurns,
        Duration duplicateWindow,
        Duration modelTimeout,
        int maxInFlight,
        int maxInputTokens,
        Duration cacheTtl,
        int cacheMaxEntries,
        BiFunction<String, String, String> toneFor,
        int contextMaxTokens,
        Duration contextIdleExpiry,
        ComplianceConfig compliance,
        int budgetMetricsMaxTenants,
        LanguagesConfig languages) {

    /** Settings without languages per channel or person. */
    public TopologySettings(Function<String, List<String>> targetLanguagesForTenant,
                            Function<String, BigDecimal> dailyBudgetUsdForTenant,
                            Function<String, BigDecimal> monthlyBudgetUsdForTenant,
                            Function<String, Long> dailyBudgetTokensForTenant, BigDecimal inputUsdPer1kTokens,
                            BigDecimal outputUsdPer1kTokens, int maxOutputTokens, int contextTurns,
                            Duration duplicateWindow, Duration modelTimeout, int maxInFlight, int maxInputTokens,
                            Duration cacheTtl, int cacheMaxEntries, BiFunction<String, String, String> toneFor,
                            int contextMaxTokens, Duration contextIdleExpiry, ComplianceConfig compliance,
                            int budgetMetricsMaxTenants) {
        this(targetLanguagesForTenant, dailyBudgetUsdForTenant, monthlyBudgetUsdForTenant, dailyBudgetTokensForTenant,
                inputUsdPer1kTokens, outputUsdPer1kTokens, maxOutputTokens, contextTurns, duplicateWindow,
                modelTimeout, maxInFlight, maxInputTokens, cacheTtl, cacheMaxEntries, toneFor, contextMaxTokens,
                contextIdleExpiry, compliance, budgetMetricsMaxTenants, LanguagesConfig.NONE);
    }

    public static TopologySettings from(TlaConfig config) {
        TranslationConfig translation = TranslationConfig.from(config);
        BudgetConfig budget = BudgetConfig.from(config);
        ModelConfig model = ModelConfig.from(config);
        // The reservation is priced at the primary provider: it answers unless it fails. The model stage waits
        // for the whole fallback chain.
        ModelConfig.Provider primary = model.primary();
        return new TopologySettings(translation::targetLanguagesFor, budget::dailyUsdFor,
                budget::monthlyUsdFor, budget::dailyTokensFor,
                primary.inputUsdPer1kTokens(), primary.outputUsdPer1kTokens(), model.maxOutputTokens(),
                translation.contextTurns(), Duration.ofHours(24), model.chainTimeout(),
                primary.maxInFlight(), model.maxInputTokens(), model.cacheTtl(), model.cacheMaxEntries(),
                translation::toneFor, translation.contextMaxTokens(), translation.contextIdleExpiry(),
                ComplianceConfig.from(config), budget.metricsMaxTenants(), LanguagesConfig.from(config));
    }

    /** The tone {@code message} is translated in: its channel's, else its tenant's, else the default. */
    public String toneOf(NormalizedMessage message) {
        return toneFor.apply(message.tenantId(), message.channelId());
    }
}
