package io.tla.topology.glossary;

import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.Translation;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Which glossary terms apply to a message, and whether a translation honoured them. Pure code: no store, no
 * clock.
 *
 * <h2>Which entries apply</h2>
 * An entry applies to a message when all of these hold:
 * <ul>
 *   <li>it belongs to the message's tenant;</li>
 *   <li>its scope reaches the message: a {@code tenant} entry always, a {@code channel} entry when its
 *       {@code scopeId} is the message's Teams channel id (chats have none), a {@code user} entry when its
 *       {@code scopeId} is the sender's AAD object id;</li>
 *   <li>its target language is one of the request's target languages (language tags compared
 *       case-insensitively, exactly: an entry for {@code pt} does not apply to {@code pt-BR});</li>
 *   <li>its source term occurs in the text as a whole word or phrase, case-insensitively (see
 *       {@link TermMatcher}: {@code API} is not found in {@code rapid}; multi-word terms match across any run of
 *       white space; in Chinese, Japanese, Korean, Thai and similar scripts, which do not separate words with
 *       spaces, the term is matched as a substring).</li>
 * </ul>
 *
 * <h2>Precedence</h2>
 * When several applicable entries define the same source term (compared folded: case, width and spacing
 * ignored) for the same target language, the most specific scope wins: <b>user &gt; channel &gt; tenant</b>. So a
 * user's preferred translation overrides the channel's, which overrides the tenant-wide one. Different terms
 * never override each other: {@code API} and {@code API gateway} can both apply. Within one scope (which the
 * topic's key makes unique anyway) the most recently updated entry wins.
 *
 * <h2>Violations</h2>
 * After the model answers, a {@linkplain GlossaryTerm#strict() strict} term is violated when the translation
 * into its language does not contain its target term (case-insensitive substring of the folded texts, so
 * inflected forms such as a plural still count as honoured). A language the model did not answer is not a
 * glossary violation.
 */
public final class Glossary {

    private static final Comparator<GlossaryTerm> TERM_ORDER = Comparator
            .comparing((GlossaryTerm term) -> term.targetLanguage().toLowerCase(Locale.ROOT))
            .thenComparing(term -> GlossaryEntry.foldTerm(term.sourceTerm()))
            .thenComparing(GlossaryTerm::sourceTerm);

    private Glossary() {
    }

    /**
     * The terms that apply to a message, one per source term and target language after precedence, ordered by
     * language then source term. Each term carries the target language as the request spells it.
     *
     * @param entries            candidate entries, typically all of the tenant's (others are ignored)
     * @param channelId          the message's Teams channel id, null in chats
     * @param senderAadObjectId  the sender's AAD object id, may be null
     */
    public static List<GlossaryTerm> applicableTerms(Collection<GlossaryEntry> entries, String tenantId, String channelId,
                                                     String senderAadObjectId, String text,
                                                     Collection<String> targetLanguages) {
        Objects.requireNonNull(tenantId, "tenantId");
        if (text == null || text.isBlank() || targetLanguages.isEmpty()) {
            return List.of();
        }
        // lower case → the request's own spelling, which the terms then carry
        Map<String, String> languages = new HashMap<>();
        targetLanguages.forEach(language -> languages.putIfAbsent(language.toLowerCase(Locale.ROOT), language));
        // Precedence first, per folded term and language; the text match depends on the term only.
        Map<String, GlossaryEntry> winners = new LinkedHashMap<>();
        for (GlossaryEntry entry : entries) {
            if (!tenantId.equals(entry.tenantId()) || !reaches(entry, channelId, senderAadObjectId)
                    || !languages.containsKey(entry.targetLanguage().toLowerCase(Locale.ROOT))) {
                continue;
            }
            String key = GlossaryEntry.foldTerm(entry.sourceTerm()) + '\u0000' + entry.targetLanguage().toLowerCase(Locale.ROOT);
            winners.merge(key, entry, Glossary::morePrecedent);
        }
        if (winners.isEmpty()) {
            return List.of(); // most tenants have no glossary: do not fold the text for nothing
        }
        String foldedText = GlossaryEntry.foldTerm(text);
        Map<String, Boolean> occurs = new HashMap<>();
        List<GlossaryTerm> terms = new ArrayList<>();
        for (GlossaryEntry entry : winners.values()) {
            String foldedTerm = GlossaryEntry.foldTerm(entry.sourceTerm());
            if (occurs.computeIfAbsent(foldedTerm, term -> TermMatcher.occursIn(term, foldedText))) {
                terms.add(new GlossaryTerm(entry.sourceTerm(),
                        languages.get(entry.targetLanguage().toLowerCase(Locale.ROOT)), entry.targetTerm(),
                        entry.strict(), entry.scope()));
            }
        }
        terms.sort(TERM_ORDER);
        return List.copyOf(terms);
    }

    /** Whether {@code term} occurs in {@code text} by the whole-word rule of {@link #applicableTerms}. */
    public static boolean occursIn(String term, String text) {
        return TermMatcher.occursIn(GlossaryEntry.foldTerm(term), GlossaryEntry.foldTerm(text));
    }

    /** The strict terms whose target term is missing from the translation of their language. */
    public static List<GlossaryViolation> violations(List<GlossaryTerm> terms, List<Translation> translations) {
        return misses(terms, translations).stream().filter(violation -> violation.term().strict()).toList();
    }

    /**
     * Every term, strict or not, whose target term is missing from the translation of its language: what
     * telemetry may report. Terms of a language without a translation are not counted.
     */
    public static List<GlossaryViolation> misses(List<GlossaryTerm> terms, List<Translation> translations) {
        if (terms.isEmpty()) {
            return List.of();
        }
        Map<String, String> foldedByLanguage = new HashMap<>();
        for (Translation translation : translations) {
            if (translation.language() != null && translation.text() != null) {
                foldedByLanguage.putIfAbsent(translation.language().toLowerCase(Locale.ROOT),
                        GlossaryEntry.foldTerm(translation.text()));
            }
        }
        List<GlossaryViolation> misses = new ArrayList<>();
        for (GlossaryTerm term : terms) {
            String translated = foldedByLanguage.get(term.targetLanguage().toLowerCase(Locale.ROOT));
            if (translated != null && !translated.contains(GlossaryEntry.foldTerm(term.targetTerm()))) {
                misses.add(new GlossaryViolation(term));
            }
        }
        return List.copyOf(misses);
    }

    /**
     * The translations with each violation's {@linkplain GlossaryViolation#flag() note} appended to the text of
     * its language, in the order of {@code violations}; other translations unchanged. Deterministic, so a
     * re-processed message yields the same reply.
     */
    public static List<Translation> flag(List<Translation> translations, List<GlossaryViolation> violations) {
        if (violations.isEmpty()) {
            return translations;
        }
        List<Translation> flagged = new ArrayList<>(translations.size());
        for (Translation translation : translations) {
            StringBuilder text = new StringBuilder(translation.text());
            for (GlossaryViolation violation : violations) {
                if (violation.term().targetLanguage().equalsIgnoreCase(translation.language())) {
                    text.append(violation.flag());
                }
            }
            flagged.add(new Translation(translation.language(), text.toString()));
        }
        return List.copyOf(flagged);
    }

    /**
     * The glossary part of a prompt: one line per term, in the order given, or the empty string when no term
     * applies. Terms are quoted, so a term reads as data rather than as an instruction.
     */
    public static String promptSection(List<GlossaryTerm> terms) {
        if (terms.isEmpty()) {
            return "";
        }
        StringBuilder prompt = new StringBuilder("Glossary: translate these terms exactly as given.\n");
        for (GlossaryTerm term : terms) {
            prompt.append("- ").append(quote(term.sourceTerm())).append(" → ").append(term.targetLanguage())
                    .append(": ").append(quote(term.targetTerm()));
            if (term.strict()) {
                prompt.append(" (required)");
            }
            prompt.append('\n');
        }
        return prompt.toString();
    }

    private static String quote(String term) {
        return '"' + term.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static boolean reaches(GlossaryEntry entry, String channelId, String senderAadObjectId) {
        return switch (entry.scope()) {
            case TENANT -> true;
            case CHANNEL -> channelId != null && channelId.equals(entry.scopeId());
            case USER -> senderAadObjectId != null && senderAadObjectId.equals(entry.scopeId());
        };
    }

    private static GlossaryEntry morePrecedent(GlossaryEntry a, GlossaryEntry b) {
        if (a.scope().precedence() != b.scope().precedence()) {
            return a.scope().precedence() > b.scope().precedence() ? a : b;
        }
        return b.updatedAt().isAfter(a.updatedAt()) ? b : a;
    }
}
