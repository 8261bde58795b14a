package io.tla.app.reliability;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import io.tla.schemas.Json;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Microsoft Graph's chat messages on WireMock, as the reply connector uses them: {@code POST /chats/{id}/messages}
 * creates a message (201 with its id) and {@code GET /chats/{id}/messages} lists what the chat holds, newest first,
 * so a connector that lost a post's answer finds its marker instead of posting again. The journal keeps every post
 * by reply id (from the marker {@code tla-reply:<replyId>:<part>}), which is what "posted exactly once" is checked
 * against.
 */
final class GraphMock implements AutoCloseable {

    static final String TOKEN = "reliability-graph-token";
    private static final Pattern CHAT = Pattern.compile("/v1\\.0/chats/([^/?]+)/messages");
    private static final Pattern MARKER = Pattern.compile("tla-reply:([^:\\s<\"]+):(\\d+)");

    private final WireMockServer server;
    private final Map<String, List<ObjectNode>> chats = new ConcurrentHashMap<>();
    /** Posts per reply id (part 1 only: a long reply's later parts are not counted again). */
    private final Map<String, Integer> postsByReply = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong posts = new AtomicLong();
    private final AtomicLong lookups = new AtomicLong();

    GraphMock() {
        server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(32)
                .disableRequestJournal().extensions(new Chats()));
        server.start();
        server.stubFor(any(urlPathMatching("/v1\\.0/.*")).willReturn(aResponse().withStatus(404)));
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.port() + "/v1.0";
    }

    /** Posts per reply id so far. */
    Map<String, Integer> postsByReply() {
        return new HashMap<>(postsByReply);
    }

    long posts() {
        return posts.get();
    }

    long lookups() {
        return lookups.get();
    }

    @Override
    public void close() {
        server.stop();
    }

    private final class Chats implements ResponseDefinitionTransformerV2 {

        @Override
        public ResponseDefinition transform(ServeEvent event) {
            var request = event.getRequest();
            String path = request.getUrl();
            int query = path.indexOf('?');
            Matcher chat = CHAT.matcher(query < 0 ? path : path.substring(0, query));
            if (!chat.matches()) {
                return event.getResponseDefinition();
            }
            String chatId = URLDecoder.decode(chat.group(1), StandardCharsets.UTF_8);
            List<ObjectNode> messages = chats.computeIfAbsent(chatId, c -> new ArrayList<>());
            try {
                if ("POST".equals(request.getMethod().value())) {
                    JsonNode body = Json.mapper().readTree(request.getBodyAsString());
                    ObjectNode created = Json.mapper().createObjectNode();
                    created.put("id", "graph-" + ids.incrementAndGet());
                    created.put("createdDateTime", java.time.Instant.now().toString());
                    created.set("body", body.path("body").deepCopy());
                    if (body.has("attachments")) {
                        created.set("attachments", body.get("attachments").deepCopy());
                    }
                    String text = body.toString();
                    Matcher marker = MARKER.matcher(text);
                    while (marker.find()) {
                        if ("1".equals(marker.group(2))) {
                            postsByReply.merge(marker.group(1), 1, Integer::sum);
                        }
                    }
                    synchronized (messages) {
                        messages.add(created);
                    }
                    posts.incrementAndGet();
                    return json(201, created.toString());
                }
                if ("GET".equals(request.getMethod().value())) {
                    lookups.incrementAndGet();
                    ObjectNode page = Json.mapper().createObjectNode();
                    ArrayNode value = page.putArray("value");
                    synchronized (messages) {
                        for (int i = messages.size() - 1; i >= 0; i--) {
                            value.add(messages.get(i));
                        }
                    }
                    return json(200, page.toString());
                }
            } catch (Exception e) {
                return json(400, "{\"error\":{\"code\":\"BadRequest\",\"message\":\"" + e.getClass().getSimpleName() + "\"}}");
            }
            return event.getResponseDefinition();
        }

        private ResponseDefinition json(int status, String body) {
            return new com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder().withStatus(status)
                    .withHeader("Content-Type", "application/json").withBody(body).build();
        }

        @Override
        public String getName() {
            return "graph-chats";
        }
    }
}
