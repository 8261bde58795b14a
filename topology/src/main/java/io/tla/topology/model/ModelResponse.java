package io.tla.topology.model;

import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import java.util.List;

/** A provider's answer: one translation per target language, the detected source language and the usage. */
public record ModelResponse(String provider, String model, String sourceLanguage, List<Translation> translations,
                            Usage usage) {

    public ModelResponse {
        translations = List.copyOf(translations);
    }
}
