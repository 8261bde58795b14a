package io.tla.topology.model;

import io.tla.topology.context.Turn;
import io.tla.topology.glossary.GlossaryTerm;
import java.util.List;

/**
 * What a provider is asked: translate {@code text} into each target language, given the earlier turns, the
 * detected source language ({@code und} when unsure), the tenant's tone and the glossary terms that apply.
 * {@code correction} is null, or, when a previous answer failed a check, the instruction saying what was wrong.
 *
 * @param toneTemplate the tenant's or channel's own style guide ({@code tla.tones.v1}), null for none; a prompt
 *                     carries it as quoted data. In memory only: never serialised with the request.
 */
public record ModelRequest(String tenantId, String conversationId, String messageId, String text,
                           List<String> targetLanguages, List<Turn> context, int maxOutputTokens,
                           String sourceLanguage, String tone, List<GlossaryTerm> glossary, String toneTemplate,
                           String correction) {

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

    /** A first request: no correction. */
    public ModelRequest(String tenantId, String conversationId, String messageId, String text,
                        List<String> targetLanguages, List<Turn> context, int maxOutputTokens, String sourceLanguage,
                        String tone, List<GlossaryTerm> glossary, String toneTemplate) {
        this(tenantId, conversationId, messageId, text, targetLanguages, context, maxOutputTokens, sourceLanguage, tone,
                glossary, toneTemplate, null);
    }

    /** The same request asked again, with what was wrong with the previous answer ({@code correction}). */
    public ModelRequest withCorrection(String instruction) {
        return new ModelRequest(tenantId, conversationId, messageId, text, targetLanguages, context, maxOutputTokens,
                sourceLanguage, tone, glossary, toneTemplate, instruction);
    }
}
