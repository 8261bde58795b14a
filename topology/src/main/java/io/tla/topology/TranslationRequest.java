package io.tla.topology;

import io.tla.schemas.NormalizedMessage;
import io.tla.topology.budget.BudgetReservation;
import io.tla.topology.context.Turn;
import java.util.List;

/**
 * A message on its way through the stages: what the budget guard reserved for it and, after context
 * retrieval, the recent turns of its conversation. Travels on the topology's internal repartition topic.
 */
public record TranslationRequest(NormalizedMessage message, List<String> targetLanguages,
                                 BudgetReservation reservation, List<Turn> context) {

    public TranslationRequest {
        targetLanguages = List.copyOf(targetLanguages);
        context = context == null ? List.of() : List.copyOf(context);
    }

    public TranslationRequest withContext(List<Turn> turns) {
        return new TranslationRequest(message, targetLanguages, reservation, turns);
    }
}
