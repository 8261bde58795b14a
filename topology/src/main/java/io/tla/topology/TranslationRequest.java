package io.tla.topology;

import io.tla.schemas.NormalizedMessage;
import io.tla.topology.budget.BudgetReservation;
import io.tla.topology.context.Turn;
import io.tla.topology.glossary.GlossaryTerm;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A message on its way through the stages: the tenant's target languages, what the budget guard reserved for it
 * and, after context retrieval, the recent turns of its conversation, the tone and the glossary terms the message
 * contains. Kept in the model stage's pending store until its reply leaves. {@code sourceLanguage} is null until
 * the model stage has detected it (the stage then drops the targets already in that language); {@code tone} is
 * null until context retrieval sets it.
 *
 * <p>{@code facts} is what the stages observed about the message so far, keyed by telemetry type
 * ({@code budget.decision}, {@code pii.detected}, {@code context.retrieved}, ...), each the attributes that type's
 * event has plus {@code at}: the stage where the message's path ends sends them as one {@code message.processed}
 * event ({@link TelemetryEvents#processed}) instead of every stage sending its own. They travel with the request,
 * through the pending store too, so a restart loses none.
 */
public record TranslationRequest(NormalizedMessage message, List<String> targetLanguages,
                                 BudgetReservation reservation, List<Turn> context, String sourceLanguage,
                                 String tone, List<GlossaryTerm> glossary, Map<String, Map<String, Object>> facts) {

    public TranslationRequest {
        targetLanguages = List.copyOf(targetLanguages);
        context = context == null ? List.of() : List.copyOf(context);
        glossary = glossary == null ? List.of() : List.copyOf(glossary);
        facts = immutable(facts);
    }

    /** A request as the budget guard lets it through: no context, language, tone, glossary or facts yet. */
    public TranslationRequest(NormalizedMessage message, List<String> targetLanguages, BudgetReservation reservation,
                              List<Turn> context) {
        this(message, targetLanguages, reservation, context, null, null, List.of(), Map.of());
    }

    /** The same request for these target languages (the union context retrieval resolves). */
    public TranslationRequest withTargetLanguages(List<String> languages) {
        return new TranslationRequest(message, languages, reservation, context, sourceLanguage, tone, glossary,
                facts);
    }

    public TranslationRequest withContext(List<Turn> turns) {
        return new TranslationRequest(message, targetLanguages, reservation, turns, sourceLanguage, tone, glossary,
                facts);
    }

    /** The same request for a changed message (its text redacted). */
    public TranslationRequest withMessage(NormalizedMessage changed) {
        return new TranslationRequest(changed, targetLanguages, reservation, context, sourceLanguage, tone, glossary,
                facts);
    }

    public TranslationRequest withTone(String toneName) {
        return new TranslationRequest(message, targetLanguages, reservation, context, sourceLanguage, toneName,
                glossary, facts);
    }

    /**
     * The request as it goes to the provider once its source language is known: the targets it still needs, and
     * only the glossary terms for those.
     */
    public TranslationRequest withSourceLanguage(String source, List<String> targets) {
        return new TranslationRequest(message, targets, reservation, context, source, tone,
                glossary.stream().filter(term -> targets.contains(term.targetLanguage())).toList(), facts);
    }

    /** The tenant's glossary terms that occur in the message, for its target languages. */
    public TranslationRequest withGlossary(List<GlossaryTerm> terms) {
        return new TranslationRequest(message, targetLanguages, reservation, context, sourceLanguage, tone, terms,
                facts);
    }

    /**
     * The same request, also carrying what a stage observed: the attributes of a {@code type} event (null values
     * left out) and {@code at}, when it was observed. A type observed again replaces the earlier facts.
     */
    public TranslationRequest withFact(String type, Map<String, Object> attributes, Instant at) {
        return new TranslationRequest(message, targetLanguages, reservation, context, sourceLanguage, tone, glossary,
                TelemetryEvents.withFact(facts, type, attributes, at));
    }

    /** The class {@link Collections#unmodifiableMap} returns for the facts' attribute maps. */
    private static final Class<?> UNMODIFIABLE = Collections.unmodifiableMap(new LinkedHashMap<>()).getClass();

    /**
     * Unmodifiable at both levels, without null keys or values. Facts already made so (passed on from request to
     * request) are not copied again.
     */
    private static Map<String, Map<String, Object>> immutable(Map<String, Map<String, Object>> facts) {
        if (facts == null || facts.isEmpty()) {
            return Map.of();
        }
        boolean ready = true;
        for (Map.Entry<String, Map<String, Object>> entry : facts.entrySet()) {
            if (entry.getKey() == null || !UNMODIFIABLE.isInstance(entry.getValue())) {
                ready = false;
                break;
            }
        }
        if (ready) {
            return Map.copyOf(facts); // the same map when it already is such a copy
        }
        Map<String, Map<String, Object>> copy = new HashMap<>();
        facts.forEach((type, attributes) -> {
            if (type != null && attributes != null) {
                Map<String, Object> fact = new LinkedHashMap<>();
                attributes.forEach((name, value) -> {
                    if (name != null && value != null) {
                        fact.put(name, value);
                    }
                });
                copy.put(type, Collections.unmodifiableMap(fact));
            }
        });
        return Map.copyOf(copy);
    }
}
