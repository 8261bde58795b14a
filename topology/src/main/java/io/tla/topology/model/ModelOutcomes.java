package io.tla.topology.model;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.tla.topology.ReplyIds;
import io.tla.topology.TelemetryEvents;
import io.tla.topology.TranslationRequest;
import io.tla.topology.budget.BudgetSettlement;
import io.tla.topology.errors.DeadLetter;
import io.tla.topology.glossary.Glossary;
import io.tla.topology.glossary.GlossaryTelemetry;
import io.tla.topology.glossary.GlossaryTerm;
import io.tla.topology.glossary.GlossaryViolation;
import io.tla.topology.quality.UnverifiedNotes;
import io.tla.topology.quality.Verification;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a finished model call into its {@link ModelOutcome} and counts it: {@code tla.model.calls},
 * {@code tla.model.call.seconds}, {@code tla.model.tokens}, {@code tla.model.cost.usd},
 * {@code tla.translation.skipped}. The meters are looked up once here rather than per completion: the registry
 * returns the same meters to every task.
 */
final class ModelOutcomes {

    private static final Logger log = LoggerFactory.getLogger(ModelOutcomes.class);

    private final String provider;
    private final Clock clock;
    private final Timer callTimeOk;
    private final Timer callTimeError;
    private final Counter callsOk;
    private final Counter callsError;
    private final Counter inputTokens;
    private final Counter outputTokens;
    private final Counter costUsd;
    private final Counter skippedAlreadyInTarget;

    /** @param provider the configured provider chain's name, which the telemetry and meters name */
    ModelOutcomes(String provider, Clock clock, MeterRegistry meters) {
        this.provider = provider;
        this.clock = clock;
        this.callTimeOk = callTime(provider, "ok", meters);
        this.callTimeError = callTime(provider, "error", meters);
        this.callsOk = Counter.builder("tla.model.calls").tag("provider", provider).tag("outcome", "ok")
                .register(meters);
        this.callsError = Counter.builder("tla.model.calls").tag("provider", provider).tag("outcome", "error")
                .register(meters);
        this.inputTokens = Counter.builder("tla.model.tokens").tag("provider", provider).tag("direction", "input")
                .register(meters);
        this.outputTokens = Counter.builder("tla.model.tokens").tag("provider", provider)
                .tag("direction", "output").register(meters);
        this.costUsd = Counter.builder("tla.model.cost.usd").tag("provider", provider).register(meters);
        this.skippedAlreadyInTarget = Counter.builder("tla.translation.skipped")
                .tag("reason", ModelOutcome.Skipped.ALREADY_IN_TARGET_LANGUAGE)
                .description("Messages not sent to the model").register(meters);
    }

    private static Timer callTime(String provider, String outcome, MeterRegistry meters) {
        return Timer.builder("tla.model.call.seconds").tag("provider", provider).tag("outcome", outcome)
                .publishPercentileHistogram().register(meters);
    }

    /**
     * What {@code completion} of {@code call} becomes. A failure's dead letter names where the message was read:
     * {@code inputTopic} (the by-tenant repartition topic), {@code partition}, and the offset its key holds.
     */
    ModelOutcome of(PendingCall call, ModelCompletion completion, String inputTopic, int partition) {
        if (completion.skipped()) {
            return skipped(call.request(), completion.sourceLanguage());
        }
        return completion.response() != null ? translated(call.request(), completion)
                : failed(call, completion, inputTopic, partition);
    }

    /** Already in the language (or all the languages) the tenant reads: nothing for the model to do. */
    private ModelOutcome skipped(TranslationRequest request, String sourceLanguage) {
        NormalizedMessage message = request.message();
        skippedAlreadyInTarget.increment();
        Instant now = clock.instant();
        return new ModelOutcome.Skipped(
                BudgetSettlement.release(message.tenantId(), message.messageId(), request.reservation()),
                TelemetryEvents.processed(request.withFact(TelemetryEvent.Types.TRANSLATION_SKIPPED, Map.of(
                        "reason", ModelOutcome.Skipped.ALREADY_IN_TARGET_LANGUAGE, "language", sourceLanguage), now),
                        now));
    }

    private ModelOutcome translated(TranslationRequest request, ModelCompletion completion) {
        NormalizedMessage message = request.message();
        ModelResponse response = completion.response();
        Instant now = clock.instant();
        callTimeOk.record(completion.nanos(), TimeUnit.NANOSECONDS);
        callsOk.increment();
        inputTokens.increment(response.usage().inputTokens());
        outputTokens.increment(response.usage().outputTokens());
        costUsd.increment(response.usage().costUsd().doubleValue());

        Map<String, Object> attributes = callAttributes(completion, "ok");
        attributes.put("model", response.model());
        attributes.put("inputTokens", response.usage().inputTokens());
        attributes.put("outputTokens", response.usage().outputTokens());
        attributes.put("costUsd", response.usage().costUsd());
        // the provider's view of the source language wins; where it has none, the detected one stands
        String sourceLanguage = response.sourceLanguage() == null || "und".equals(response.sourceLanguage())
                ? completion.sourceLanguage() : response.sourceLanguage();
        if (sourceLanguage != null) {
            attributes.put("sourceLanguage", sourceLanguage);
        }
        // strict glossary terms the answer did not use are reported and flagged in the reply's text; terms for a
        // target dropped because the message is already in that language do not apply
        Set<String> answered = new HashSet<>(response.translations().stream().map(Translation::language).toList());
        List<GlossaryTerm> terms = request.glossary().stream()
                .filter(term -> answered.contains(term.targetLanguage())).toList();
        List<GlossaryViolation> violations = Glossary.violations(terms, response.translations());
        Verification verification = response.verification();
        attributes.put("verification", verification.status().wireName());
        if (!verification.attempts().isEmpty()) {
            attributes.put("attempts", verification.telemetry());
        }
        List<Translation> translations = Glossary.flag(response.translations(), violations);
        if (verification.status() == Verification.Status.UNVERIFIED) {
            // an answer no provider got past the checks says so, rather than passing for a checked one
            translations = UnverifiedNotes.marked(translations);
        }
        ReplyEvent reply = reply(message, ReplyKind.TRANSLATION, sourceLanguage, translations, response.provider(),
                response.model(), response.usage(), now).withVerification(verification.status().wireName());
        List<TelemetryEvent> rare = new java.util.ArrayList<>(GlossaryTelemetry.violations(message, violations, now));
        rare.addAll(fallbacks(message, response.fallbacks(), now));
        return new ModelOutcome.Translated(reply,
                new BudgetSettlement(message.tenantId(), message.messageId(), request.reservation(), response.usage()),
                processed(request, attributes, reply, now), rare);
    }

    private ModelOutcome failed(PendingCall call, ModelCompletion completion, String inputTopic, int partition) {
        TranslationRequest request = call.request();
        NormalizedMessage message = request.message();
        Instant now = clock.instant();
        callTimeError.record(completion.nanos(), TimeUnit.NANOSECONDS);
        callsError.increment();
        String error = completion.reason();
        Map<String, Object> attributes = callAttributes(completion, "error");
        attributes.put("error", error);
        log.warn("event=model_call_failed provider={} tenant={} conversation={} message_id={} error={}",
                provider, message.tenantId(), message.conversationId(), message.messageId(), error);
        ReplyEvent reply = reply(message, ReplyKind.FAILED, null, List.of(new Translation("en",
                "Sorry, this message could not be translated right now.")), provider, null, null, now);
        Throwable cause = completion.cause();
        // the input it was read from (the by-tenant repartition topic, this task's partition, the offset kept in
        // its key) and why, without secrets
        DeadLetter deadLetter = new DeadLetter(message, ModelCall.NAME,
                cause == null ? "unknown" : cause.getClass().getName(),
                cause == null ? null : String.valueOf(cause.getMessage()), error, inputTopic, partition,
                PendingQueue.offsetOf(completion.key()), call.replayAttempt(), now);
        List<ModelResponse.Fallback> passedOver = cause instanceof AllProvidersFailedException failed
                ? failed.fallbacks() : List.of();
        if (cause instanceof AllProvidersFailedException failed && !failed.attempts().isEmpty()) {
            attributes.put("attempts", new Verification(Verification.Status.UNVERIFIED, failed.attempts()).telemetry());
        }
        return new ModelOutcome.Failed(reply,
                BudgetSettlement.release(message.tenantId(), message.messageId(), request.reservation()), deadLetter,
                processed(request, attributes, reply, now), fallbacks(message, passedOver, now));
    }

    /** The {@code model.call} attributes every outcome has. */
    private Map<String, Object> callAttributes(ModelCompletion completion, String outcome) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("provider", provider);
        attributes.put("outcome", outcome);
        attributes.put("latencyMs", completion.nanos() / 1_000_000.0);
        attributes.put("cache", completion.cached() ? "hit" : "miss");
        attributes.put("attempt", completion.attempt());
        // whose tone template the prompt carried; never its text
        attributes.put("toneTemplate", completion.toneTemplate().wireName());
        if (completion.chunks() > 1) {
            attributes.put("chunks", completion.chunks());
        }
        return attributes;
    }

    /** The message's one event: what the earlier stages observed, the call and the reply. */
    private static TelemetryEvent processed(TranslationRequest request, Map<String, Object> call, ReplyEvent reply,
                                            Instant now) {
        return TelemetryEvents.processed(request
                .withFact(TelemetryEvent.Types.MODEL_CALL, call, now)
                .withFact(TelemetryEvent.Types.REPLY_EMITTED, TelemetryEvents.replyEmitted(request.message(), reply,
                        now), now), now);
    }

    /** One {@code model.fallback} event per provider passed over, whether another answered or none did. */
    private static List<TelemetryEvent> fallbacks(NormalizedMessage message, List<ModelResponse.Fallback> fallbacks,
                                                  Instant now) {
        return fallbacks.stream().map(fallback -> TelemetryEvents.forMessage(TelemetryEvent.Types.MODEL_FALLBACK,
                message, now, Map.<String, Object>of("from", fallback.from(), "to", fallback.to(),
                        "reason", fallback.reason(), "attempt", fallback.attempt()))).toList();
    }

    private static ReplyEvent reply(NormalizedMessage message, ReplyKind kind, String sourceLanguage,
                                    List<Translation> translations, String provider, String model, Usage usage,
                                    Instant now) {
        return ReplyEvent.answering(message, ReplyIds.of(message, kind), kind, sourceLanguage, translations, provider,
                model, usage, now);
    }
}
