package io.tla.topology.model;

import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.tla.topology.Tokens;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The embedded default: no network, no key, deterministic and instant. It does not translate: every text is
 * the original, marked {@code [offline → LANG]}, so an offline reply can never pass for a real translation.
 * It lets the whole pipeline run and be tested on one machine with nothing configured.
 */
public final class OfflineModelProvider implements ModelProvider {

    public static final String TYPE = "offline";
    public static final String MODEL = "offline-echo";

    private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);

    private final String name;
    private final BigDecimal inputUsdPer1kTokens;
    private final BigDecimal outputUsdPer1kTokens;

    private final Duration latency;

    /** An offline provider that answers at once and whose usage costs nothing. */
    public OfflineModelProvider(String name) {
        this(name, BigDecimal.ZERO, BigDecimal.ZERO, Duration.ZERO);
    }

    /**
     * Prices let budgets be exercised end to end without a paid provider; a latency makes the provider answer
     * later, from another thread, as a network provider would (load tests, demos of the asynchronous stage).
     */
    public OfflineModelProvider(String name, BigDecimal inputUsdPer1kTokens, BigDecimal outputUsdPer1kTokens,
                                Duration latency) {
        this.name = name;
        this.inputUsdPer1kTokens = inputUsdPer1kTokens;
        this.outputUsdPer1kTokens = outputUsdPer1kTokens;
        this.latency = latency;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String model() {
        return MODEL;
    }

    /** Its answers are the original text, marked: there is nothing to verify. */
    @Override
    public boolean verifies() {
        return false;
    }

    @Override
    public CompletionStage<ModelResponse> translate(ModelRequest request) {
        List<Translation> translations = request.targetLanguages().stream()
                .map(language -> new Translation(language, "[offline → " + language + "] " + request.text()))
                .toList();
        long input = Tokens.estimate(request.text())
                + request.context().stream().mapToLong(turn -> Tokens.estimate(turn.text())).sum();
        long output = translations.stream().mapToLong(t -> Tokens.estimate(t.text())).sum();
        // "und": BCP-47 for undetermined; the offline provider does not detect languages.
        BigDecimal cost = inputUsdPer1kTokens.multiply(BigDecimal.valueOf(input))
                .add(outputUsdPer1kTokens.multiply(BigDecimal.valueOf(output)))
                .divide(THOUSAND, 8, java.math.RoundingMode.HALF_UP);
        ModelResponse response = new ModelResponse(name, MODEL, "und", translations, new Usage(input, output, cost));
        if (latency.isZero()) {
            return CompletableFuture.completedFuture(response);
        }
        return CompletableFuture.supplyAsync(() -> response,
                CompletableFuture.delayedExecutor(latency.toMillis(), TimeUnit.MILLISECONDS));
    }
}
