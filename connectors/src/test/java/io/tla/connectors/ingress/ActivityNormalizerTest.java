package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.connectors.ingress.ActivityNormalizer.Defaults;
import io.tla.schemas.ContractSchema;
import io.tla.schemas.ConversationType;
import io.tla.schemas.Json;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Sender;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ActivityNormalizerTest {

    private static final Instant RECEIVED = Instant.parse("2024-03-04T09:15:03Z");
    private static final String BOT = "28:0f8a9c2e-3b4d-4e5f-a6b7-c8d9e0f1a2b3";

    private static JsonNode activity(String json) throws Exception {
        return Json.mapper().readTree(json.replace('\'', '"'));
    }

    private static String plain(String text) {
        ObjectNode node = Json.mapper().createObjectNode().put("text", text);
        return ActivityNormalizer.plainText(node);
    }

    // --- mention removal -------------------------------------------------------------------------------------

    @Test
    void removesTheLeadingAtElementWhenThereIsNoRecipient() {
        assertThat(plain("<at>TranslateBot</at> bonjour à tous")).isEqualTo("bonjour à tous");
        assertThat(plain("  <div><p><at>TranslateBot</at>&nbsp;hallo</p></div>")).isEqualTo("hallo");
    }

    @Test
    void keepsAnAtElementThatIsNotAtTheStartWhenThereIsNoRecipient() {
        assertThat(plain("please ask <at>Jonas Weber</at> about it")).isEqualTo("please ask Jonas Weber about it");
    }

    @Test
    void removesOnlyTheFirstLeadingMentionWithoutRecipient() {
        assertThat(plain("<at>TranslateBot</at> <at>Jonas Weber</at> kannst du das lesen?"))
                .isEqualTo("Jonas Weber kannst du das lesen?");
    }

    @Test
    void removesTheMentionOfTheRecipientWhereverItIs() throws Exception {
        JsonNode activity = activity("{'text':'Hey <at>Jonas Weber</at>, frag <at>TranslateBot</at> bitte',"
                + "'recipient':{'id':'" + BOT + "','name':'TranslateBot'},"
                + "'entities':[{'type':'mention','text':'<at>TranslateBot</at>','mentioned':{'id':'" + BOT
                + "','name':'TranslateBot'}},{'type':'mention','text':'<at>Jonas Weber</at>',"
                + "'mentioned':{'id':'29:jonas','name':'Jonas Weber'}}]}");

        assertThat(ActivityNormalizer.plainText(activity)).isEqualTo("Hey Jonas Weber, frag bitte");
    }

    @Test
    void keepsALeadingMentionOfSomeoneElseWhenTheRecipientIsKnown() throws Exception {
        JsonNode activity = activity("{'text':'<at>Jonas Weber</at> kannst du das übersetzen?',"
                + "'recipient':{'id':'" + BOT + "'},"
                + "'entities':[{'type':'mention','text':'<at>Jonas Weber</at>','mentioned':{'id':'29:jonas',"
                + "'name':'Jonas Weber'}}]}");

        assertThat(ActivityNormalizer.plainText(activity)).isEqualTo("Jonas Weber kannst du das übersetzen?");
    }

    @Test
    void removesNothingWhenTheRecipientIsNotMentioned() throws Exception {
        JsonNode activity = activity("{'text':'Puedes traducir esto','recipient':{'id':'" + BOT + "'}}");

        assertThat(ActivityNormalizer.plainText(activity)).isEqualTo("Puedes traducir esto");
    }

    @Test
    void matchesTheBotMentionByItsEntityName() throws Exception {
        JsonNode activity = activity("{'text':'<at>Translate  Bot</at> hola','recipient':{'id':'" + BOT + "'},"
                + "'entities':[{'type':'mention','mentioned':{'id':'" + BOT + "','name':'Translate Bot'}}]}");

        assertThat(ActivityNormalizer.plainText(activity)).isEqualTo("hola");
    }

    @Test
    void treatsTheDocumentedRecipientWithIdNullAsNoRecipient() throws Exception {
        // Microsoft's outgoing-webhook example sends "recipient": {"id": "null", "name": "null"}
        JsonNode activity = activity("{'text':'<at>Translator</at> Hello <at>Larry Brown</at>',"
                + "'recipient':{'id':'null','name':'null'},"
                + "'entities':[{'type':'mention','text':'<at>Translator</at>','mentioned':{'id':'28:webhook',"
                + "'name':'Translator'}},{'type':'mention','text':'<at>Larry Brown</at>','mentioned':{'id':'29:larry',"
                + "'name':'Larry Brown'}}]}");

        assertThat(ActivityNormalizer.plainText(activity)).isEqualTo("Hello Larry Brown");
    }

    @Test
    void removesTheWebhooksBotMentionWhereverItIsWhenThereIsNoRecipient() throws Exception {
        JsonNode activity = activity("{'text':'<at>Jonas Weber</at>, bitte lesen <at>Translator</at> danke',"
                + "'recipient':null,"
                + "'entities':[{'type':'mention','text':'<at>Jonas Weber</at>','mentioned':{'id':'29:jonas',"
                + "'name':'Jonas Weber'}},{'type':'mention','text':'<at>Translator</at>','mentioned':{'id':'28:webhook',"
                + "'name':'Translator'}}]}");

        assertThat(ActivityNormalizer.plainText(activity)).isEqualTo("Jonas Weber, bitte lesen danke");
    }

    @Test
    void keepsALeadingMentionThatTheEntitiesNameAsAPersonWhenThereIsNoRecipient() throws Exception {
        JsonNode activity = activity("{'text':'<at>Jonas Weber</at> kannst du das lesen?',"
                + "'entities':[{'type':'mention','text':'<at>Jonas Weber</at>','mentioned':{'id':'29:jonas',"
                + "'name':'Jonas Weber'}}]}");

        assertThat(ActivityNormalizer.plainText(activity)).isEqualTo("Jonas Weber kannst du das lesen?");
    }

    @Test
    void fallsBackToTheLeadingMentionWhenTheWebhookEntityNamesItDifferently() throws Exception {
        // as in Microsoft's example, where the text says MyCustomBot and the entity MyWebHook
        JsonNode activity = activity("{'text':'<at>MyCustomBot</at> Hello','recipient':{'id':'null'},"
                + "'entities':[{'type':'mention','text':'<at>MyWebHook</at>','mentioned':{'id':'28:webhook',"
                + "'name':'MyWebHook'}}]}");

        assertThat(ActivityNormalizer.plainText(activity)).isEqualTo("Hello");
    }

    @Test
    void removesTheBotsMentionSpanFromTheHtmlAttachmentToo() throws Exception {
        JsonNode activity = activity("{'text':'<at>TranslateBot</at> Liste: eins zwei','recipient':{'id':'" + BOT + "'},"
                + "'entities':[{'type':'mention','text':'<at>TranslateBot</at>','mentioned':{'id':'" + BOT + "'}}],"
                + "'attachments':[{'contentType':'text/html','content':'<div><span itemscope=\\'\\' "
                + "itemtype=\\'http://schema.skype.com/Mention\\' itemid=\\'0\\'>TranslateBot</span> Liste:"
                + "<ul><li>eins</li><li>zwei <span itemtype=\\'http://schema.skype.com/Mention\\' itemid=\\'1\\'>"
                + "Jonas Weber</span></li></ul></div>'}]}");

        assertThat(ActivityNormalizer.plainText(activity)).isEqualTo("Liste:\n- eins\n- zwei Jonas Weber");
    }

    // --- HTML to text ----------------------------------------------------------------------------------------
    @Test
    void turnsParagraphsDivsAndBreaksIntoLines() {
        assertThat(plain("<div><p>Erste Zeile</p><p>Zweite   Zeile</p></div><div>Dritte<br>Vierte</div>"))
                .isEqualTo("Erste Zeile\nZweite Zeile\nDritte\nVierte");
    }

    @Test
    void keepsNewlinesOfThePlainTextAndAtMostOneBlankLine() {
        assertThat(plain("Hallo zusammen,\r\n\r\n\r\n  der Build ist grün.\nDanke ")).isEqualTo(
                "Hallo zusammen,\n\nder Build ist grün.\nDanke");
    }

    @Test
    void writesListItemsWithDashesAndNumbers() {
        assertThat(plain("<ul><li>Äpfel</li><li>Birnen<ul><li>reif</li></ul></li></ul><ol start=\"3\"><li>drei</li>"
                + "<li>vier</li></ol>"))
                .isEqualTo("- Äpfel\n- Birnen\n  - reif\n3. drei\n4. vier");
        assertThat(plain("<ul><li>eins</li><li> </li></ul>")).isEqualTo("- eins\n-");
    }

    @Test
    void keepsALinksUrlOnlyWhenItDiffersFromItsText() {
        assertThat(plain("Siehe <a href=\"https://wiki.example/x\">Wiki</a> und <a href=\"https://wiki.example/y\">"
                + "https://wiki.example/y</a> oder <a href=\"mailto:ops@example.org\">ops@example.org</a>."))
                .isEqualTo("Siehe Wiki (https://wiki.example/x) und https://wiki.example/y oder ops@example.org.");
    }

    @Test
    void keepsCodeVerbatim() {
        assertThat(plain("Führe <code>git  pull --rebase</code> aus:<pre>if (a  &lt; b) {\n    run();\n}</pre>fertig"))
                .isEqualTo("Führe git  pull --rebase aus:\nif (a  < b) {\n    run();\n}\nfertig");
        assertThat(plain("<codeblock class=\"\"><code>x = 1<br>y  = 2</code></codeblock>")).isEqualTo("x = 1\ny  = 2");
    }

    @Test
    void writesTeamsEmojiImagesAsTheirAltText() {
        assertThat(plain("Danke <img alt=\"\uD83D\uDE00\" itemtype=\"http://schema.skype.com/Emoji\" src=\"x.png\"> "
                + "<img src=\"photo.png\" alt=\"Foto\">")).isEqualTo("Danke \uD83D\uDE00");
    }

    @Test
    void reducesAMessageNearTheBodyLimitInLinearTime() {
        // one long line with many spaces and mentions: nothing may rescan the line per character
        String text = "<at>TranslateBot</at> " + "wort <at>Jonas Weber</at> und ".repeat(8_000);
        String html = "<ul>" + "<li>Punkt <b>fett</b> <a href=\"https://x.example/a\">Link</a></li>".repeat(3_000) + "</ul>";
        ObjectNode activity = Json.mapper().createObjectNode().put("text", text);
        activity.putArray("attachments").addObject().put("contentType", "text/html").put("content", html);

        String plain = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
                () -> ActivityNormalizer.plainText(activity));

        assertThat(plain).startsWith("- Punkt fett Link (https://x.example/a)\n- Punkt");
    }

    @Test
    void prefersTheHtmlAttachmentOnlyWhenItCarriesStructureTheTextLost() throws Exception {
        JsonNode richer = activity("{'text':'Punkte: eins zwei','attachments':[{'contentType':'text/html',"
                + "'content':'<p>Punkte:</p><ul><li>eins</li><li>zwei</li></ul>'}]}");
        JsonNode same = activity("{'text':'Hallo Welt','attachments':[{'contentType':'text/html',"
                + "'content':'<div><b>Hallo</b> Welt, anders</div>'}]}");
        JsonNode notHtml = activity("{'text':'Hallo Welt','attachments':[{'contentType':'text/plain',"
                + "'content':'<p>a</p><p>b</p>'}]}");

        assertThat(ActivityNormalizer.plainText(richer)).isEqualTo("Punkte:\n- eins\n- zwei");
        assertThat(ActivityNormalizer.plainText(same)).isEqualTo("Hallo Welt");
        assertThat(ActivityNormalizer.plainText(notHtml)).isEqualTo("Hallo Welt");
    }


    @Test
    void reducesHtmlToTextCollapsingHorizontalWhitespaceButKeepingLines() {
        assertThat(plain("<p>Erste&nbsp;&nbsp;Zeile</p><p>zweite <b>fett</b> &amp; <i>kursiv</i></p>\n\n<br>Ende\t"))
                .isEqualTo("Erste Zeile\nzweite fett & kursiv\n\nEnde");
    }

    @Test
    void dropsInvisibleCharactersAndEmptyMarkup() {
        assertThat(plain("<div>\u200B</div><p> </p>")).isEmpty();
    }

    @Test
    void keepsLessThanSignsOfPlainText() {
        assertThat(plain("3 < 5 and 7 > 2")).isEqualTo("3 < 5 and 7 > 2");
    }

    // --- conversation type, root, tenant ---------------------------------------------------------------------

    @Test
    void takesTheDeclaredConversationType() throws Exception {
        assertThat(ActivityNormalizer.conversationType(activity("{'conversation':{'conversationType':'groupChat'}}")))
                .isEqualTo(ConversationType.GROUP_CHAT);
        assertThat(ActivityNormalizer.conversationType(activity("{'conversation':{'conversationType':'personal',"
                + "'isGroup':true}}"))).isEqualTo(ConversationType.PERSONAL);
    }

    @Test
    void infersChannelFromChannelData() throws Exception {
        assertThat(ActivityNormalizer.conversationType(activity("{'conversation':{},'channelData':{'channel':{'id':'19:c'}}}")))
                .isEqualTo(ConversationType.CHANNEL);
        assertThat(ActivityNormalizer.conversationType(activity("{'conversation':{'isGroup':true},"
                + "'channelData':{'teamsChannelId':'19:c'}}"))).isEqualTo(ConversationType.CHANNEL);
    }

    @Test
    void infersGroupChatFromIsGroupAndPersonalOtherwise() throws Exception {
        assertThat(ActivityNormalizer.conversationType(activity("{'conversation':{'isGroup':true}}")))
                .isEqualTo(ConversationType.GROUP_CHAT);
        assertThat(ActivityNormalizer.conversationType(activity("{'conversation':{}}")))
                .isEqualTo(ConversationType.PERSONAL);
        assertThat(ActivityNormalizer.conversationType(activity("{'conversation':{'conversationType':'meeting'}}")))
                .isEqualTo(ConversationType.PERSONAL);
    }

    @Test
    void infersTheTypeFromTheConversationIdWhenNothingElseSaysIt() throws Exception {
        assertThat(ActivityNormalizer.conversationType(activity("{'conversation':{'id':'19:c@thread.skype;messageid=1'}}")))
                .isEqualTo(ConversationType.CHANNEL);
        assertThat(ActivityNormalizer.conversationType(activity("{'conversation':{'id':'19:meeting_abc@thread.v2',"
                + "'conversationType':'meeting'}}"))).isEqualTo(ConversationType.GROUP_CHAT);
        assertThat(ActivityNormalizer.conversationType(activity("{'conversation':{'id':'a:1Hk3'}}")))
                .isEqualTo(ConversationType.PERSONAL);
    }

    @Test
    void keepsTheGeneralChannelWhoseIdIsTheTeamsId() throws Exception {
        String team = "19:9b8a7c6d5e4f40318e2d1c0b9a8f7e6d@thread.tacv2";
        NormalizedMessage m = ActivityNormalizer.normalize(activity("{'type':'message','id':'1','text':'hallo',"
                + "'from':{'id':'29:a'},'conversation':{'id':'" + team + ";messageid=1','tenantId':'t'},"
                + "'channelData':{'channel':{'id':'" + team + "'},'team':{'id':'" + team + "'}}}"),
                new Defaults(null, "aad-of-registration"), RECEIVED);

        assertThat(m.channelId()).isEqualTo(team);
        assertThat(m.teamId()).isEqualTo(team);
        assertThat(m.teamAadGroupId()).isEqualTo("aad-of-registration");
        assertThat(m.conversationType()).isEqualTo(ConversationType.CHANNEL);
    }

    @Test
    void takesTheTeamsThreadIdFromTheLegacyFieldAndGivesChatsNoTeam() throws Exception {
        NormalizedMessage channel = ActivityNormalizer.normalize(activity("{'type':'message','id':'1','text':'hallo',"
                + "'from':{'id':'29:a'},'conversation':{'id':'19:c@thread.skype;messageid=1'},"
                + "'channelData':{'teamsChannelId':'19:c@thread.skype','teamsTeamId':'19:t@thread.skype'}}"),
                new Defaults("t-reg", "aad-reg"), RECEIVED);
        NormalizedMessage chat = ActivityNormalizer.normalize(Fixtures.json(Fixtures.GROUP_CHAT),
                new Defaults("t-reg", "aad-reg"), RECEIVED);

        assertThat(channel.teamId()).isEqualTo("19:t@thread.skype");
        assertThat(channel.channelId()).isEqualTo("19:c@thread.skype");
        assertThat(channel.tenantId()).isEqualTo("t-reg");
        assertThat(chat.teamId()).isNull();
        assertThat(chat.teamAadGroupId()).isNull();
    }

    @Test
    void findsTheRootMessageIdOfAChannelThread() {
        assertThat(ActivityNormalizer.rootMessageId("19:abc@thread.tacv2;messageid=1709543611802"))
                .contains("1709543611802");
        assertThat(ActivityNormalizer.rootMessageId("19:abc@thread.v2")).isEmpty();
        assertThat(ActivityNormalizer.rootMessageId("19:abc@thread.tacv2;messageid=")).isEmpty();
    }

    @Test
    void prefersTheConversationTenantThenChannelDataThenTheRegistration() throws Exception {
        Defaults registration = new Defaults("tenant-of-registration", null);
        assertThat(ActivityNormalizer.tenantId(activity("{'conversation':{'tenantId':'a'},"
                + "'channelData':{'tenant':{'id':'b'}}}"), registration)).contains("a");
        assertThat(ActivityNormalizer.tenantId(activity("{'conversation':{},'channelData':{'tenant':{'id':'b'}}}"),
                registration)).contains("b");
        assertThat(ActivityNormalizer.tenantId(activity("{'conversation':{'tenantId':' '}}"), registration))
                .contains("tenant-of-registration");
        assertThat(ActivityNormalizer.tenantId(activity("{'conversation':{}}"), Defaults.NONE)).isEmpty();
    }

    // --- whole activities ------------------------------------------------------------------------------------

    @Test
    void normalisesAChannelMessageFromAnOutgoingWebhook() throws Exception {
        NormalizedMessage m = ActivityNormalizer.normalize(Fixtures.json(Fixtures.CHANNEL_MENTION), Defaults.NONE,
                RECEIVED);

        assertThat(m.messageId()).isEqualTo("1709543702437");
        assertThat(m.tenantId()).isEqualTo("6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b");
        assertThat(m.conversationId()).isEqualTo("19:3d6e1f0c8a2b4c4e9f7a5b6c7d8e9f01@thread.tacv2;messageid=1709543611802");
        assertThat(m.conversationType()).isEqualTo(ConversationType.CHANNEL);
        assertThat(m.rootMessageId()).isEqualTo("1709543611802");
        assertThat(m.channelId()).isEqualTo("19:3d6e1f0c8a2b4c4e9f7a5b6c7d8e9f01@thread.tacv2");
        assertThat(m.teamAadGroupId()).isEqualTo("02bd9fd6-8f93-4758-87c3-1fb73740a315");
        assertThat(m.text()).isEqualTo("Können wir das Release mit Jonas Weber morgen besprechen?");
        assertThat(m.from()).isEqualTo(new Sender(
                "29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw",
                "Anna Schmidt", "8e9a6a5c-0d39-4f5e-9c61-2f1f0a3c7b11"));
        assertThat(m.serviceUrl()).isEqualTo("https://smba.trafficmanager.net/emea/");
        assertThat(m.receivedAt()).isEqualTo(RECEIVED);
        assertThat(ContractSchema.NORMALIZED_MESSAGE.violationsOf(m)).isEmpty();
    }

    @Test
    void normalisesAGroupChatWithoutChannelFields() throws Exception {
        NormalizedMessage m = ActivityNormalizer.normalize(Fixtures.json(Fixtures.GROUP_CHAT), Defaults.NONE, RECEIVED);

        assertThat(m.conversationType()).isEqualTo(ConversationType.GROUP_CHAT);
        assertThat(m.text()).isEqualTo("On se retrouve à 15h pour la démo avec Jonas Weber ?");
        assertThat(m.channelId()).isNull();
        assertThat(m.rootMessageId()).isNull();
        assertThat(m.teamAadGroupId()).isNull();
        assertThat(ContractSchema.NORMALIZED_MESSAGE.violationsOf(m)).isEmpty();
    }

    @Test
    void normalisesAPersonalChat() throws Exception {
        NormalizedMessage m = ActivityNormalizer.normalize(Fixtures.json(Fixtures.PERSONAL_CHAT), Defaults.NONE,
                RECEIVED);

        assertThat(m.conversationType()).isEqualTo(ConversationType.PERSONAL);
        assertThat(m.text()).isEqualTo("¿Puedes traducir esto al inglés, por favor?");
        assertThat(m.from().name()).isEqualTo("Lucía Fernández");
        assertThat(ContractSchema.NORMALIZED_MESSAGE.violationsOf(m)).isEmpty();
    }

    @Test
    void takesTenantAndTeamFromTheRegistrationWhenTheActivityHasNone() throws Exception {
        ObjectNode activity = Fixtures.json(Fixtures.CHANNEL_MENTION);
        ((ObjectNode) activity.get("channelData")).remove(java.util.List.of("tenant", "team"));

        NormalizedMessage m = ActivityNormalizer.normalize(activity, new Defaults("t-reg", "aad-reg"), RECEIVED);

        assertThat(m.tenantId()).isEqualTo("t-reg");
        assertThat(m.teamAadGroupId()).isEqualTo("aad-reg");
    }

    @Test
    void rejectsAnActivityWithoutAnyTenant() {
        ObjectNode activity = Fixtures.json(Fixtures.GROUP_CHAT);
        ((ObjectNode) activity.get("conversation")).remove("tenantId");
        activity.remove("channelData");

        assertThatThrownBy(() -> ActivityNormalizer.normalize(activity, Defaults.NONE, RECEIVED))
                .isInstanceOfSatisfying(InvalidActivityException.class,
                        e -> assertThat(e.field()).isEqualTo("/conversation/tenantId"));
    }

    @Test
    void rejectsAMessageThatIsOnlyTheBotMention() {
        ObjectNode activity = Fixtures.json(Fixtures.CHANNEL_MENTION).put("text", "<at>TranslateBot</at>&nbsp;<p></p>");

        assertThatThrownBy(() -> ActivityNormalizer.normalize(activity, Defaults.NONE, RECEIVED))
                .isInstanceOfSatisfying(InvalidActivityException.class, e -> {
                    assertThat(e.field()).isEqualTo("/text");
                    assertThat(e.reason()).contains("nothing to translate");
                });
    }

    @Test
    void acceptsLineBreaksButRejectsAVerticalTabHiddenInACharacterReference() throws Exception {
        ObjectNode lines = Fixtures.json(Fixtures.PERSONAL_CHAT).put("text", "hola\r\nmundo\tazul");
        ObjectNode verticalTab = Fixtures.json(Fixtures.PERSONAL_CHAT).put("text", "hola &#11; mundo");

        assertThat(ActivityNormalizer.normalize(lines, Defaults.NONE, RECEIVED).text()).isEqualTo("hola\nmundo azul");
        assertThatThrownBy(() -> ActivityNormalizer.normalize(verticalTab, Defaults.NONE, RECEIVED))
                .isInstanceOfSatisfying(InvalidActivityException.class,
                        e -> assertThat(e.field()).isEqualTo("/text"));
    }

    @Test
    void rejectsControlCharactersHiddenInCharacterReferences() {
        ObjectNode activity = Fixtures.json(Fixtures.PERSONAL_CHAT).put("text", "hola &#1; mundo");

        assertThatThrownBy(() -> ActivityNormalizer.normalize(activity, Defaults.NONE, RECEIVED))
                .isInstanceOfSatisfying(InvalidActivityException.class,
                        e -> assertThat(e.field()).isEqualTo("/text"));
    }
}
