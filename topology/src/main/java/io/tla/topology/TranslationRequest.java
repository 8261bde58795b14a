package io.tla.topology;

import io.tla.schemas.NormalizedMessage;
import io.tla.topology.budget.BudgetReservation;
import io.tla.topology.context.Turn;
import io.tla.topology.glossary.GlossaryTerm;
import java.util.List;

/**
 * A message on its way through the stages: the tenant's target languages, what the budget guard reserved for it
 * and, after context retrieval, the recent turns of its conversation, the tone and the glossary terms the message
 * contains. Kept in the model stage's pending store until its reply leaves. {@code sourceLanguage} is null until
 * the model stage has detected it (the stage then drops the targets already in that language); {@code tone} is
 * null until context retrieval sets it.
 */
public record TranslationRequest(NormalizedMessage message, List<String> targetLanguages,
                                 BudgetReservation reservation, List<Turn> context, String sourceLanguage,
                                 String tone, List<GlossaryTerm> glossary) {

    public TranslationRequest {
        targetLanguages = List.copyOf(targetLanguages);
        context = context == null ? List.of() : List.copyOf(context);
        glossary = glossary == null ? List.of() : List.copyOf(glossary);
    }

    /** A request as the budget guard lets it through: no context, language, tone or glossary yet. */
    public TranslationRequest(NormalizedMessage message, List<String> targetLanguages, BudgetReservation reservation,
                              List<Turn> context) {
        this(message, targetLanguages, reservation, context, null, null, List.of());
    }

    public TranslationRequest withContext(List<Turn> turns) {
        return new TranslationRequest(message, targetLanguages, reservation, turns, sourceLanguage, tone, glossary);
    }

    /** The same request for a changed message (its text redacted). */
    public TranslationRequest withMessage(NormalizedMessage changed) {
        return new TranslationRequest(changed, targetLanguages, reservation, context, sourceLanguage, tone, glossary);
    }

    public TranslationRequest withTone(String toneName) {
        return new TranslationRequest(message, targetLanguages, reservation, context, sourceLanguage, toneName, glossary);
    }

    /**
     * The request as it goes to the provider once its source language is known: the targets it still needs, and
     * only the glossary terms for those.
     */
    public TranslationRequest withSourceLanguage(String source, List<String> targets) {
        return new TranslationRequest(message, targets, reservation, context, source, tone,
                glossary.stream().filter(term -> targets.contains(term.targetLanguage())).toList());
    }

    /** The tenant's glossary terms that occur in the message, for its target languages. */
    public TranslationRequest withGlossary(List<GlossaryTerm> terms) {
        return new TranslationRequest(message, targetLanguages, reservation, context, sourceLanguage, tone, terms);
    }
}
