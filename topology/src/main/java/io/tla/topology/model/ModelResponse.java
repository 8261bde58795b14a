package io.tla.topology.model;

import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.tla.topology.quality.Verification;
import java.util.List;

/**
 * A provider's answer: one translation per target language, the detected source language and the usage, and the
 * fallbacks taken before {@code provider} answered (empty when the first provider did).
 */
public record ModelResponse(String provider, String model, String sourceLanguage, List<Translation> translations,
                            Usage usage, List<Fallback> fallbacks, Verification verification) {

    public ModelResponse {
        translations = List.copyOf(translations);
        fallbacks = fallbacks == null ? List.of() : List.copyOf(fallbacks);
        verification = verification == null ? Verification.NOT_CHECKED : verification;
    }

    /** An answer not checked (yet). */
    public ModelResponse(String provider, String model, String sourceLanguage, List<Translation> translations,
                         Usage usage, List<Fallback> fallbacks) {
        this(provider, model, sourceLanguage, translations, usage, fallbacks, null);
    }

    /** An answer from the first provider asked. */
    public ModelResponse(String provider, String model, String sourceLanguage, List<Translation> translations,
                         Usage usage) {
        this(provider, model, sourceLanguage, translations, usage, List.of());
    }

    public ModelResponse withFallbacks(List<Fallback> taken) {
        return new ModelResponse(provider, model, sourceLanguage, translations, usage, taken, verification);
    }

    public ModelResponse withVerification(Verification checked) {
        return new ModelResponse(provider, model, sourceLanguage, translations, usage, fallbacks, checked);
    }

    /**
     * Provider {@code from} failed or was skipped for {@code reason} and {@code to} was asked next ({@code none}
     * when it was the last). {@code attempt} counts the fallbacks of one call: 1 for the first.
     */
    public record Fallback(String from, String to, String reason, int attempt) {

        public static final String NONE = "none";
    }
}
