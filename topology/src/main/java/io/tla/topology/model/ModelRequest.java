package io.tla.topology.model;

import io.tla.topology.context.Turn;
import io.tla.topology.glossary.GlossaryTerm;
import java.util.List;

/**
 * What a provider is asked: translate {@code text} into each target language, given the earlier turns, the
 * detected source language ({@code und} when unsure), the tenant's tone and the glossary terms that apply.
 */
public record ModelRequest(String tenantId, String conversationId, String messageId, String text,
                           List<String> targetLanguages, List<Turn> context, int maxOutputTokens,
                           String sourceLanguage, String tone, List<GlossaryTerm> glossary) {

    public ModelRequest {
        targetLanguages = List.copyOf(targetLanguages);
        context = List.copyOf(context);
        glossary = glossary == null ? List.of() : List.copyOf(glossary);
    }
}
