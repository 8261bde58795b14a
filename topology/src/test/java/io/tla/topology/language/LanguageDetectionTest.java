package io.tla.topology.language;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class LanguageDetectionTest {

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            de | Guten Morgen zusammen, können wir das Meeting auf Donnerstag verschieben?
            en | Could you send me the latest version of the quarterly report before noon?
            fr | Bonjour à tous, la réunion de demain est reportée à quinze heures.
            es | ¿Alguien puede revisar el presupuesto antes de la reunión del viernes?
            pt | Bom dia, o cliente aprovou a proposta e quer começar na próxima semana.
            it | Buongiorno, ho aggiornato il documento con le ultime modifiche del cliente.
            nl | Goedemorgen, ik heb de offerte vandaag naar de klant gestuurd.
            pl | Dzień dobry, czy możemy przełożyć spotkanie na przyszły tydzień?
            cs | Dobrý den, posílám vám upravenou smlouvu ke kontrole.
            sv | God morgon, jag har skickat fakturan till kunden i dag.
            fi | Hyvää huomenta, lähetin raportin asiakkaalle eilen illalla.
            tr | Günaydın, toplantıyı yarın öğleden sonraya erteleyebilir miyiz?
            ru | Добрый день, коллеги, встреча переносится на завтра в десять утра.
            uk | Доброго ранку, я надіслав звіт клієнту вчора ввечері.
            el | Καλημέρα σε όλους, η συνάντηση μεταφέρεται για την Πέμπτη.
            zh | 明天下午三点开会，请大家准时参加。
            ja | 明日の会議は午後三時からです。資料を準備してください。
            ko | 내일 회의는 오후 세 시에 시작합니다. 자료를 준비해 주세요.
            ar | صباح الخير، تم تأجيل الاجتماع إلى يوم الخميس.
            he | בוקר טוב, הפגישה נדחתה ליום חמישי.
            hi | सुप्रभात, कल की बैठक दोपहर तीन बजे होगी।
            vi | Chào buổi sáng, cuộc họp ngày mai được dời sang ba giờ chiều.
            th | สวัสดีครับ การประชุมพรุ่งนี้เลื่อนไปเป็นบ่ายสามโมง
            ja | TeamsのミーティングはPDFの資料を見ながら進めます。
            """)
    void shouldDetectTheLanguageOfAnEverydayWorkMessage(String expected, String text) {
        assertThat(LanguageDetection.detect(text)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"ok", "OK!", "123", "12.5 %", "+1", "👍", "🎉🎉 👍", "Hi", "Ja", "https://contoso.sharepoint.com/sites/q4",
            "anna.mueller@contoso.com"})
    void shouldAnswerUndeterminedForTooLittleText(String text) {
        assertThat(LanguageDetection.detect(text)).isEqualTo("und");
    }

    @ParameterizedTest
    @NullAndEmptySource
    void shouldAnswerUndeterminedForNoText(String text) {
        assertThat(LanguageDetection.detect(text)).isEqualTo("und");
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"Hello, wie geht es? I am fine merci", "Thanks, das passt so. See you tomorrow!", "ok danke"})
    void shouldAnswerUndeterminedForMixedLanguageText(String text) {
        assertThat(LanguageDetection.detect(text)).isEqualTo("und");
    }

    @Test
    void shouldIgnoreALinkWhenDetectingTheLanguageAroundIt() {
        assertThat(LanguageDetection.detect("Hier ist der aktuelle Stand der Präsentation: https://contoso.sharepoint.com/sites/q4"))
                .isEqualTo("de");
    }

    @Test
    void shouldDecideALongMessageOnItsBeginning() {
        String german = "Wir haben die Zahlen für das dritte Quartal noch einmal geprüft und angepasst. ";
        assertThat(LanguageDetection.detect(german.repeat(40))).isEqualTo("de");
    }

    @Test
    void shouldGiveTheSameAnswersFromManyThreadsAtOnce() throws Exception {
        Map<String, String> expected = Map.of(
                "Could you send me the latest version of the quarterly report before noon?", "en",
                "Guten Morgen zusammen, können wir das Meeting auf Donnerstag verschieben?", "de",
                "Bonjour à tous, la réunion de demain est reportée à quinze heures.", "fr",
                "Добрый день, коллеги, встреча переносится на завтра в десять утра.", "ru",
                "ok", "und");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                for (Map.Entry<String, String> entry : expected.entrySet()) {
                    results.add(pool.submit(() -> LanguageDetection.detect(entry.getKey()).equals(entry.getValue())));
                }
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
