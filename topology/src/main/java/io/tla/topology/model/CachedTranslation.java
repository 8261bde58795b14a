package io.tla.topology.model;

import io.tla.schemas.Translation;
import java.util.List;

/** A provider's answer kept in {@code translation-cache-store}, with when it was cached (epoch millis). */
public record CachedTranslation(String provider, String model, String sourceLanguage, List<Translation> translations,
                                long cachedAt) {

    public CachedTranslation {
        translations = List.copyOf(translations);
    }
}
