package io.tla.topology.model;

import io.tla.topology.context.Turn;
import java.util.List;

/** What a provider is asked: translate {@code text} into each target language, given the earlier turns. */
public record ModelRequest(String tenantId, String conversationId, String messageId, String text,
                           List<String> targetLanguages, List<Turn> context, int maxOutputTokens) {

    public ModelRequest {
        targetLanguages = List.copyOf(targetLanguages);
        context = List.copyOf(context);
    }
}
