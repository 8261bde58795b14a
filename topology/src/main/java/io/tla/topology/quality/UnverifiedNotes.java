package io.tla.topology.quality;

import io.tla.schemas.Translation;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The note an unverified reply carries, so it is not passed off as a checked translation: appended to each
 * translation in that translation's language (English where there is no text for it).
 */
public final class UnverifiedNotes {

    private static final Map<String, String> NOTES = Map.ofEntries(
            Map.entry("en", "⚠ Not verified: this translation did not pass the automatic quality check."),
            Map.entry("de", "⚠ Nicht geprüft: Diese Übersetzung hat die automatische Qualitätsprüfung nicht bestanden."),
            Map.entry("fr", "⚠ Non vérifiée : cette traduction n'a pas passé le contrôle de qualité automatique."),
            Map.entry("es", "⚠ No verificada: esta traducción no superó el control de calidad automático."),
            Map.entry("it", "⚠ Non verificata: questa traduzione non ha superato il controllo di qualità automatico."),
            Map.entry("pt", "⚠ Não verificada: esta tradução não passou na verificação automática de qualidade."),
            Map.entry("nl", "⚠ Niet gecontroleerd: deze vertaling heeft de automatische kwaliteitscontrole niet doorstaan."),
            Map.entry("pl", "⚠ Niezweryfikowane: to tłumaczenie nie przeszło automatycznej kontroli jakości."),
            Map.entry("ja", "⚠ 未検証：この翻訳は自動品質チェックに合格しませんでした。"),
            Map.entry("zh", "⚠ 未验证：此翻译未通过自动质量检查。"),
            Map.entry("ko", "⚠ 검증되지 않음: 이 번역은 자동 품질 검사를 통과하지 못했습니다."));

    private UnverifiedNotes() {
    }

    /** The note in {@code language} (a BCP-47 tag), or in English. */
    public static String note(String language) {
        String primary = language == null ? "en" : TranslationVerifier.primary(language);
        return NOTES.getOrDefault(primary.toLowerCase(Locale.ROOT), NOTES.get("en"));
    }

    /** The translations, each followed by the note in its language on a line of its own. */
    public static List<Translation> marked(List<Translation> translations) {
        return translations.stream()
                .map(t -> new Translation(t.language(), t.text() + "\n\n" + note(t.language()))).toList();
    }
}
