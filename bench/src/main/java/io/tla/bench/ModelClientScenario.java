package io.tla.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ModelProviders;
import io.tla.topology.model.ModelRequest;
import io.tla.topology.model.ModelResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code model-client}: the live provider client ({@code openai} type: JDK HTTP client, resilience4j, fallback
 * chain) against a local OpenAI-compatible server that answers at once, so what is measured is the client's own
 * cost. Two phases with {@link #IN_FLIGHT} calls in flight: the primary answering, and the primary failing with
 * 503 on every call (one attempt, its circuit breaker kept closed) so that each call goes to the primary, fails and
 * falls back to the backup. The difference of the two latencies is what a fallback adds; the first phase is the
 * baseline. A breaker that opens (the default after 20 failed calls) skips the failing primary without a request.
 */
final class ModelClientScenario {

    static final int IN_FLIGHT = 64;
    private static final String ANSWER = "{\"sourceLanguage\":\"de\",\"translations\":[{\"language\":\"en\","
            + "\"text\":\"Good morning everyone, can we move the meeting to Thursday?\"}]}";

    private ModelClientScenario() {
    }

    static BenchResult run(int calls, BenchLog log) throws Exception {
        if (calls > 10_000) {
            // past that many failures the primary's breaker opens and the fallback phase measures skips instead
            throw new IllegalArgumentException("model-client measures at most 10000 calls per phase, got " + calls);
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        ExecutorService handlers = Executors.newFixedThreadPool(4, task -> {
            Thread thread = new Thread(task, "tla-bench-chat-server");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(handlers);
        byte[] ok = completion(ANSWER).getBytes(StandardCharsets.UTF_8);
        byte[] down = "{\"error\":{\"message\":\"overloaded\"}}".getBytes(StandardCharsets.UTF_8);
        AtomicInteger served = new AtomicInteger();
        server.createContext("/ok/", exchange -> respond(exchange, 200, ok, served));
        server.createContext("/down/", exchange -> respond(exchange, 503, down, served));
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        try {
            warmUp(chain(Map.of("primary", base + "/ok/v1")), Math.min(calls, 2_000));
            log.info("direct: %d calls, %d in flight, primary answers", calls, IN_FLIGHT);
            Phase direct = measure(chain(Map.of("primary", base + "/ok/v1")), calls, log, "direct");
            log.info("fallback: %d calls, primary 503 on every call, backup answers", calls);
            Phase fallback = measure(chain(Map.of("primary", base + "/down/v1", "backup", base + "/ok/v1")), calls,
                    log, "fallback");
            return BenchResult.of(BenchScenario.MODEL_CLIENT, calls, direct.perSecond(), direct.latencies())
                    .baseline(fallback.perSecond())
                    .put("baseline", "the same calls when every one falls back from a failing primary (503) to the backup")
                    .put("p95_ms", direct.latencies().p95Ms())
                    .put("fallback_per_s", fallback.perSecond())
                    .put("fallback_p50_ms", fallback.latencies().p50Ms())
                    .put("fallback_p99_ms", fallback.latencies().p99Ms())
                    .put("fallback_added_p50_ms", fallback.latencies().p50Ms() - direct.latencies().p50Ms())
                    .put("fallback_added_p99_ms", fallback.latencies().p99Ms() - direct.latencies().p99Ms())
                    .put("answered", direct.answered())
                    .put("fallback_answered_by_backup", fallback.answered())
                    .put("requests_served", served.get())
                    .put("in_flight", IN_FLIGHT)
                    .put("server", "local OpenAI-compatible server (JDK HttpServer), answers at once");
        } finally {
            server.stop(0);
            handlers.shutdownNow();
        }
    }

    private record Phase(double perSecond, Latencies latencies, int answered) {
    }

    /** A chain of {@code openai} providers, in the order given: name → base URL. */
    private static ModelProvider chain(Map<String, String> providers) {
        Map<String, String> keys = new HashMap<>();
        keys.put("model.providers", String.join(",", providers.keySet().stream().sorted(
                (a, b) -> a.equals("primary") ? -1 : b.equals("primary") ? 1 : a.compareTo(b)).toList()));
        providers.forEach((name, url) -> {
            String prefix = ModelConfig.PROVIDER_PREFIX + name + ".";
            keys.put(prefix + "type", "openai");
            keys.put(prefix + "base-url", url);
            keys.put(prefix + "model", "bench-model");
            keys.put(prefix + "max-attempts", "1");
            keys.put(prefix + "max-in-flight", "256");
            keys.put(prefix + "timeout-ms", "5000");
            // keep it closed for up to 10 000 calls (the key's maximum): every call pays the failed attempt
            keys.put(prefix + "breaker-min-calls", "10000");
        });
        return ModelProviders.chain(ModelConfig.from(TlaConfig.of(keys)), new EnvSecretStore(Map.of()),
                new SimpleMeterRegistry());
    }

    private static void warmUp(ModelProvider provider, int calls) throws InterruptedException {
        run(provider, calls, new long[calls]);
    }

    private static Phase measure(ModelProvider provider, int calls, BenchLog log, String label)
            throws InterruptedException {
        long[] nanos = new long[calls];
        long started = System.nanoTime();
        int answered = run(provider, calls, nanos);
        double seconds = (System.nanoTime() - started) / 1e9;
        Phase phase = new Phase(calls / seconds, Latencies.of(nanos), answered);
        log.info("%s: %d calls in %.2f s: %.0f/s, p50 %.2f ms, p99 %.2f ms, %d answered", label, calls, seconds,
                phase.perSecond(), phase.latencies().p50Ms(), phase.latencies().p99Ms(), answered);
        return phase;
    }

    /** {@code calls} translations, at most {@link #IN_FLIGHT} at a time; returns how many got an answer. */
    private static int run(ModelProvider provider, int calls, long[] nanos) throws InterruptedException {
        Semaphore permits = new Semaphore(IN_FLIGHT);
        AtomicInteger answered = new AtomicInteger();
        for (int i = 0; i < calls; i++) {
            permits.acquire();
            int index = i;
            long started = System.nanoTime();
            ModelRequest request = new ModelRequest("bench-tenant", "bench-conversation-" + (i % 100), "m-" + i,
                    "Guten Morgen zusammen, können wir das Meeting auf Donnerstag verschieben?", List.of("en"),
                    List.of(), 256, "de", "business", List.of());
            CompletableFuture<ModelResponse> call;
            try {
                call = provider.translate(request).toCompletableFuture();
            } catch (RuntimeException e) {
                call = CompletableFuture.failedFuture(e);
            }
            call.whenComplete((response, error) -> {
                nanos[index] = System.nanoTime() - started;
                if (response != null) {
                    answered.incrementAndGet();
                }
                permits.release();
            });
        }
        if (!permits.tryAcquire(IN_FLIGHT, 60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("model-client: calls still in flight after 60 s");
        }
        return answered.get();
    }

    private static void respond(HttpExchange exchange, int status, byte[] body, AtomicInteger served)
            throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            in.readAllBytes();
        }
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
        served.incrementAndGet();
    }

    private static String completion(String content) {
        String escaped = content.replace("\\", "\\\\").replace("\"", "\\\"");
        return "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"model\":\"bench-model\",\"choices\":[{"
                + "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + escaped + "\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":30,"
                + "\"total_tokens\":150}}";
    }
}
