package io.tla.topology.budget;

import io.tla.schemas.Translation;
import java.util.Locale;
import java.util.Map;

/**
 * The refusal a sender reads when a budget limit stops their message: one short, polite sentence in their language
 * that says which limit was reached and when translation resumes. Languages without a text here get English.
 */
public final class BudgetRefusals {

    public static final String FALLBACK_LANGUAGE = "en";

    /** Per primary language tag: the sentence for the daily USD, monthly USD, daily token and monthly token limit. */
    private static final Map<String, Map<BudgetLimit, String>> TEXTS = Map.ofEntries(
            texts("en",
                    "Sorry, your organisation has reached its daily translation budget, so translation is paused until 00:00 UTC.",
                    "Sorry, your organisation has reached its monthly translation budget, so translation is paused until the 1st of next month (UTC).",
                    "Sorry, your organisation has reached its daily limit on the amount of text to translate, so translation is paused until 00:00 UTC.",
                    "Sorry, your organisation has reached its monthly limit on the amount of text to translate, so translation is paused until the 1st of next month (UTC)."),
            texts("de",
                    "Leider hat Ihre Organisation ihr tägliches Übersetzungsbudget erreicht, daher sind Übersetzungen bis 00:00 Uhr UTC pausiert.",
                    "Leider hat Ihre Organisation ihr monatliches Übersetzungsbudget erreicht, daher sind Übersetzungen bis zum 1. des nächsten Monats (UTC) pausiert.",
                    "Leider hat Ihre Organisation ihre tägliche Höchstmenge an zu übersetzendem Text erreicht, daher sind Übersetzungen bis 00:00 Uhr UTC pausiert.",
                    "Leider hat Ihre Organisation ihre monatliche Höchstmenge an zu übersetzendem Text erreicht, daher sind Übersetzungen bis zum 1. des nächsten Monats (UTC) pausiert."),
            texts("fr",
                    "Désolé, votre organisation a atteint son budget de traduction quotidien : la traduction est suspendue jusqu'à 00:00 UTC.",
                    "Désolé, votre organisation a atteint son budget de traduction mensuel : la traduction est suspendue jusqu'au 1er du mois prochain (UTC).",
                    "Désolé, votre organisation a atteint sa limite quotidienne de texte à traduire : la traduction est suspendue jusqu'à 00:00 UTC.",
                    "Désolé, votre organisation a atteint sa limite mensuelle de texte à traduire : la traduction est suspendue jusqu'au 1er du mois prochain (UTC)."),
            texts("es",
                    "Lo sentimos, su organización ha alcanzado su presupuesto diario de traducción, por lo que la traducción queda en pausa hasta las 00:00 UTC.",
                    "Lo sentimos, su organización ha alcanzado su presupuesto mensual de traducción, por lo que la traducción queda en pausa hasta el día 1 del próximo mes (UTC).",
                    "Lo sentimos, su organización ha alcanzado su límite diario de texto para traducir, por lo que la traducción queda en pausa hasta las 00:00 UTC.",
                    "Lo sentimos, su organización ha alcanzado su límite mensual de texto para traducir, por lo que la traducción queda en pausa hasta el día 1 del próximo mes (UTC)."),
            texts("it",
                    "Ci dispiace, la vostra organizzazione ha raggiunto il budget giornaliero per le traduzioni, quindi la traduzione è sospesa fino alle 00:00 UTC.",
                    "Ci dispiace, la vostra organizzazione ha raggiunto il budget mensile per le traduzioni, quindi la traduzione è sospesa fino al primo del mese prossimo (UTC).",
                    "Ci dispiace, la vostra organizzazione ha raggiunto il limite giornaliero di testo da tradurre, quindi la traduzione è sospesa fino alle 00:00 UTC.",
                    "Ci dispiace, la vostra organizzazione ha raggiunto il limite mensile di testo da tradurre, quindi la traduzione è sospesa fino al primo del mese prossimo (UTC)."),
            texts("pt",
                    "Lamentamos, mas a sua organização atingiu o orçamento diário de tradução, por isso a tradução fica suspensa até 00:00 UTC.",
                    "Lamentamos, mas a sua organização atingiu o orçamento mensal de tradução, por isso a tradução fica suspensa até o dia 1 do próximo mês (UTC).",
                    "Lamentamos, mas a sua organização atingiu o limite diário de texto a traduzir, por isso a tradução fica suspensa até 00:00 UTC.",
                    "Lamentamos, mas a sua organização atingiu o limite mensal de texto a traduzir, por isso a tradução fica suspensa até o dia 1 do próximo mês (UTC)."),
            texts("nl",
                    "Helaas heeft uw organisatie haar dagelijkse vertaalbudget bereikt, daarom is vertalen gepauzeerd tot 00:00 UTC.",
                    "Helaas heeft uw organisatie haar maandelijkse vertaalbudget bereikt, daarom is vertalen gepauzeerd tot de 1e van volgende maand (UTC).",
                    "Helaas heeft uw organisatie haar dagelijkse limiet voor te vertalen tekst bereikt, daarom is vertalen gepauzeerd tot 00:00 UTC.",
                    "Helaas heeft uw organisatie haar maandelijkse limiet voor te vertalen tekst bereikt, daarom is vertalen gepauzeerd tot de 1e van volgende maand (UTC)."),
            texts("ja",
                    "申し訳ありませんが、組織の1日の翻訳予算に達したため、UTC 0:00まで翻訳を一時停止しています。",
                    "申し訳ありませんが、組織の月間翻訳予算に達したため、翌月1日（UTC）まで翻訳を一時停止しています。",
                    "申し訳ありませんが、組織の1日に翻訳できるテキスト量の上限に達したため、UTC 0:00まで翻訳を一時停止しています。",
                    "申し訳ありませんが、組織の1か月に翻訳できるテキスト量の上限に達したため、翌月1日（UTC）まで翻訳を一時停止しています。"),
            texts("zh",
                    "抱歉，您的组织已达到每日翻译预算，翻译将暂停至 UTC 时间 00:00。",
                    "抱歉，您的组织已达到每月翻译预算，翻译将暂停至下月 1 日（UTC）。",
                    "抱歉，您的组织已达到每日可翻译文本量上限，翻译将暂停至 UTC 时间 00:00。",
                    "抱歉，您的组织已达到每月可翻译文本量上限，翻译将暂停至下月 1 日（UTC）。"),
            texts("ko",
                    "죄송합니다만, 조직의 일일 번역 예산에 도달하여 UTC 00:00까지 번역이 일시 중지됩니다.",
                    "죄송합니다만, 조직의 월간 번역 예산에 도달하여 다음 달 1일(UTC)까지 번역이 일시 중지됩니다.",
                    "죄송합니다만, 조직의 일일 번역 텍스트 한도에 도달하여 UTC 00:00까지 번역이 일시 중지됩니다.",
                    "죄송합니다만, 조직의 월간 번역 텍스트 한도에 도달하여 다음 달 1일(UTC)까지 번역이 일시 중지됩니다."),
            texts("pl",
                    "Przepraszamy, Twoja organizacja wykorzystała dzienny budżet na tłumaczenia, więc tłumaczenie jest wstrzymane do 00:00 UTC.",
                    "Przepraszamy, Twoja organizacja wykorzystała miesięczny budżet na tłumaczenia, więc tłumaczenie jest wstrzymane do 1. dnia następnego miesiąca (UTC).",
                    "Przepraszamy, Twoja organizacja wykorzystała dzienny limit tekstu do tłumaczenia, więc tłumaczenie jest wstrzymane do 00:00 UTC.",
                    "Przepraszamy, Twoja organizacja wykorzystała miesięczny limit tekstu do tłumaczenia, więc tłumaczenie jest wstrzymane do 1. dnia następnego miesiąca (UTC)."));

    private BudgetRefusals() {
    }

    /**
     * The refusal for {@code limit} in the language {@code languageTag} (a BCP-47 tag such as {@code de},
     * {@code pt-BR} or {@code und}; only its primary subtag is used), or in English when there is no text for it.
     * The translation's language says which one it is.
     */
    public static Translation refusal(String languageTag, BudgetLimit limit) {
        String language = primaryLanguage(languageTag);
        Map<BudgetLimit, String> texts = TEXTS.get(language);
        if (texts == null) {
            language = FALLBACK_LANGUAGE;
            texts = TEXTS.get(FALLBACK_LANGUAGE);
        }
        return new Translation(language, texts.get(limit));
    }

    /** The languages with a refusal text of their own. */
    public static java.util.Set<String> languages() {
        return TEXTS.keySet();
    }

    private static String primaryLanguage(String languageTag) {
        if (languageTag == null || languageTag.isBlank()) {
            return FALLBACK_LANGUAGE;
        }
        String tag = languageTag.strip().replace('_', '-');
        int dash = tag.indexOf('-');
        return (dash < 0 ? tag : tag.substring(0, dash)).toLowerCase(Locale.ROOT);
    }

    private static Map.Entry<String, Map<BudgetLimit, String>> texts(String language, String dailyUsd, String monthlyUsd,
                                                                     String dailyTokens, String monthlyTokens) {
        return Map.entry(language, Map.of(BudgetLimit.DAILY_USD, dailyUsd, BudgetLimit.MONTHLY_USD, monthlyUsd,
                BudgetLimit.DAILY_TOKENS, dailyTokens, BudgetLimit.MONTHLY_TOKENS, monthlyTokens));
    }
}
