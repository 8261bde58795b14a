package io.tla.topology.model;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.util.List;

/**
 * A local HTTP server that answers with the responses queued on it, in order, one per request (then 404), and
 * records what it was sent: an OpenAI-compatible server for the provider tests (and the rate limit's).
 */
public final class LocalChatServer implements AutoCloseable {

    private static final String QUEUE = "queue";

    private final WireMockServer server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1")
            .containerThreads(20).jettyAcceptors(1));
    private int queued;

    public LocalChatServer start() {
        server.start();
        return this;
    }

    /** Base URL with the given path, e.g. {@code http://127.0.0.1:PORT/v1}. */
    public String url(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    public synchronized LocalChatServer enqueue(ResponseDefinitionBuilder response) {
        String state = queued == 0 ? Scenario.STARTED : "answer-" + queued;
        server.stubFor(any(anyUrl()).inScenario(QUEUE).whenScenarioStateIs(state)
                .willSetStateTo("answer-" + (queued + 1)).willReturn(response));
        queued++;
        return this;
    }

    /**
     * Answers every request with {@code response}, however many arrive at once (the queue's scenario steps are
     * for requests one at a time: two concurrent ones can take the same step).
     */
    public LocalChatServer answerEvery(ResponseDefinitionBuilder response) {
        server.stubFor(any(anyUrl()).willReturn(response));
        return this;
    }

    public int requestCount() {
        return server.getAllServeEvents().size();
    }

    /** The requests received, oldest first. */
    public List<LoggedRequest> requests() {
        List<LoggedRequest> newestFirst = server.getAllServeEvents().stream().map(event -> event.getRequest())
                .map(LoggedRequest.class::cast).collect(java.util.stream.Collectors.toList());
        java.util.Collections.reverse(newestFirst);
        return newestFirst;
    }

    public static ResponseDefinitionBuilder json(int status, String body) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body);
    }

    @Override
    public void close() {
        server.stop();
    }
}
