package io.tla.topology.compliance;

import io.tla.schemas.Translation;
import io.tla.topology.budget.BudgetRefusals;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The reply a sender reads when the personal-data policy {@code refuse} stops their message: one short sentence in
 * their language that names the kinds of personal data found (never the data itself). The same languages as
 * {@link BudgetRefusals}; any other language gets English.
 */
public final class PiiRefusals {

    public static final String FALLBACK_LANGUAGE = BudgetRefusals.FALLBACK_LANGUAGE;

    /** A language's sentence ({@code %s} is where the kinds go), its kind names and how they are joined. */
    private record Texts(String sentence, Map<String, String> kinds, String separator) {
    }

    private static final Map<String, Texts> TEXTS = Map.ofEntries(
            texts("en", "This message was not translated: it contains personal data (%s), which your organisation "
                            + "does not send to the translation service.", ", ",
                    "email address", "phone number", "card number", "national ID number", "IBAN"),
            texts("de", "Diese Nachricht wurde nicht übersetzt: Sie enthält personenbezogene Daten (%s), die Ihre "
                            + "Organisation nicht an den Übersetzungsdienst sendet.", ", ",
                    "E-Mail-Adresse", "Telefonnummer", "Kartennummer", "nationale Kennnummer", "IBAN"),
            texts("fr", "Ce message n'a pas été traduit : il contient des données personnelles (%s) que votre "
                            + "organisation n'envoie pas au service de traduction.", ", ",
                    "adresse e-mail", "numéro de téléphone", "numéro de carte", "numéro d'identification national",
                    "IBAN"),
            texts("es", "Este mensaje no se ha traducido: contiene datos personales (%s) que su organización no envía "
                            + "al servicio de traducción.", ", ",
                    "dirección de correo electrónico", "número de teléfono", "número de tarjeta",
                    "número de identificación nacional", "IBAN"),
            texts("it", "Questo messaggio non è stato tradotto: contiene dati personali (%s) che la vostra "
                            + "organizzazione non invia al servizio di traduzione.", ", ",
                    "indirizzo e-mail", "numero di telefono", "numero di carta", "numero di identificazione nazionale",
                    "IBAN"),
            texts("pt", "Esta mensagem não foi traduzida: contém dados pessoais (%s) que a sua organização não envia "
                            + "para o serviço de tradução.", ", ",
                    "endereço de e-mail", "número de telefone", "número de cartão", "número de identificação nacional",
                    "IBAN"),
            texts("nl", "Dit bericht is niet vertaald: het bevat persoonsgegevens (%s) die uw organisatie niet naar de "
                            + "vertaaldienst stuurt.", ", ",
                    "e-mailadres", "telefoonnummer", "kaartnummer", "nationaal identificatienummer", "IBAN"),
            texts("ja", "このメッセージは翻訳されませんでした。個人データ（%s）が含まれており、組織の方針により翻訳サービスには送信されません。", "、",
                    "メールアドレス", "電話番号", "カード番号", "国民識別番号", "IBAN"),
            texts("zh", "此消息未翻译：其中包含个人数据（%s），您的组织不会将此类数据发送给翻译服务。", "、",
                    "电子邮件地址", "电话号码", "卡号", "国民身份号码", "IBAN"),
            texts("ko", "이 메시지는 번역되지 않았습니다. 개인 데이터(%s)가 포함되어 있으며, 조직에서 이러한 데이터를 번역 서비스로 보내지 않습니다.", ", ",
                    "이메일 주소", "전화번호", "카드 번호", "국가 식별 번호", "IBAN"),
            texts("pl", "Ta wiadomość nie została przetłumaczona: zawiera dane osobowe (%s), których Twoja organizacja "
                            + "nie wysyła do usługi tłumaczeniowej.", ", ",
                    "adres e-mail", "numer telefonu", "numer karty", "krajowy numer identyfikacyjny", "IBAN"));

    private PiiRefusals() {
    }

    /**
     * The refusal naming {@code kinds} (rule names: {@code email}, {@code phone}, {@code card},
     * {@code national-id}, {@code iban}; in the order given) in the language {@code languageTag} (a BCP-47 tag
     * such as {@code de}, {@code pt-BR} or {@code und}; only its primary subtag is used), or in English when there
     * is no text for it. The translation's language says which one it is.
     */
    public static Translation refusal(String languageTag, List<String> kinds) {
        String language = primaryLanguage(languageTag);
        Texts texts = TEXTS.get(language);
        if (texts == null) {
            language = FALLBACK_LANGUAGE;
            texts = TEXTS.get(FALLBACK_LANGUAGE);
        }
        List<String> named = new ArrayList<>();
        for (String kind : kinds) {
            named.add(texts.kinds().getOrDefault(kind, kind));
        }
        return new Translation(language, String.format(Locale.ROOT, texts.sentence(),
                String.join(texts.separator(), named)));
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

    private static Map.Entry<String, Texts> texts(String language, String sentence, String separator, String email,
                                                  String phone, String card, String nationalId, String iban) {
        return Map.entry(language, new Texts(sentence, Map.of(PersonalData.EMAIL, email, PersonalData.PHONE, phone,
                PersonalData.CARD, card, PersonalData.NATIONAL_ID, nationalId, PersonalData.IBAN, iban), separator));
    }
}
