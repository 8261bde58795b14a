package io.tla.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tla.connectors.graph.TeamsReplyRenderer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Microsoft Graph that answers at once, in the benchmark's JVM: {@code 201} and a small chatMessage with a
 * unique id to every authorised POST of a channel-thread reply or a chat message. It reads each body's marker
 * ({@code tla-reply:<replyId>:<part>}) to count how often each reply arrived, so the benchmark can check nothing
 * was posted twice and nothing it did not expect (say, a reply of an earlier phase) was posted at all.
 */
final class GraphStub implements AutoCloseable {

    private static final Pattern CHANNEL_REPLY = Pattern.compile("/v1\\.0/teams/[^/]+/channels/[^/]+/messages/[^/]+/replies");
    private static final Pattern CHAT_MESSAGE = Pattern.compile("/v1\\.0/chats/[^/]+/messages");
    private static final Pattern MARKER = Pattern.compile(Pattern.quote(TeamsReplyRenderer.MARKER_PREFIX)
            + "([A-Za-z0-9._-]+):(\\d+)");

    static {
        // The JDK server writes a response's headers and body separately; with Nagle's algorithm on, the body then
        // waits for the client's delayed ACK (up to 40 ms on Linux), which would be measured as Graph latency.
        // Read once, when the server classes load, so it must be set before the first server of this JVM.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final String expectedAuthorization;
    private final Predicate<String> expected;
    private final Map<String, AtomicInteger> postsPerReply = new ConcurrentHashMap<>();
    private final LongAdder channelPosts = new LongAdder();
    private final LongAdder chatPosts = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder unexpected = new LongAdder();
    private final AtomicInteger distinct = new AtomicInteger();
    private final AtomicLong nextId = new AtomicLong(1_700_000_000_000L);
    private volatile long lastNewNanos = -1;
    private volatile long firstNanos = -1;

    /** @param expected whether a reply id is one this phase of the benchmark sent */
    GraphStub(String token, int threads, Predicate<String> expected) throws IOException {
        this.expectedAuthorization = "Bearer " + token;
        this.expected = expected;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1_024);
        this.executor = Executors.newFixedThreadPool(threads, r -> {
            Thread thread = new Thread(r, "tla-bench-graph-stub");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** The base URL to configure as {@code graph.base-url}. */
    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1.0";
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            String path = exchange.getRequestURI().getRawPath();
            boolean channel = CHANNEL_REPLY.matcher(path).matches();
            boolean chat = !channel && CHAT_MESSAGE.matcher(path).matches();
            if (!"POST".equals(exchange.getRequestMethod()) || !(channel || chat)) {
                refused.increment();
                respond(exchange, 404, "{\"error\":{\"code\":\"NotFound\",\"message\":\"not in the benchmark stub\"}}");
                return;
            }
            if (!expectedAuthorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                refused.increment();
                respond(exchange, 401, "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"no\"}}");
                return;
            }
            Matcher marker = MARKER.matcher(new String(body, StandardCharsets.UTF_8));
            if (marker.find()) {
                // one count per reply: every benchmark reply is a single part
                String replyId = marker.group(1);
                if (!expected.test(replyId)) {
                    unexpected.increment();
                } else if (postsPerReply.computeIfAbsent(replyId, id -> new AtomicInteger()).incrementAndGet() == 1) {
                    long now = System.nanoTime();
                    if (firstNanos < 0) {
                        firstNanos = now;
                    }
                    lastNewNanos = now;
                    distinct.incrementAndGet();
                }
            } else {
                unexpected.increment();
            }
            (channel ? channelPosts : chatPosts).increment();
            respond(exchange, 201, "{\"id\":\"" + nextId.getAndIncrement() + "\",\"messageType\":\"message\"}");
        }
    }

    private static void respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Expected replies seen at least once. */
    int distinctReplies() {
        return distinct.get();
    }

    /** Posts beyond the first of each reply. */
    long duplicates() {
        return postsPerReply.values().stream().mapToLong(count -> Math.max(0, count.get() - 1)).sum();
    }

    long channelPosts() {
        return channelPosts.sum();
    }

    long chatPosts() {
        return chatPosts.sum();
    }

    /** Requests answered 401 or 404 (wrong token, path or method). */
    long refused() {
        return refused.sum();
    }

    /** Posts of replies this phase did not send, or without a marker. */
    long unexpected() {
        return unexpected.sum();
    }

    long firstNanos() {
        return firstNanos;
    }

    long lastNewNanos() {
        return lastNewNanos;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
