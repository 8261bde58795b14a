package io.tla.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.connectors.ingress.ActivityNormalizer;
import io.tla.schemas.ConversationType;
import io.tla.schemas.Json;
import io.tla.schemas.NormalizedMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SyntheticTrafficTest {

    private static final Instant AT = Instant.parse("2026-11-25T10:15:30.123Z");
    private final SyntheticTraffic traffic = new SyntheticTraffic("bench-test-", 1_000, 5, 1_024);

    @Test
    void messagesSpreadOverTheConversationsAndTenantsWithTextsOfAboutOneKib() {
        Set<String> conversations = new HashSet<>();
        Set<String> tenants = new HashSet<>();
        Set<ConversationType> types = new HashSet<>();
        for (int i = 0; i < 2_000; i++) {
            NormalizedMessage message = traffic.message(i, AT);
            conversations.add(message.conversationId());
            tenants.add(message.tenantId());
            types.add(message.conversationType());
            int bytes = message.text().getBytes(StandardCharsets.UTF_8).length;
            assertThat(bytes).isBetween(1_024, 1_024 + 200);
        }
        assertThat(conversations).hasSize(1_000);
        assertThat(tenants).hasSize(5);
        assertThat(types).containsExactlyInAnyOrder(ConversationType.values());
    }

    @Test
    void messageIdsMapBackToTheirIndexAndOtherIdsToNone() {
        assertThat(traffic.indexOf(traffic.messageId(12_345))).isEqualTo(12_345);
        assertThat(traffic.indexOf("bench-other-7")).isEqualTo(-1);
        assertThat(traffic.indexOf("bench-test-x")).isEqualTo(-1);
        assertThat(traffic.indexOf(null)).isEqualTo(-1);
    }

    @Test
    void theSignedActivityNormalisesToTheSameMessageTheLoaderWrites() throws Exception {
        for (int i : new int[] {0, 6, 9, 42}) { // channel thread, group chat, personal chat
            byte[] activity = traffic.activity(i, AT);

            NormalizedMessage normalized = ActivityNormalizer.normalize(Json.mapper().readTree(activity),
                    ActivityNormalizer.Defaults.NONE, AT);

            assertThat(normalized).isEqualTo(traffic.message(i, AT));
        }
    }

    @Test
    void committedRecordsReadOnlyTheTopLevelIdAndKind() {
        byte[] reply = """
                {"replyId":"r1","translations":[{"language":"en","replyToId":"nested"}],"replyToId":"bench-test-3",
                 "usage":{"kind":"nested"},"kind":"translation"}""".getBytes(StandardCharsets.UTF_8);

        assertThat(CommittedRecords.topLevelTexts(reply, "replyToId", "kind"))
                .containsExactly("bench-test-3", "translation");
        assertThat(CommittedRecords.topLevelTexts("not json".getBytes(StandardCharsets.UTF_8), "replyToId"))
                .containsExactly((String) null);
    }

    @Test
    void trafficWithAnotherPrefixHasOtherTextsSoAWarmUpNeverPrimesTheTranslationCache() {
        SyntheticTraffic warmup = new SyntheticTraffic("bench-warmup-", 100, 5, 1024);
        SyntheticTraffic measured = new SyntheticTraffic("bench-", 100, 5, 1024);
        Instant at = Instant.parse("2026-11-25T10:00:00Z");
        Set<String> warmupTexts = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            warmupTexts.add(warmup.message(i, at).text());
        }
        for (int i = 0; i < 200; i++) {
            assertThat(warmupTexts).doesNotContain(measured.message(i, at).text());
        }
    }
}
