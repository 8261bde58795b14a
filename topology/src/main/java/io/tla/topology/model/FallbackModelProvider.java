package io.tla.topology.model;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.topology.quality.Check;
import io.tla.topology.quality.Corrections;
import io.tla.topology.quality.Problem;
import io.tla.topology.quality.ProviderQuality;
import io.tla.topology.quality.TranslationVerifier;
import io.tla.topology.quality.Verification;
import io.tla.topology.quality.Verification.Action;
import io.tla.topology.quality.Verification.Attempt;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The providers of {@code model.providers} as one: each call goes to the first provider of the tenant's order
 * ({@link ProviderRouting}), and on its failure (after its own retries) or when it is unavailable (breaker open,
 * key missing or expired) to the next, in order. Every fallback is logged, counted in
 * {@code tla_model_fallbacks_total{from,to,reason}} and recorded on the answer, or, when every provider failed, on
 * the {@link AllProvidersFailedException}. A {@link ProviderPolicy} skips, without a call, the providers a tenant's
 * compliance policy rules out (reason {@code policy-region} or {@code policy-certification}).
 *
 * <p><b>Checked answers.</b> With a {@link TranslationVerifier}, every answer of a provider that {@linkplain
 * ModelProvider#verifies() is checked} (and every malformed answer) is verified before it is taken. A failed answer
 * is asked for once more of the same provider, with a {@linkplain Corrections corrective instruction}; failing
 * again, the next provider is asked (reason {@code unverified-<check>}). When no provider passes, the latest of the
 * failed answers with the fewest problems is returned, marked {@link Verification.Status#UNVERIFIED}: a reply that
 * says so beats none. Each checked answer is counted in {@link ProviderQuality} and listed in the answer's {@link Verification}.
 */
public final class FallbackModelProvider implements ModelProvider {

    public static final String FALLBACKS_METER = "tla.model.fallbacks";
    /** How a fallback after failed checks is named: {@code unverified-wrong-language}. */
    public static final String UNVERIFIED = "unverified-";

    private static final Logger log = LoggerFactory.getLogger(FallbackModelProvider.class);

    private final List<ModelProvider> providers;
    private final Map<String, ModelProvider> byName;
    private final List<String> names;
    private final MeterRegistry meters;
    private final ProviderPolicy policy;
    private final ProviderRouting routing;
    private final TranslationVerifier verifier;
    private final ProviderQuality quality;

    public FallbackModelProvider(List<ModelProvider> providers, MeterRegistry meters) {
        this(providers, meters, ProviderPolicy.NONE);
    }

    /** A chain that skips, per request, the providers {@code policy} does not allow for the request's tenant. */
    public FallbackModelProvider(List<ModelProvider> providers, MeterRegistry meters, ProviderPolicy policy) {
        this(providers, meters, policy, ProviderRouting.CHAIN_ORDER, null, null);
    }

    /**
     * The chain as the pipeline runs it: ordered per tenant by {@code routing}, answers checked by
     * {@code verifier} (null: none checked) and counted in {@code quality}.
     */
    public FallbackModelProvider(List<ModelProvider> providers, MeterRegistry meters, ProviderPolicy policy,
                                 ProviderRouting routing, TranslationVerifier verifier, ProviderQuality quality) {
        if (providers.isEmpty()) {
            throw new IllegalArgumentException("a fallback chain needs at least one provider");
        }
        if (verifier != null && quality == null) {
            throw new IllegalArgumentException("checked answers are counted: a verifier needs a ProviderQuality");
        }
        this.providers = List.copyOf(providers);
        this.byName = this.providers.stream().collect(Collectors.toMap(ModelProvider::name, p -> p, (a, b) -> a,
                LinkedHashMap::new));
        this.names = List.copyOf(byName.keySet());
        this.meters = meters;
        this.policy = policy;
        this.routing = routing;
        this.verifier = verifier;
        this.quality = quality;
    }

    /** The primary's name: metrics and the cache are keyed by the chain, replies name who answered. */
    @Override
    public String name() {
        return providers.get(0).name();
    }

    /** Whether its answers are checked: only a checked answer is cached, so a cache hit of it was checked once. */
    @Override
    public boolean checksAnswers() {
        return verifier != null && providers.stream().anyMatch(ModelProvider::verifies);
    }

    public List<ModelProvider> providers() {
        return providers;
    }

    @Override
    public CompletionStage<ModelResponse> translate(ModelRequest request) {
        List<ModelProvider> order = routing.orderFor(request.tenantId(), names, name -> byName.get(name).verifies())
                .stream().map(byName::get).toList();
        return new Run(request, order).ask(0, request, false);
    }

    /** One request's way through the chain: what was passed over and every answer checked. */
    private final class Run {
        private final ModelRequest request;
        private final List<ModelProvider> order;
        private final List<ModelResponse.Fallback> taken = new ArrayList<>();
        private final List<Attempt> attempts = new ArrayList<>();
        /** The latest failed answer with the fewest problems so far, and its place in {@link #attempts}. */
        private ModelResponse kept;
        private int keptAt = -1;
        private int keptProblems;

        Run(ModelRequest request, List<ModelProvider> order) {
            this.request = request;
            this.order = order;
        }

        CompletableFuture<ModelResponse> ask(int index, ModelRequest asked, boolean retry) {
            ModelProvider provider = order.get(index);
            if (!retry) {
                Optional<String> refusal = policy.refusal(request.tenantId(), provider.name());
                if (refusal.isPresent()) {
                    // skipped like a failed provider, but without a call: none of the tenant's text reaches it
                    return next(index, refusal.get());
                }
            }
            CompletableFuture<ModelResponse> call;
            try {
                call = provider.translate(asked).toCompletableFuture();
            } catch (RuntimeException e) {
                call = CompletableFuture.failedFuture(e);
            }
            boolean checked = verifier != null && provider.verifies();
            return call.handle((response, error) -> {
                if (error != null) {
                    ProviderException failure = ResilientModelProvider.classify(provider.name(), error);
                    if (ProviderException.MALFORMED_OUTPUT.equals(failure.reason())) {
                        // asked once more with the format restated, checked chain or not
                        return failed(index, provider, List.of(Problem.malformed(failure.reason())), null, retry);
                    }
                    return next(index, failure.reason());
                }
                if (!checked) {
                    return CompletableFuture.completedFuture(finish(response, Verification.Status.NOT_CHECKED));
                }
                List<Problem> problems = verifier.check(request.text(), request.sourceLanguage(),
                        request.targetLanguages(), request.glossary(), response.translations());
                if (!problems.isEmpty()) {
                    return failed(index, provider, problems, response, retry);
                }
                quality.answered(provider.name(), provider.model(), problems);
                attempts.add(new Attempt(provider.name(), provider.model(), problems, Action.ACCEPTED));
                return CompletableFuture.completedFuture(finish(response, Verification.Status.VERIFIED));
            }).thenCompose(next -> next);
        }

        /** A failed answer: asked again once with a correction, then passed on to the next provider. */
        private CompletableFuture<ModelResponse> failed(int index, ModelProvider provider, List<Problem> problems,
                                                        ModelResponse response, boolean retry) {
            if (quality != null) {
                quality.answered(provider.name(), provider.model(), problems);
            }
            // the latest of the answers with the fewest problems: a later one was asked with a correction. A
            // malformed answer (a target missing or blank) cannot be sent at all, so it is never kept.
            boolean sendable = problems.stream().noneMatch(problem -> problem.check() == Check.MALFORMED);
            if (response != null && sendable && (kept == null || problems.size() <= keptProblems)) {
                kept = response;
                keptAt = attempts.size();
                keptProblems = problems.size();
            }
            String found = problems.stream().map(p -> p.check().wireName() + (p.language() == null ? ""
                    : ":" + p.language())).distinct().collect(Collectors.joining(","));
            if (!retry) {
                attempts.add(new Attempt(provider.name(), provider.model(), problems, Action.RETRIED));
                if (quality != null) {
                    quality.retried(provider.name(), provider.model());
                }
                log.info("event=model_answer_rejected action=retry provider={} problems={} tenant={} message_id={}",
                        provider.name(), found, request.tenantId(), request.messageId());
                return ask(index, request.withCorrection(Corrections.instruction(problems)), true);
            }
            attempts.add(new Attempt(provider.name(), provider.model(), problems, Action.FELL_BACK));
            boolean another = index + 1 < order.size();
            if (quality != null && another) {
                quality.fellBack(provider.name(), provider.model());
            }
            log.info("event=model_answer_rejected action={} provider={} problems={} tenant={} message_id={}",
                    another ? "next-provider" : "none-left", provider.name(), found, request.tenantId(),
                    request.messageId());
            Check first = problems.get(0).check();
            return next(index, first == Check.MALFORMED ? ProviderException.MALFORMED_OUTPUT
                    : UNVERIFIED + first.wireName());
        }

        /** Passes on from provider {@code index}: to the next one, to the kept answer, or to failure. */
        private CompletableFuture<ModelResponse> next(int index, String reason) {
            ModelProvider provider = order.get(index);
            boolean last = index + 1 >= order.size();
            if (last && kept != null) {
                // no provider passed: the answer with the fewest problems goes out, marked unverified
                Attempt chosen = attempts.get(keptAt).withAction(Action.KEPT_UNVERIFIED);
                attempts.set(keptAt, chosen);
                quality.keptUnverified(chosen.provider(), chosen.model());
                log.warn("event=model_answer_unverified provider={} tenant={} message_id={}", chosen.provider(),
                        request.tenantId(), request.messageId());
                return CompletableFuture.completedFuture(finish(kept, Verification.Status.UNVERIFIED));
            }
            String to = last ? ModelResponse.Fallback.NONE : order.get(index + 1).name();
            ModelResponse.Fallback fallback = new ModelResponse.Fallback(provider.name(), to, reason, taken.size() + 1);
            taken.add(fallback);
            record(request, fallback);
            if (last) {
                return CompletableFuture.failedFuture(
                        new AllProvidersFailedException(provider.name(), reason, taken, attempts));
            }
            return ask(index + 1, request, false);
        }

        private ModelResponse finish(ModelResponse response, Verification.Status status) {
            ModelResponse answered = taken.isEmpty() ? response : response.withFallbacks(taken);
            return answered.withVerification(new Verification(status, attempts));
        }
    }

    private void record(ModelRequest request, ModelResponse.Fallback fallback) {
        Counter.builder(FALLBACKS_METER).description("Model calls passed on to the next provider (to=none: none left)")
                .tag("from", fallback.from()).tag("to", fallback.to()).tag("reason", fallback.reason())
                .register(meters).increment();
        log.warn("event=model_fallback from={} to={} reason={} attempt={} tenant={} conversation={} message_id={}",
                fallback.from(), fallback.to(), fallback.reason(), fallback.attempt(), request.tenantId(),
                request.conversationId(), request.messageId());
    }
}
