package io.tla.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.tla.connectors.ingress.HmacSignature;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LatencySenderTest {

    private static final String KEY = Base64.getEncoder().encodeToString(
            "a-webhook-key-of-32-bytes-length".getBytes(StandardCharsets.UTF_8));

    @Test
    void sendsEveryActivityOnceCorrectlySignedAndCountsTheAnswers() throws Exception {
        HmacSignature signer = HmacSignature.ofBase64Key(KEY);
        Set<String> bodies = ConcurrentHashMap.newKeySet();
        AtomicInteger badSignatures = new AtomicInteger();
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/api/messages", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (!signer.verify(exchange.getRequestHeaders().getFirst("Authorization"), body).valid()) {
                badSignatures.incrementAndGet();
            }
            bodies.add(new String(body, StandardCharsets.UTF_8));
            // every fifth answer is refused and closes its connection: the sender must reconnect and go on
            boolean refuse = requests.incrementAndGet() % 5 == 0;
            if (refuse) {
                exchange.getResponseHeaders().add("Connection", "close");
            }
            byte[] answer = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(refuse ? 503 : 202, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
        try {
            URI ingress = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api/messages");
            int messages = 200;
            LatencyScenario.Sender sender = new LatencyScenario.Sender(ingress, signer,
                    new SyntheticTraffic("sender-test-", 10, 2, 256), messages, 1_000);

            sender.run();
            sender.awaitResponses(Duration.ofSeconds(20));

            assertThat(sender.outstanding()).isZero();
            assertThat(bodies).hasSize(messages);
            assertThat(badSignatures.get()).isZero();
            assertThat(sender.accepted()).isEqualTo(messages - messages / 5);
            assertThat(sender.rejections()).isEqualTo(Map.of("503", (long) messages / 5));
            for (int i = 0; i < messages; i++) {
                if (sender.acceptedNanos(i) >= 0) {
                    assertThat(sender.acceptedNanos(i)).isGreaterThanOrEqualTo(sender.sentNanos(i));
                }
            }
        } finally {
            server.stop(0);
        }
    }
}
