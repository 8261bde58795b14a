package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operators' PromQL (ops/grafana/dashboards/*.json, ops/prometheus/alerts.yml) against the product: every
 * expression parses ({@code promtool check rules}, skipped with a message where promtool is not installed; .ci/run
 * installs it) and names only metrics a real {@code /metrics} scrape of all roles shows after one signed message,
 * the recording rules' own names, Prometheus's {@code up}, and the few series listed in {@link #AFTER_TRAFFIC}.
 */
class OpsPromqlTest {

    private static final String CHECKED = "created by the first checked answer; the offline provider's are not checked";

    /** Series the application exports only after traffic this test does not make, with the reason. */
    static final Map<String, String> AFTER_TRAFFIC = Map.ofEntries(
            Map.entry("tla_model_fallbacks_total", "created by the first model fallback; the offline provider never fails"),
            Map.entry("tla_model_answers_total", CHECKED),
            Map.entry("tla_model_answers_failed_total", CHECKED),
            Map.entry("tla_model_answer_problems_total", CHECKED),
            Map.entry("tla_model_answers_retried_total", CHECKED),
            Map.entry("tla_model_answers_fell_back_total", CHECKED),
            Map.entry("tla_model_answers_unverified_total", CHECKED),
            Map.entry("tla_model_quality_pass_rate", CHECKED),
            Map.entry("tla_graph_requests_total", "reply.sink=graph only, created by the first Graph request"),
            Map.entry("tla_graph_request_seconds_bucket", "reply.sink=graph only (this test runs the outbox sink)"),
            Map.entry("tla_graph_replies_throttled_total", "reply.sink=graph only (this test runs the outbox sink)"),
            Map.entry("tla_topology_dead_lettered_total", "created by the first message the topology dead-letters"),
            Map.entry("tla_ingress_sync_replies_total", "sync-reply registrations only, created by the first such call"),
            Map.entry("tla_ingress_sync_reply_wait_seconds_bucket", "sync-reply registrations only (this test has none)"));

    /** Series Prometheus itself adds to every target. */
    static final Set<String> PROMETHEUS_SERIES = Set.of("up");

    private static final Set<String> PROMQL_WORDS = Set.of("and", "or", "unless", "offset", "bool", "by", "without",
            "on", "ignoring", "group_left", "group_right", "inf", "nan", "Inf", "NaN");
    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";

    @TempDir
    Path dataDir;

    private final HttpClient http = HttpClient.newHttpClient();

    /** Where an expression came from, for the failure message. */
    record Expression(String source, String promql) {
    }

    @Test
    void everyDashboardAndAlertExpressionParsesAndNamesOnlyMetricsTheApplicationExports() throws Exception {
        Path ops = opsDir();
        List<Expression> expressions = new ArrayList<>();
        Set<String> referenced = new TreeSet<>();
        try (Stream<Path> dashboards = Files.list(ops.resolve("grafana/dashboards"))) {
            for (Path dashboard : dashboards.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                dashboardExpressions(dashboard, Json.mapper().readTree(dashboard.toFile()), expressions, referenced);
            }
        }
        Path alerts = ops.resolve("prometheus/alerts.yml");
        List<String> alertLines = Files.readAllLines(alerts);
        ruleExpressions(alertLines).forEach(e -> expressions.add(new Expression("alerts.yml", e)));
        Set<String> recorded = recordedNames(alertLines);
        assertThat(expressions).as("expressions found in ops/").hasSizeGreaterThan(40);

        String scrape = scrapeAfterOneMessage();
        // a fresh, healthy `tla run` must not look broken to the alerts: the generated webhook key is usable
        assertThat(scrape).contains("tla_streams_running 1.0")
                .contains("tla_secret_usable{name=\"teams-webhook-hmac\"} 1.0");
        Set<String> exported = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                exported.add(line.split("[{ ]", 2)[0]);
            }
        }
        assertThat(exported).as("AFTER_TRAFFIC lists only series the scrape really lacks")
                .doesNotContainAnyElementsOf(AFTER_TRAFFIC.keySet());

        Map<String, String> unknown = new TreeMap<>();
        for (Expression expression : expressions) {
            for (String name : metricNames(expression.promql())) {
                referenced.add(name);
                if (!exported.contains(name) && !recorded.contains(name) && !PROMETHEUS_SERIES.contains(name)
                        && !AFTER_TRAFFIC.containsKey(name)) {
                    unknown.merge(name, expression.source() + ": " + expression.promql(), (a, b) -> a);
                }
            }
        }
        for (String name : referenced) {
            if (!exported.contains(name) && !recorded.contains(name) && !PROMETHEUS_SERIES.contains(name)
                    && !AFTER_TRAFFIC.containsKey(name)) {
                unknown.putIfAbsent(name, "a dashboard variable");
            }
        }
        assertThat(unknown).as("metrics named in ops/ that /metrics does not export").isEmpty();

        Assumptions.assumeTrue(promtoolAvailable(),
                "promtool not found: the PromQL parse check is skipped (apt-get install prometheus; .ci/run does)");
        Path rules = dataDir.resolve("dashboard-expressions.yml");
        StringBuilder yaml = new StringBuilder("groups:\n  - name: dashboard-expressions\n    rules:\n");
        for (int i = 0; i < expressions.size(); i++) {
            // JSON strings are YAML strings: no quoting rules of our own
            yaml.append("      - record: dashboard_expression_").append(i).append('\n')
                    .append("        expr: ").append(Json.mapper().writeValueAsString(
                            expressions.get(i).promql().replace("$tenant", ".*"))).append('\n');
        }
        Files.writeString(rules, yaml);
        Process promtool = new ProcessBuilder("promtool", "check", "rules", rules.toString(), alerts.toString())
                .redirectErrorStream(true).start();
        String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(promtool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(promtool.exitValue()).as(output).isZero();
        assertThat(output).contains("SUCCESS: " + expressions.size() + " rules found");
    }

    @Test
    void metricNamesAreTheIdentifiersThatAreNeitherFunctionsNorLabelsNorKeywords() {
        assertThat(metricNames("histogram_quantile(0.95, sum by (le, provider) (rate(tla_model_call_seconds_bucket"
                + "{client_id!~\".*restore-consumer\"}[5m] offset 5m))) > 2 * avg_over_time(tla:model_tokens:rate1h[7d])"
                + " and on() up == bool 1"))
                .containsExactlyInAnyOrder("tla_model_call_seconds_bucket", "tla:model_tokens:rate1h", "up");
    }

    static Set<String> metricNames(String promql) {
        String s = promql.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        Set<String> names = new TreeSet<>();
        // possessive: a function name must not match as a shorter prefix
        Matcher m = Pattern.compile("(?<![\\w:.])([a-zA-Z_:][\\w:]*+)(?!\\s*\\()").matcher(s);
        while (m.find()) {
            if (!PROMQL_WORDS.contains(m.group(1))) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    private static void dashboardExpressions(Path file, JsonNode node, List<Expression> into, Set<String> referenced) {
        if (node.isObject()) {
            JsonNode expr = node.get("expr");
            if (expr != null && expr.isTextual()) {
                into.add(new Expression(file.getFileName() + " " + node.path("refId").asText(), expr.asText()));
            }
            JsonNode definition = node.get("definition");
            if (definition != null && definition.isTextual()) {
                Matcher m = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][\\w:]*)").matcher(definition.asText());
                if (m.find()) {
                    referenced.add(m.group(1));
                }
            }
        }
        node.elements().forEachRemaining(child -> dashboardExpressions(file, child, into, referenced));
    }

    /** The {@code expr:} values of a rules file: inline, or a {@code |} block of the lines indented below it. */
    static List<String> ruleExpressions(List<String> lines) {
        List<String> found = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String trimmed = line.strip();
            if (!trimmed.startsWith("expr:")) {
                continue;
            }
            String rest = trimmed.substring("expr:".length()).strip();
            if (rest.startsWith("|") || rest.startsWith(">")) {
                int indent = line.indexOf("expr:");
                StringBuilder block = new StringBuilder();
                while (i + 1 < lines.size() && (lines.get(i + 1).isBlank()
                        || lines.get(i + 1).length() - lines.get(i + 1).stripLeading().length() > indent)) {
                    block.append(lines.get(++i).strip()).append('\n');
                }
                found.add(block.toString().strip());
            } else {
                found.add(rest.replaceAll("^(['\"])(.*)\\1$", "$2"));
            }
        }
        return found;
    }

    static Set<String> recordedNames(List<String> lines) {
        Set<String> names = new TreeSet<>();
        for (String line : lines) {
            Matcher m = Pattern.compile("^\\s*-?\\s*record:\\s*(\\S+)").matcher(line);
            if (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    private String scrapeAfterOneMessage() throws Exception {
        TlaConfig config = TlaConfig.of(Map.of("data.dir", dataDir.toString(), "http.port", "0", "management.port", "0",
                "embedded.kafka.port", "0", "embedded.kafka.controller-port", "0", "topics.partitions", "3"));
        try (TlaRuntime runtime = new TlaRuntime()) {
            TlaRuntime.Started started = runtime.start(config, EnumSet.allOf(Role.class), Map.of());
            assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
            String base = "http://127.0.0.1:" + started.httpPort();
            String mgmt = "http://127.0.0.1:" + started.managementPort();
            await().atMost(Duration.ofSeconds(30)).until(() -> get(base + "/health/ready").statusCode() == 200);
            String key = Files.readString(dataDir.resolve("secrets/teams-webhook-hmac")).trim();
            // an e-mail address, so the PII guard's counter exists too
            byte[] body = activity("1732540000001", "Bitte schreib an anna.mueller@example.com, wie es geht.")
                    .getBytes(StandardCharsets.UTF_8);
            HttpResponse<String> accepted = post(base, body, "HMAC " + sign(key, body));
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            Pattern delivered = Pattern.compile("(?m)^tla_reply_end_to_end_seconds_count\\{[^}]*} [1-9]");
            return await().atMost(Duration.ofSeconds(60)).until(() -> get(mgmt + "/metrics").body(),
                    text -> delivered.matcher(text).find());
        }
    }

    private static boolean promtoolAvailable() {
        try {
            Process p = new ProcessBuilder("promtool", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    /** The repository's ops/ directory, found upwards from the module's working directory. */
    private static Path opsDir() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("ops/prometheus/alerts.yml"))) {
                return dir.resolve("ops");
            }
        }
        throw new AssertionError("ops/prometheus/alerts.yml not found above " + Path.of("").toAbsolutePath());
    }

    private static String activity(String id, String text) {
        return """
                {"type":"message","id":"%s","timestamp":"%s",
                 "serviceUrl":"https://smba.trafficmanager.net/emea/","channelId":"msteams",
                 "from":{"id":"29:1J4Dc0b6xRGYx5u","name":"Anna Müller","aadObjectId":"b1e0c4d2-7f3a-4a8e-9c1d-2e5f6a7b8c9d"},
                 "conversation":{"isGroup":false,"id":"a:1opsPromql","conversationType":"personal","tenantId":"%s"},
                 "recipient":null,"textFormat":"plain","text":"%s",
                 "entities":[{"type":"clientInfo","locale":"de-DE"}],
                 "channelData":{"tenant":{"id":"%s"}}}
                """.formatted(id, Instant.now(), TENANT, text, TENANT);
    }

    /** The Teams scheme: HMAC-SHA256 of the body with the base64-decoded key. */
    private static String sign(String base64Key, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(base64Key), "HmacSHA256"));
        return Base64.getEncoder().encodeToString(mac.doFinal(body));
    }

    private HttpResponse<String> post(String base, byte[] body, String authorization) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/api/messages"))
                .header("Content-Type", "application/json").header("Authorization", authorization)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
