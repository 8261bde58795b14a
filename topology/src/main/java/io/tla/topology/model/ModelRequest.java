package io.tla.topology.model;

import io.tla.topology.context.Turn;
import io.tla.topology.glossary.GlossaryTerm;
import java.util.List;

/**
 * What a provider is asked: translate {@code text} into each target language, given the earlier turns, the
 * detected source language ({@code und} when unsure), the tenant's tone and the glossary terms that apply.
 *
 * @param toneTemplate the tenant's or channel's own style guide ({@code tla.tones.v1}), null for none; a prompt
 *                     carries it as quoted data. In memory only: never serialised with the request.
 */
public record ModelRequest(String tenantId, String conversationId, String messageId, String text,
                           List<String> targetLanguages, List<Turn> context, int maxOutputTokens,
                           String sourceLanguage, String tone, List<GlossaryTerm> glossary, String toneTemplate) {

    public ModelRequest {
        targetLanguages = List.copyOf(targetLanguages);
        context = List.copyOf(context);
        glossary = glossary == null ? List.of() : List.copyOf(glossary);
    }

    /** A request without a tone template. */
    public ModelRequest(String tenantId, String conversationId, String messageId, String text,
                        List<String> targetLanguages, List<Turn> context, int maxOutputTokens, String sourceLanguage,
                        String tone, List<GlossaryTerm> glossary) {
        this(tenantId, conversationId, messageId, text, targetLanguages, context, maxOutputTokens, sourceLanguage,
                tone, glossary, null);
    }
}
