package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.http.Health;
import io.tla.platform.http.HttpServer;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.Secret;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Requests no well-behaved HTTP client would send, written raw on a socket to the real server: what the fuzzer's
 * client ({@code java.net.URI}) refuses to produce. Found by fuzzing the query string: a malformed percent escape in
 * {@code ?id=} made the ingress throw, and Jetty answered 500.
 */
class IngressRawRequestTest {

    private static final String KEY = Fixtures.randomKey();
    private static final HttpConfig HTTP = new HttpConfig("127.0.0.1", 0, 256 * 1024);

    @Test
    void aMalformedEscapeInTheRegistrationNameIsA4xxNotA500() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Health health = new Health();
        try (TeamsIngress ingress = new TeamsIngress(HTTP, new WebhookConfig("teams-webhook-hmac", Map.of()),
                new Secret("teams-webhook-hmac", KEY, null), new KafkaClients("127.0.0.1:" + closedPort, Map.of()),
                new TlaMetrics(), health, Clock.systemUTC());
             HttpServer server = HttpServer.webhook(HTTP, health).routes(ingress::routes).start()) {
            byte[] body = Fixtures.bytes(Fixtures.json(Fixtures.GROUP_CHAT, Instant.now()));
            // signed with another key: however the name is read, the answer is 401 (the broker here is down)
            String authorization = HmacSignature.ofBase64Key(Fixtures.randomKey()).authorizationHeader(body);
            // directly from Jetty, and through Javalin (the trailing slash)
            for (String target : List.of("/api/messages?id=%ZZ", "/api/messages?id=%", "/api/messages?id=%E0%A4%A",
                    "/api/messages?%ZZ=1&id=x", "/api/messages/?id=%ZZ")) {
                int status = post(server.port(), target, body, authorization);
                assertThat(status).as(target).isEqualTo(401);
            }
        }
    }

    @Test
    void aLargeBodyOfTheWrongContentTypeIsAnswered415NotAResetConnection() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Health health = new Health();
        try (TeamsIngress ingress = new TeamsIngress(HTTP, new WebhookConfig("teams-webhook-hmac", Map.of()),
                new Secret("teams-webhook-hmac", KEY, null), new KafkaClients("127.0.0.1:" + closedPort, Map.of()),
                new TlaMetrics(), health, Clock.systemUTC());
             HttpServer server = HttpServer.webhook(HTTP, health).routes(ingress::routes).start()) {
            // found by fuzzing: 415 was answered before the body was read, and a sender still writing 350 KB saw
            // the connection go instead of the answer
            byte[] body = ("{\"text\":\"" + "a".repeat(350_000) + "\"}").getBytes(StandardCharsets.UTF_8);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (String contentType : List.of("text/plain", "application/json; charset=iso-8859-1")) {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                + server.port() + "/api/messages")).header("Content-Type", contentType)
                        .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(contentType).isEqualTo(415);
            }
        }
    }

    private static int post(int port, String target, byte[] body, String authorization) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: " + authorization + "\r\nContent-Length: " + body.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                head.write(b);
            }
            String statusLine = head.toString(StandardCharsets.ISO_8859_1);
            return Integer.parseInt(statusLine.split(" ")[1]);
        }
    }
}
