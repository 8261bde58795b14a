package io.tla.connectors.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tla.connectors.graph.ReplyAddress.Chat;
import io.tla.connectors.graph.ReplyAddress.ChannelThread;
import io.tla.connectors.graph.ReplyAddress.UnaddressableException;
import io.tla.schemas.ConversationType;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Translation;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyAddressTest {

    private static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private static final String TEAM = "4a6e1f3c-2b8d-4c5e-9f10-a1b2c3d4e5f6";
    private static final String CHANNEL = "19:3c1d0e2f4a5b6c7d8e9f0a1b2c3d4e5f@thread.tacv2";
    private static final String ROOT = "1709543700123";
    private static final String ANSWERED = "1709543703456";

    private static ReplyEvent reply(ConversationType type, String conversationId, String team, String channel,
                                    String root) {
        return new ReplyEvent("r-1", TENANT, conversationId, ANSWERED, ReplyKind.TRANSLATION, "de",
                List.of(new Translation("en", "Hello")), "azure-openai", "gpt-4o-mini", null,
                Instant.parse("2024-03-04T09:15:05Z"), type, team, channel, root,
                "https://smba.trafficmanager.net/emea/", Instant.parse("2024-03-04T09:15:03Z"),
                "9b1f2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d");
    }

    @Test
    void channelReplyWithTeamChannelAndRootIsAChannelThread() throws Exception {
        ReplyAddress address = ReplyAddress.of(reply(ConversationType.CHANNEL,
                CHANNEL + ";messageid=" + ROOT, TEAM, CHANNEL, ROOT));

        assertThat(address).isEqualTo(new ChannelThread(TEAM, CHANNEL, ROOT));
        assertThat(address.describe())
                .isEqualTo("teams/" + TEAM + "/channels/" + CHANNEL + "/messages/" + ROOT + "/replies");
    }

    @Test
    void rootComesFromTheConversationIdsMessageIdWhenRootMessageIdIsNull() throws Exception {
        ReplyAddress address = ReplyAddress.of(reply(ConversationType.CHANNEL,
                CHANNEL + ";messageid=" + ROOT, TEAM, CHANNEL, null));

        assertThat(address).isEqualTo(new ChannelThread(TEAM, CHANNEL, ROOT));
    }

    @Test
    void rootFallsBackToTheAnsweredMessageWhenNeitherRootNorMessageIdIsKnown() throws Exception {
        // a message that starts a thread is its own root
        ReplyAddress address = ReplyAddress.of(reply(ConversationType.CHANNEL, CHANNEL, TEAM, CHANNEL, null));

        assertThat(address).isEqualTo(new ChannelThread(TEAM, CHANNEL, ANSWERED));
    }

    @Test
    void channelIdComesFromTheConversationIdPrefixWhenChannelIdIsNull() throws Exception {
        ReplyAddress address = ReplyAddress.of(reply(ConversationType.CHANNEL,
                CHANNEL + ";messageid=" + ROOT, TEAM, null, null));

        assertThat(address).isEqualTo(new ChannelThread(TEAM, CHANNEL, ROOT));
    }

    @Test
    void channelReplyWithoutTeamIdIsRefusedNamingAadGroupId() {
        assertThatThrownBy(() -> ReplyAddress.of(reply(ConversationType.CHANNEL,
                CHANNEL + ";messageid=" + ROOT, null, CHANNEL, ROOT)))
                .isInstanceOf(UnaddressableException.class)
                .hasMessageContaining("aadGroupId");
    }

    @Test
    void channelReplyWhoseTeamIdIsTheTenantIdIsRefusedSayingSo() {
        // the tenant id is a GUID too, so only the comparison can tell it apart
        assertThatThrownBy(() -> ReplyAddress.of(reply(ConversationType.CHANNEL,
                CHANNEL + ";messageid=" + ROOT, TENANT.toUpperCase(), CHANNEL, ROOT)))
                .isInstanceOf(UnaddressableException.class)
                .hasMessageContaining("tenant id");
    }

    @Test
    void channelReplyWhoseTeamIdIsTheTeamsThreadIdIsRefusedSayingSo() {
        String teamThread = "19:a1b2c3d4e5f60718293a4b5c6d7e8f90@thread.tacv2";

        assertThatThrownBy(() -> ReplyAddress.of(reply(ConversationType.CHANNEL,
                CHANNEL + ";messageid=" + ROOT, teamThread, CHANNEL, ROOT)))
                .isInstanceOf(UnaddressableException.class)
                .hasMessageContaining("thread id")
                .hasMessageNotContaining("tenant id");
    }

    @Test
    void groupChatIsAChatAddressedByItsConversationId() throws Exception {
        String chat = "19:8f2e6a1b3c4d5e6f7a8b9c0d1e2f3a4b@thread.v2";

        ReplyAddress address = ReplyAddress.of(reply(ConversationType.GROUP_CHAT, chat, null, null, null));

        assertThat(address).isEqualTo(new Chat(chat));
        assertThat(address.describe()).isEqualTo("chats/" + chat + "/messages");
    }

    @Test
    void personalBotFrameworkConversationIdIsRefusedMentioningBotFramework() {
        String personal = "a:1abcDEFghiJKLmnoPQRstuVWXyz0123456789-AbCdEfGhIjKlMnOpQrStUvWxYz";

        assertThatThrownBy(() -> ReplyAddress.of(reply(ConversationType.PERSONAL, personal, null, null, null)))
                .isInstanceOf(UnaddressableException.class)
                .hasMessageContaining("Bot Framework");
    }

    @Test
    void personalChatWithAGraphOneToOneIdIsAChat() throws Exception {
        String oneToOne = "19:9b1f2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d_0f8a9c2e-3b4d-4e5f-a6b7-c8d9e0f1a2b3"
                + "@unq.gbl.spaces";

        ReplyAddress address = ReplyAddress.of(reply(ConversationType.PERSONAL, oneToOne, null, null, null));

        assertThat(address).isEqualTo(new Chat(oneToOne));
    }
}
