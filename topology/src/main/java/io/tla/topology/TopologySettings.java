package io.tla.topology;

import io.tla.platform.config.BudgetConfig;
import io.tla.platform.config.ComplianceConfig;
import io.tla.platform.config.LanguagesConfig;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.QualityConfig;
import io.tla.platform.config.RateLimitConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.ToneConfig;
import io.tla.platform.config.TranslationConfig;
import io.tla.schemas.NormalizedMessage;
import io.tla.topology.budget.ReservationPrices;
import io.tla.topology.model.ProviderPolicy;
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
 * @param toneTemplateMaxChars {@code tone.template-max-chars}: a longer tone template on {@code tla.tones.v1} is
 *                             not used
 * @param inputUsdPer1kTokens  the primary provider's input price (reservations use
 *                             {@code reservationPricesForTenant})
 * @param outputUsdPer1kTokens the primary provider's output price
 * @param monthlyBudgetTokensForTenant the tenant's tokens per calendar month
 *                                     ({@link BudgetConfig#UNLIMITED_TOKENS} when it has no such limit)
 * @param reservationPricesForTenant   the prices the tenant's reservations are made at: the dearest input and
 *                                     output price among the providers its compliance policy lets it use
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
        int toneTemplateMaxChars,
        Function<String, Long> monthlyBudgetTokensForTenant,
        Function<String, ReservationPrices> reservationPricesForTenant,
        RateLimitConfig rateLimit,
        LanguagesConfig languages) {

    public static TopologySettings from(TlaConfig config) {
        TranslationConfig translation = TranslationConfig.from(config);
        BudgetConfig budget = BudgetConfig.from(config);
        ModelConfig model = ModelConfig.from(config);
        ComplianceConfig compliance = ComplianceConfig.from(config);
        // The model stage waits for the whole fallback chain, so any allowed provider may answer any chunk: the
        // reservation is priced at the dearest of those.
        ModelConfig.Provider primary = model.primary();
        return new TopologySettings(translation::targetLanguagesFor, budget::dailyUsdFor,
                budget::monthlyUsdFor, budget::dailyTokensFor,
                primary.inputUsdPer1kTokens(), primary.outputUsdPer1kTokens(), model.maxOutputTokens(),
                translation.contextTurns(), Duration.ofHours(24),
                model.chainTimeout(QualityConfig.from(config).verification()),
                primary.maxInFlight(), model.maxInputTokens(), model.cacheTtl(), model.cacheMaxEntries(),
                translation::toneFor, translation.contextMaxTokens(), translation.contextIdleExpiry(),
                compliance, budget.metricsMaxTenants(),
                ToneConfig.from(config).templateMaxChars(),
                budget::monthlyTokensFor, reservationPrices(compliance, model),
                RateLimitConfig.from(config), LanguagesConfig.from(config));
    }

    /** Per tenant, the dearest prices among the providers its compliance policy allows. */
    static Function<String, ReservationPrices> reservationPrices(ComplianceConfig compliance, ModelConfig model) {
        ProviderPolicy policy = ProviderPolicy.of(compliance, model);
        if (!policy.restricts()) {
            ReservationPrices all = ReservationPrices.dearestOf(model.ordered());
            return tenant -> all;
        }
        // a few providers, checked per message: no per-tenant cache to bound
        return tenant -> ReservationPrices.dearestOf(model.ordered().stream()
                .filter(provider -> policy.refusal(tenant, provider.name()).isEmpty()).toList());
    }

    /** The same settings with tones looked up by {@code tones} (tests of how a stage treats the lookup). */
    public TopologySettings withToneFor(BiFunction<String, String, String> tones) {
        return new TopologySettings(targetLanguagesForTenant, dailyBudgetUsdForTenant, monthlyBudgetUsdForTenant,
                dailyBudgetTokensForTenant, inputUsdPer1kTokens, outputUsdPer1kTokens, maxOutputTokens, contextTurns,
                duplicateWindow, modelTimeout, maxInFlight, maxInputTokens, cacheTtl, cacheMaxEntries, tones,
                contextMaxTokens, contextIdleExpiry, compliance, budgetMetricsMaxTenants, toneTemplateMaxChars,
                monthlyBudgetTokensForTenant, reservationPricesForTenant, rateLimit, languages);
    }

    /** The tone {@code message} is translated in: its channel's, else its tenant's, else the default. */
    public String toneOf(NormalizedMessage message) {
        return toneFor.apply(message.tenantId(), message.channelId());
    }
}
