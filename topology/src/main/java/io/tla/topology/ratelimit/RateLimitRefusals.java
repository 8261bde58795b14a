package io.tla.topology.ratelimit;

import io.tla.schemas.Translation;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The refusal a sender reads when their message waited too long for the tenant's rate limit, or too many of the
 * tenant's messages were waiting already: one short, polite sentence in their language that says the organisation
 * sends more than its per-minute limit and asks to send the message again later. Languages without a text here get
 * English (the same languages as the budget refusals).
 */
public final class RateLimitRefusals {

    public static final String FALLBACK_LANGUAGE = "en";

    private static final Map<String, String> TEXTS = Map.ofEntries(
            Map.entry("en", "Sorry, your organisation is sending more messages for translation than its per-minute "
                    + "limit allows, so this message was not translated. Please send it again in a few minutes."),
            Map.entry("de", "Leider sendet Ihre Organisation mehr Nachrichten zur Übersetzung, als ihr Limit pro "
                    + "Minute erlaubt, daher wurde diese Nachricht nicht übersetzt. Bitte senden Sie sie in einigen "
                    + "Minuten erneut."),
            Map.entry("fr", "Désolé, votre organisation envoie plus de messages à traduire que sa limite par minute "
                    + "ne le permet : ce message n'a donc pas été traduit. Veuillez le renvoyer dans quelques minutes."),
            Map.entry("es", "Lo sentimos, su organización está enviando más mensajes para traducir de los que permite "
                    + "su límite por minuto, por lo que este mensaje no se ha traducido. Vuelva a enviarlo dentro de "
                    + "unos minutos."),
            Map.entry("it", "Ci dispiace, la vostra organizzazione sta inviando più messaggi da tradurre di quanti ne "
                    + "consenta il suo limite al minuto, quindi questo messaggio non è stato tradotto. Inviatelo di "
                    + "nuovo tra qualche minuto."),
            Map.entry("pt", "Lamentamos, mas a sua organização está a enviar mais mensagens para tradução do que o seu "
                    + "limite por minuto permite, por isso esta mensagem não foi traduzida. Envie-a novamente dentro "
                    + "de alguns minutos."),
            Map.entry("nl", "Helaas stuurt uw organisatie meer berichten ter vertaling dan haar limiet per minuut "
                    + "toestaat, daarom is dit bericht niet vertaald. Stuur het over een paar minuten opnieuw."),
            Map.entry("ja", "申し訳ありませんが、組織から翻訳を依頼するメッセージが1分あたりの上限を超えているため、"
                    + "このメッセージは翻訳されませんでした。数分後にもう一度送信してください。"),
            Map.entry("zh", "抱歉，您的组织发送的待翻译消息超过了每分钟的上限，因此此消息未被翻译。请在几分钟后重新发送。"),
            Map.entry("ko", "죄송합니다만, 조직에서 번역을 요청한 메시지가 분당 한도를 초과하여 이 메시지는 번역되지 "
                    + "않았습니다. 몇 분 후에 다시 보내 주세요."),
            Map.entry("pl", "Przepraszamy, Twoja organizacja wysyła więcej wiadomości do tłumaczenia, niż pozwala jej "
                    + "limit na minutę, więc ta wiadomość nie została przetłumaczona. Wyślij ją ponownie za kilka "
                    + "minut."));

    private RateLimitRefusals() {
    }

    /**
     * The refusal in the language {@code languageTag} (a BCP-47 tag such as {@code de}, {@code pt-BR} or
     * {@code und}; only its primary subtag is used), or in English when there is no text for it. The
     * translation's language says which one it is.
     */
    public static Translation refusal(String languageTag) {
        String language = primaryLanguage(languageTag);
        String text = TEXTS.get(language);
        if (text == null) {
            language = FALLBACK_LANGUAGE;
            text = TEXTS.get(FALLBACK_LANGUAGE);
        }
        return new Translation(language, text);
    }

    /** The languages with a refusal text of their own. */
    public static Set<String> languages() {
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
}
