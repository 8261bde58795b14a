package io.tla.topology.context;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.ConversationType;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.Sender;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.tla.topology.TopologyHarness;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ModelRequest;
import io.tla.topology.model.ModelResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tone per channel through the whole topology: the tone in the request that reaches the model. */
class ChannelToneTest {

    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final String SUPPORT = "19:4b6bed8d24574f6a9e436813cb2617d8@thread.tacv2";
    private static final String ENGINEERING = "19:0d5e4a1f9c2b4e7a8f3d6c1b2a9e8f7d@thread.tacv2";
    private static final String GENERAL = "19:general0000000000000000000000000@thread.tacv2";
    private static final String GERMAN = "Guten Morgen zusammen, können wir das Meeting auf Donnerstag verschieben?";

    @TempDir
    Path stateDir;

    private final List<ModelRequest> requests = new ArrayList<>();
    private TopologyHarness topology;

    @AfterEach
    void close() {
        if (topology != null) {
            topology.close();
        }
    }

    private void start(Map<String, String> config) {
        Map<String, String> all = new HashMap<>(config);
        all.put("translation.target-languages", "en");
        // every message here has the same text; each must reach the model, not the translation cache
        all.put("model.cache.ttl-minutes", "0");
        topology = new TopologyHarness(stateDir, all, recording());
    }

    private ModelProvider recording() {
        return new ModelProvider() {
            @Override
            public String name() {
                return "recording";
            }

            @Override
            public CompletionStage<ModelResponse> translate(ModelRequest request) {
                requests.add(request);
                return CompletableFuture.completedFuture(new ModelResponse("recording", "echo", "de",
                        request.targetLanguages().stream().map(l -> new Translation(l, request.text())).toList(),
                        Usage.NONE));
            }
        };
    }

    private static NormalizedMessage inChannel(String tenant, String channel, String id) {
        return new NormalizedMessage(id, tenant, channel + ";messageid=1700000000000", ConversationType.CHANNEL,
                new Sender("29:1abc", "Anna Müller", "aad-anna"), GERMAN, "team-aad-1", channel, "1700000000000",
                "https://smba.trafficmanager.net/emea/", TopologyHarness.NOW.minusMillis(40));
    }

    private Map<String, String> toneByMessage() {
        Map<String, String> tones = new HashMap<>();
        requests.forEach(r -> tones.put(r.messageId(), r.tone()));
        return tones;
    }

    @Test
    void twoChannelsOfOneTenantGetTheirOwnTonesAndAChatGetsTheTenants() {
        start(Map.of(
                "translation.tone", "polite",
                "tenant." + TENANT + ".tone", "business",
                "tenant." + TENANT + ".channel-tones", SUPPORT + "=casual," + ENGINEERING + "=technical"));

        topology.send(inChannel(TENANT, SUPPORT, "m-support"));
        topology.send(inChannel(TENANT, ENGINEERING, "m-engineering"));
        topology.send(inChannel(TENANT, GENERAL, "m-general"));
        topology.send(TopologyHarness.message(TENANT, "19:chat-1@unq.gbl.spaces", "m-chat", GERMAN));

        assertThat(topology.replies.readValuesToList()).extracting(ReplyEvent::replyToId)
                .containsExactlyInAnyOrder("m-support", "m-engineering", "m-general", "m-chat");
        assertThat(toneByMessage()).containsOnly(
                Map.entry("m-support", "casual"),
                Map.entry("m-engineering", "technical"),
                // a channel without its own tone, and a chat (no channel), take the tenant's
                Map.entry("m-general", "business"),
                Map.entry("m-chat", "business"));
    }

    @Test
    void aChannelToneAppliesOnlyWithinItsTenant() {
        start(Map.of("tenant." + TENANT + ".channel-tones", SUPPORT + "=casual"));

        topology.send(inChannel(TENANT, SUPPORT, "m-1"));
        topology.send(inChannel("tenant-b", SUPPORT, "m-2"));

        // the other tenant's message in a channel of the same id gets the default tone
        assertThat(toneByMessage()).containsOnly(Map.entry("m-1", "casual"), Map.entry("m-2", "business"));
    }
}
