package io.tla.topology.model;

import io.tla.topology.context.Turn;
import io.tla.topology.glossary.GlossaryTerm;
import java.util.List;

/**
 * What a provider is asked: translate {@code text} into each target language, given the earlier turns, the
 * detected source language ({@code und} when unsure), the tenant's tone and the glossary terms that apply.
 * {@code correction} is null, or, when a previous answer failed a check, the instruction saying what was wrong.
 */
public record ModelRequest(String tenantId, String conversationId, String messageId, String text,
                           List<String> targetLanguages, List<Turn> context, int maxOutputTokens,
                           String sourceLanguage, String tone, List<GlossaryTerm> glossary, String correction) {

    public ModelRequest {
        targetLanguages = List.copyOf(targetLanguages);
        context = List.copyOf(context);
        glossary = glossary == null ? List.of() : List.copyOf(glossary);
    }

    /** A first request: no correction. */
    public ModelRequest(String tenantId, String conversationId, String messageId, String text,
                        List<String> targetLanguages, List<Turn> context, int maxOutputTokens, String sourceLanguage,
                        String tone, List<GlossaryTerm> glossary) {
        this(tenantId, conversationId, messageId, text, targetLanguages, context, maxOutputTokens, sourceLanguage, tone,
                glossary, null);
    }

    /** The same request asked again, with what was wrong with the previous answer ({@code correction}). */
    public ModelRequest withCorrection(String instruction) {
        return new ModelRequest(tenantId, conversationId, messageId, text, targetLanguages, context, maxOutputTokens,
                sourceLanguage, tone, glossary, instruction);
    }
}
