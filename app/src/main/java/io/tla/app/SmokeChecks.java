package io.tla.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.connectors.graph.GraphAuth;
import io.tla.platform.config.DataConfig;
import io.tla.platform.config.GraphConfig;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.ManagementConfig;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.secrets.Secret;
import io.tla.platform.secrets.SecretStores;
import io.tla.schemas.Json;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * The smoke checks against a running instance ({@code tla smoke reply|metrics|graph-scopes|ready}), each returning
 * a {@link Result} that the commands print and {@code ready} writes to the readiness file
 * ({@code data.dir/readiness/last-smoke.json}), which {@code /api/readiness} and {@code /api/diagnostics} read.
 */
final class SmokeChecks {

    /** One check's outcome; {@code facts} are the figures it measured (timings, counts), never a secret. */
    record Result(String check, boolean ok, String detail, Map<String, Object> facts) {
    }

    /** Series every role's {@code /metrics} exposes once it has served one message end to end. */
    static final List<String> EXPECTED_SERIES = List.of(
            "tla_ingress_requests_total", "tla_ingress_request_seconds_count", "tla_model_calls_total",
            "tla_model_call_seconds_count", "tla_replies_written_total", "tla_reply_end_to_end_seconds_count",
            "tla_dashboard_events_stored_total", "tla_secret_expiry_seconds", "jvm_memory_used_bytes",
            "process_cpu_usage", "kafka_consumer_fetch_manager_records_consumed_total");

    /** Graph series, expected when {@code reply.sink=graph}. */
    static final List<String> GRAPH_SERIES = List.of("tla_graph_requests_total", "tla_graph_request_seconds_count");

    private SmokeChecks() {
    }

    static Path readinessFile(TlaConfig config) {
        return DataConfig.from(config).dataDir().resolve("readiness").resolve("last-smoke.json");
    }

    /**
     * A signed Teams message through the running ingress to a delivered reply: waits for the reply on
     * {@code teams.replies.v1} and then for its {@code reply.posted} telemetry (outbox or Graph), with timings.
     */
    static Result reply(TlaConfig config, String text, Duration timeout) throws Exception {
        String tenant = SendCommand.boundTenant(WebhookConfig.from(config).tenantId());
        String conversation = SendCommand.DEFAULT_CONVERSATION;
        Secret key = SendCommand.webhookKey(config, WebhookConfig.from(config).defaultKeySecret());
        Instant now = Instant.now();
        String messageId = SendCommand.messageId(now);
        byte[] body = Json.mapper().writeValueAsBytes(SendCommand.activity(messageId, now, text, tenant, conversation));
        String target = "http://127.0.0.1:" + HttpConfig.from(config).port() + "/api/messages";
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("messageId", messageId);
        try (KafkaConsumer<String, String> consumer = SendCommand.replyConsumer(config)) {
            long started = System.nanoTime();
            HttpResponse<String> response = SendCommand.postSigned(target, body, key);
            facts.put("ingressStatus", response.statusCode());
            facts.put("ingressMs", millisSince(started));
            if (response.statusCode() != 202) {
                return new Result("reply", false, "the ingress answered " + response.statusCode() + " instead of 202",
                        facts);
            }
            String replyId = null;
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                    if (record.topic().equals(Topics.REPLIES.name())) {
                        ReplyEvent reply = Json.mapper().readValue(record.value(), ReplyEvent.class);
                        if (replyId == null && messageId.equals(reply.replyToId()) && tenant.equals(reply.tenantId())) {
                            replyId = reply.replyId();
                            facts.put("replyId", replyId);
                            facts.put("replyKind", reply.kind().wireName());
                            facts.put("replyMs", millisSince(started));
                        }
                        continue;
                    }
                    TelemetryEvent event = Json.mapper().readValue(record.value(), TelemetryEvent.class);
                    if (replyId != null && replyId.equals(event.attributes().get("replyId"))) {
                        if (TelemetryEvent.Types.REPLY_POSTED.equals(event.type())) {
                            facts.put("sink", event.attributes().get("sink"));
                            facts.put("postedMs", millisSince(started));
                            return new Result("reply", true, "reply " + replyId + " delivered by the "
                                    + event.attributes().get("sink") + " sink in " + facts.get("postedMs") + " ms", facts);
                        }
                        if (TelemetryEvent.Types.REPLY_FAILED.equals(event.type())) {
                            facts.put("postReason", event.attributes().get("reason"));
                            return new Result("reply", false, "reply " + replyId + " could not be posted: "
                                    + event.attributes().get("reason"), facts);
                        }
                    }
                }
            }
            return new Result("reply", false, replyId == null
                    ? "no reply on " + Topics.REPLIES.name() + " within " + timeout.toSeconds() + " s"
                    : "reply " + replyId + " emitted but not delivered within " + timeout.toSeconds() + " s", facts);
        }
    }

    /**
     * Scrapes {@code /metrics} on the management listener, with the management token from the secret store when
     * {@code management.auth} is token or entra, and checks the series operators' dashboards and alerts rely on.
     */
    static Result metrics(TlaConfig config) throws IOException, InterruptedException {
        ManagementConfig management = ManagementConfig.from(config);
        String url = managementBaseUrl(management) + "/metrics";
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("auth", management.auth());
        if (!management.authNone()) {
            Optional<Secret> token = SecretStores.create(config, System.getenv()).get(management.tokenSecret());
            if (token.isEmpty()) {
                return new Result("metrics", false, "management.auth=" + management.auth() + " but the management"
                        + " token (secret " + management.tokenSecret() + ") is not in the secret store", facts);
            }
            request.header("Authorization", "Bearer " + token.get().reveal().strip());
        }
        HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(),
                HttpResponse.BodyHandlers.ofString());
        facts.put("status", response.statusCode());
        if (response.statusCode() != 200) {
            return new Result("metrics", false, url + " answered " + response.statusCode(), facts);
        }
        Set<String> names = seriesNames(response.body());
        facts.put("series", names.size());
        List<String> expected = new ArrayList<>(EXPECTED_SERIES);
        if ("graph".equals(ReplyConfig.from(config).sink())) {
            expected.addAll(GRAPH_SERIES);
        }
        List<String> missing = expected.stream().filter(name -> !names.contains(name)).toList();
        facts.put("missing", missing);
        return new Result("metrics", missing.isEmpty(), missing.isEmpty()
                ? names.size() + " series, all " + expected.size() + " expected ones present"
                : "missing " + String.join(", ", missing), facts);
    }

    /** Where this host reaches the management listener: its address, or loopback when it binds every interface. */
    static String managementBaseUrl(ManagementConfig management) {
        String host = management.host();
        if ("0.0.0.0".equals(host) || "::".equals(host) || "[::]".equals(host)) {
            host = "127.0.0.1";
        } else if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + management.port();
    }

    /** Metric names (without labels) in a Prometheus text exposition. */
    static Set<String> seriesNames(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        }
        return names;
    }

    /** Delegated scopes ({@code scp}) the obo mode needs: posting, and reading back for the marker check. */
    static final List<String> OBO_SCOPES = List.of("ChannelMessage.Send", "ChatMessage.Send",
            "ChannelMessage.Read.All", "Chat.Read");

    /**
     * Gets a Graph token the way the reply connector does, decodes its roles and scopes, and compares them with what
     * the auth mode needs. {@code user} picks the sender's assertion in obo mode.
     */
    static Result graphScopes(TlaConfig config, String user) {
        GraphConfig graph = GraphConfig.from(config);
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("authMode", graph.authMode());
        facts.put("sink", ReplyConfig.from(config).sink());
        String token;
        try {
            token = new GraphAuth(graph, SecretStores.create(config, System.getenv()), null).accessToken(user);
        } catch (RuntimeException e) {
            return new Result("graph-scopes", false, "no Graph token for graph.auth.mode=" + graph.authMode() + ": "
                    + e.getMessage(), facts);
        }
        JsonNode claims = claims(token);
        Set<String> roles = new LinkedHashSet<>();
        Set<String> scopes = new LinkedHashSet<>();
        if (claims != null) {
            claims.path("roles").forEach(role -> roles.add(role.asText()));
            for (String scope : claims.path("scp").asText("").split(" ")) {
                if (!scope.isBlank()) {
                    scopes.add(scope);
                }
            }
        }
        facts.put("roles", List.copyOf(roles));
        facts.put("scopes", List.copyOf(scopes));
        switch (graph.authMode()) {
            case "static-token":
                return new Result("graph-scopes", false, "graph.auth.mode=static-token is for Graph emulators, not"
                        + " production" + (claims == null ? " (the token is not a JWT)" : ""), facts);
            case "obo": {
                List<String> gap = OBO_SCOPES.stream().filter(scope -> !scopes.contains(scope)).toList();
                facts.put("gap", gap);
                return new Result("graph-scopes", gap.isEmpty(), gap.isEmpty()
                        ? "delegated scopes cover posting and the marker check"
                        : "the token lacks delegated scope(s) " + String.join(", ", gap), facts);
            }
            default:
                // app-only: resource-specific consent is granted per team and chat at install time and never shows in
                // the token, so what can be checked is that the credential yields an app token for Graph
                facts.put("gap", List.of());
                return new Result("graph-scopes", claims != null, claims == null ? "the token is not a JWT"
                        : "app token issued (roles: " + (roles.isEmpty() ? "none" : String.join(", ", roles))
                        + "); ChannelMessage.Send.Group and ChatMessage.Send.Chat are resource-specific consent,"
                        + " granted by installing the Teams app (ops/teams), and do not appear in the token", facts);
        }
    }

    /** The payload of a JWT, or null when the token is not one. */
    static JsonNode claims(String token) {
        String[] parts = token.split("\\.");
        if (parts.length < 2) {
            return null;
        }
        try {
            return Json.mapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Writes the readiness file atomically: time, overall result and every check's outcome. */
    static Path writeReadiness(TlaConfig config, Instant at, List<Result> results) throws IOException {
        Path file = readinessFile(config);
        Files.createDirectories(file.getParent());
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("at", at.toString());
        root.put("ok", results.stream().allMatch(Result::ok));
        ObjectNode checks = root.putObject("checks");
        for (Result result : results) {
            ObjectNode check = checks.putObject(result.check());
            check.put("ok", result.ok());
            check.put("detail", result.detail());
            check.set("facts", Json.mapper().valueToTree(result.facts()));
        }
        Path temp = Files.createTempFile(file.getParent(), ".last-smoke", ".json");
        Files.write(temp, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    private static long millisSince(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }
}
