package io.tla.topology;

import io.tla.schemas.NormalizedMessage;
import io.tla.topology.budget.BudgetReservation;
import io.tla.topology.context.Turn;
import io.tla.topology.glossary.GlossaryTerm;
import java.util.List;

/**
 * A message on its way through the stages: what the budget guard reserved for it and, after context
 * retrieval, the recent turns of its conversation, the detected source language (a BCP-47 primary tag, or
 * {@code und}), the target languages it still needs (the source language dropped from them) and the tenant's
 * tone, and the glossary terms that apply. Travels on the topology's internal repartition topic; {@code sourceLanguage} and {@code tone} are null
 * until context retrieval sets them.
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

    public TranslationRequest withLanguages(String source, List<String> targets, String toneName) {
        return new TranslationRequest(message, targets, reservation, context, source, toneName, glossary);
    }

    /** The tenant's glossary terms that occur in the message, for its target languages. */
    public TranslationRequest withGlossary(List<GlossaryTerm> terms) {
        return new TranslationRequest(message, targetLanguages, reservation, context, sourceLanguage, tone, terms);
    }
}
