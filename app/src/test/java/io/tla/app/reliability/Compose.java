package io.tla.app.reliability;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.connectors.ingress.HmacSignature;
import io.tla.schemas.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 8: {@code docker compose up} of docker-compose.yml with a fresh .env, then one signed message to the
 * ingress on localhost:8080 and its reply on teams.replies.v1 (kafka's host port). Skipped where no engine runs.
 */
final class Compose {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String PROJECT = "tla-reliability";

    record Result(int status, boolean replied) {
    }

    private Compose() {
    }

    /** Whether {@code docker info} succeeds within 20 s. */
    static boolean engineAvailable() {
        try {
            Process process = new ProcessBuilder("docker", "info").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return process.waitFor(20, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    static Result upAndSend(String scenario, Path dir) throws Exception {
        Files.createDirectories(dir);
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String webhookKey = Base64.getEncoder().encodeToString(key);
        Path env = dir.resolve(".env");
        Files.writeString(env, "TLA_SECRET_TEAMS_WEBHOOK_HMAC=" + webhookKey + "\n"
                + "TLA_POSTGRES_PASSWORD=" + HexFormat.of().formatHex(random(16)) + "\n"
                + "TLA_SECRET_MANAGEMENT_TOKEN=" + HexFormat.of().formatHex(random(32)) + "\n"
                + "GRAFANA_ADMIN_PASSWORD=" + HexFormat.of().formatHex(random(16)) + "\n");
        Path log = Path.of("target", "reliability", "logs", scenario, "compose.log").toAbsolutePath();
        Files.createDirectories(log.getParent());
        try {
            compose(env, log, 1_200, "up", "-d", "--build", "--wait");
            byte[] body = activity();
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:8080/api/messages")).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .header("Authorization", HmacSignature.ofBase64Key(webhookKey).authorizationHeader(body))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            boolean replied = false;
            if (response.statusCode() == 202) {
                try (RepliesReader replies = new RepliesReader("127.0.0.1:29092")) {
                    String id = Json.mapper().readTree(body).path("id").asText();
                    replied = Scenarios.await(Duration.ofSeconds(120), () -> replies.seen().stream()
                            .anyMatch(s -> id.equals(s.reply().replyToId())));
                }
            }
            ObjectNode json = Json.mapper().createObjectNode();
            json.put("scenario", scenario).put("at", Instant.now().toString()).put("status", response.statusCode())
                    .put("replied", replied);
            Outcome.report(scenario, json);
            return new Result(response.statusCode(), replied);
        } finally {
            compose(env, log, 300, "down", "-v");
        }
    }

    private static byte[] activity() throws Exception {
        ObjectNode a = Json.mapper().createObjectNode();
        a.put("type", "message").put("id", Long.toString(System.currentTimeMillis()))
                .put("timestamp", Instant.now().toString()).put("serviceUrl", "https://smba.trafficmanager.net/emea/");
        a.putObject("from").put("id", "29:compose-user").put("name", "Anna Müller");
        a.putObject("conversation").put("id", "19:compose-check@thread.v2").put("conversationType", "groupChat")
                .put("tenantId", LoadGenerator.TENANTS.get(0));
        a.put("text", "<at>Translator</at> Können wir morgen über die Veröffentlichung sprechen?");
        return Json.mapper().writeValueAsBytes(a);
    }

    private static void compose(Path env, Path log, int timeoutSeconds, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("docker", "compose", "-p", PROJECT, "--env-file", env.toString(),
                "-f", ROOT.resolve("docker-compose.yml").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("docker compose " + String.join(" ", args) + " timed out; see " + log);
        }
        if (process.exitValue() != 0 && !"down".equals(args[0])) {
            throw new IllegalStateException("docker compose " + String.join(" ", args) + " failed; see " + log);
        }
    }

    private static byte[] random(int bytes) {
        byte[] value = new byte[bytes];
        new SecureRandom().nextBytes(value);
        return value;
    }

}
