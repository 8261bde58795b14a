package io.tla.dashboard.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.dashboard.DashboardFeed;
import io.tla.platform.config.DashboardConfig;
import io.tla.platform.config.DataConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.platform.http.Health;
import io.tla.platform.http.HttpServer;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.schemas.Json;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The dashboard page in a real headless Chromium against a real instance: in-JVM broker, the feed on SQLite, the
 * platform HTTP server. Telemetry is produced to the topic, so the page shows what the store computed.
 *
 * <p>Uses Debian's {@code chromium} and {@code chromedriver} ({@code apt-get install chromium chromium-driver});
 * Selenium Manager is never asked to download anything. Without them the tests are skipped.
 */
class DashboardPageBrowserTest {

    static final Path CHROMIUM = Path.of(System.getProperty("tla.test.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("tla.test.chromedriver", "/usr/bin/chromedriver"));
    static final Duration WAIT = Duration.ofSeconds(60);
    /** The feed's "today" and the metrics' default hour end here; every event is in the hour before. */
    static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
    static final String TENANT_A = "tenant-alpha";
    static final String TENANT_B = "tenant-beta";
    static final String REPLAY_A = "./tla replay --from teams.replies.dlq.v1 --tenant " + TENANT_A + " --error http-403";

    @TempDir
    static Path dir;
    static EmbeddedKafkaBroker broker;
    static KafkaClients clients;
    static TlaMetrics metrics;
    static DashboardFeed feed;
    static HttpServer server;
    /** While set, a test-only filter answers 503 on every /api/ route, as a store or proxy outage would. */
    static final AtomicBoolean apiDown = new AtomicBoolean();

    /** A canned answer the test-only filter gives instead of the real route. */
    record Answer(int status, String json, String contentType) {
        Answer(int status, String json) {
            this(status, json, "application/json");
        }
    }

    /** Test-only answers by path: the page against the contract's shapes, or against a route that is missing. */
    static final Map<String, Answer> fixtures = new ConcurrentHashMap<>();

    @TempDir
    Path profile;
    WebDriver driver;

    @BeforeAll
    static void startInstanceWithTelemetry() throws Exception {
        if (!browserInstalled()) {
            return;   // each test reports the skip, with the reason
        }
        broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
        clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        TopicAdmin.ensureTopics(clients, List.of(Topics.TELEMETRY), 1, (short) 1, Duration.ofSeconds(30));
        produceTelemetry();

        metrics = new TlaMetrics();
        Health health = new Health();
        feed = new DashboardFeed(TlaConfig.of(Map.of(DashboardConfig.STORE_URL, "jdbc:sqlite:" + dir.resolve("dashboard.db"),
                DashboardConfig.CONSUMER_GROUP, "dashboard-page-test-" + UUID.randomUUID(),
                DataConfig.DATA_DIR, dir.toString())), new EnvSecretStore(Map.of()), clients, metrics, health,
                Clock.fixed(NOW, ZoneOffset.UTC));
        server = HttpServer.managementOnLoopback(metrics, health);
        server.routes(app -> app.before("/api/*", ctx -> {
            if (apiDown.get()) {
                ctx.status(503).contentType("application/json")
                        .result("{\"status\":\"unavailable\",\"reason\":\"test outage\"}");
                ctx.skipRemainingHandlers();
                return;
            }
            Answer fixture = fixtures.get(ctx.path());
            if (fixture != null) {
                ctx.status(fixture.status()).contentType(fixture.contentType()).header("Cache-Control", "no-store")
                        .result(fixture.json());
                ctx.skipRemainingHandlers();
            }
        }));
        server.routes(feed::routes);
        server.start();
        feed.start();

        // The page is only worth opening once the store holds every event.
        await().atMost(WAIT).untilAsserted(() -> {
            String status = get("/api/status");
            assertThat(Json.mapper().readTree(status).at("/today/replies").asLong()).isEqualTo(3);
            assertThat(Json.mapper().readTree(status).at("/today/repliesPosted").asLong()).isEqualTo(3);
        });
    }

    static void produceTelemetry() throws Exception {
        Map<String, Object> props = clients.properties("dashboard-page-test");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            for (TelemetryEvent e : List.of(
                    // Verified answers: openai's gpt-test passes 3 of 4 checks (75 %, under 90 %), azure-openai's
                    // gpt-4o 1 of 1.
                    decision(TENANT_A, "a1", "11:50:05"), modelCall(TENANT_A, "a1", "11:50:06", "openai", 0.012, 210,
                            List.of(attempt("openai", "gpt-test", "accepted"))),
                    reply(TENANT_A, "a1", "11:50:07", 900),
                    decision(TENANT_A, "a2", "11:52:05"), modelCall(TENANT_A, "a2", "11:52:06", "openai", 0.010, 180,
                            List.of(attempt("openai", "gpt-test", "retried", "wrong-language"),
                                    attempt("openai", "gpt-test", "accepted"))),
                    reply(TENANT_A, "a2", "11:52:07", 700),
                    decision(TENANT_A, "a3", "11:55:05"), modelCall(TENANT_A, "a3", "11:55:06", "openai", 0.011, 190,
                            List.of(attempt("openai", "gpt-test", "accepted"))),
                    event("reply.failed", TENANT_A, "a3", "11:56:00", Map.of("replyId", "r-a3", "sink", "graph",
                            "kind", "translation", "status", 403, "reason", "http-403", "attempts", 1, "code", "Forbidden")),
                    decision(TENANT_B, "b1", "11:53:05"), modelCall(TENANT_B, "b1", "11:53:06", "azure-openai", 0.020, 350,
                            List.of(attempt("azure-openai", "gpt-4o", "accepted"))),
                    reply(TENANT_B, "b1", "11:53:07", 1200),
                    event("model.fallback", TENANT_B, "b1", "11:53:06", Map.of("from", "openai", "to", "azure-openai",
                            "reason", "http-503", "attempt", 1)),
                    // Two replies in Teams' webhook response, one posted later by Graph after the deadline.
                    posted(TENANT_A, "a1", "11:50:08", Map.of("sink", "webhook-response", "syncReply", "answered",
                            "registration", "sales", "waitedMs", 1100)),
                    posted(TENANT_A, "a2", "11:52:08", Map.of("sink", "webhook-response", "syncReply", "answered",
                            "registration", "sales", "waitedMs", 900)),
                    posted(TENANT_B, "b1", "11:53:12", Map.of("sink", "graph", "syncReply", "missed")))) {
                producer.send(new ProducerRecord<>(Topics.TELEMETRY.name(), e.tenantId(), Json.mapper().writeValueAsBytes(e))).get();
            }
        }
    }

    static TelemetryEvent event(String type, String tenant, String messageId, String time, Map<String, Object> attributes) {
        return new TelemetryEvent(type + ":" + tenant + ":" + messageId, type, tenant, "c-" + messageId, messageId,
                Instant.parse("2026-11-20T" + time + "Z"), attributes);
    }

    static TelemetryEvent decision(String tenant, String messageId, String time) {
        return event("budget.decision", tenant, messageId, time,
                Map.of("decision", "allowed", "estimatedCostUsd", 0.01, "spentTodayUsd", 0.0, "limitUsd", 5.0));
    }

    static TelemetryEvent modelCall(String tenant, String messageId, String time, String provider, double costUsd, double latencyMs) {
        return event("model.call", tenant, messageId, time, Map.of("provider", provider, "model", "gpt-test",
                "outcome", "ok", "latencyMs", latencyMs, "inputTokens", 40, "outputTokens", 50, "costUsd", costUsd));
    }

    /** A model call whose answers were verified: {@code attempts} as the model stage reports them. */
    static TelemetryEvent modelCall(String tenant, String messageId, String time, String provider, double costUsd,
                                    double latencyMs, List<Map<String, Object>> attempts) {
        Map<String, Object> attributes = new LinkedHashMap<>(
                modelCall(tenant, messageId, time, provider, costUsd, latencyMs).attributes());
        attributes.put("verification", "verified");
        attributes.put("attempts", attempts);
        return event("model.call", tenant, messageId, time, attributes);
    }

    static Map<String, Object> attempt(String provider, String model, String action, String... problems) {
        return Map.of("provider", provider, "model", model, "problems", List.of(problems), "action", action);
    }

    static TelemetryEvent reply(String tenant, String messageId, String time, double endToEndMs) {
        return event("reply.emitted", tenant, messageId, time, Map.of("replyId", "r-" + messageId,
                "kind", "translation", "provider", "openai", "languages", "en,fr", "endToEndMs", endToEndMs));
    }

    static TelemetryEvent posted(String tenant, String messageId, String time, Map<String, Object> delivery) {
        Map<String, Object> attributes = new LinkedHashMap<>(delivery);
        attributes.put("replyId", "r-" + messageId);
        return event("reply.posted", tenant, messageId, time, attributes);
    }

    static String get(String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(base() + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + " -> " + response.body()).isEqualTo(200);
        return response.body();
    }

    static String base() {
        return "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stopInstance() {
        if (server != null) {
            server.close();
        }
        if (feed != null) {
            feed.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    static boolean browserInstalled() {
        return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    }

    @BeforeEach
    void openBrowser() {
        fixtures.clear();
        Assumptions.assumeTrue(browserInstalled(), "browser test skipped: needs " + CHROMIUM + " and " + CHROMEDRIVER
                + " (apt-get install -y chromium chromium-driver)");
        apiDown.set(false);
        // The system driver, named explicitly: Selenium Manager has nothing to look up or download.
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + profile, "--window-size=1280,1800");
        driver = new ChromeDriver(service, options);
    }

    @AfterEach
    void closeBrowser() {
        apiDown.set(false);
        fixtures.clear();
        if (driver != null) {
            driver.quit();
        }
    }

    private Object js(String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    private long stat(String name) {
        return ((Number) js("return window.tlaDashboard.stats['" + name + "'];")).longValue();
    }

    /** Data points above zero across a chart's datasets; 0 while the chart does not exist. */
    private long positivePoints(String chart) {
        return ((Number) js("const c = window.tlaDashboard && window.tlaDashboard.charts['" + chart + "'];"
                + "return c ? c.data.datasets.reduce((n, d) => n + d.data.filter(v => v > 0).length, 0) : 0;")).longValue();
    }

    private String tile(String id) {
        return driver.findElement(By.cssSelector("#" + id + " .value")).getText();
    }

    private String freshness() {
        return driver.findElement(By.id("freshness")).getText();
    }

    private void openLiveDashboard() {
        driver.get(base() + "/dashboard/");
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(freshness()).isEqualTo("live");
            assertThat(tile("tile-messages")).isEqualTo("4");
        });
    }

    @Test
    void rendersTilesAndBothChartsFromProducedTelemetryAndSaysLive() throws Exception {
        openLiveDashboard();

        assertThat(tile("tile-replies")).isEqualTo("3");
        // the store's percentiles come from a log-scale histogram, within 12.25 % of the exact 1200 ms (docs/api.md)
        assertThat(Double.parseDouble(tile("tile-p95"))).isCloseTo(1200.0, org.assertj.core.data.Percentage.withPercentage(12.25));
        assertThat(tile("tile-cost")).isEqualTo("0.0530");
        assertThat(driver.findElement(By.cssSelector("#tile-sync-answered dt")).getText())
                .isEqualTo("Answered in Teams' window");
        assertThat(tile("tile-sync-answered")).isEqualTo("67 %");
        assertThat(driver.findElement(By.cssSelector("#tile-sync-answered .detail")).getText())
                .isEqualTo("2 answered \u00b7 1 posted later");
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(positivePoints("tenants")).isPositive();
            assertThat(positivePoints("providers")).isPositive();
        });
        assertThat(driver.findElement(By.cssSelector("canvas#chart-tenants")).getSize().getHeight()).isPositive();
        assertThat(driver.findElement(By.cssSelector("canvas#chart-providers")).getSize().getHeight()).isPositive();
        // The charts' text alternatives carry the same figures.
        assertThat(driver.findElement(By.id("chart-tenants-text")).getText()).contains("tenant-alpha: 3 messages, 2 replies", "tenant-beta: 1 messages, 1 replies");
        assertThat(driver.findElement(By.id("chart-providers-text")).getText()).contains(
                "azure-openai: 1 model calls, 0.0200 USD, no reply latency", "openai: 3 model calls, 0.0330 USD, worst p95");
        assertThat(driver.findElement(By.id("chart-tenants")).getAttribute("aria-label")).isNotBlank();
        assertThat(driver.findElement(By.id("toast")).isDisplayed()).isFalse();
        assertThat(stat("failures")).isZero();
        assertThat(stat("chartErrors")).isZero();
        assertThat(stat("cspViolations")).as("the page and Chart.js run under the strict CSP").isZero();

        Path screenshot = Path.of("target", "dashboard.png").toAbsolutePath();
        Files.createDirectories(screenshot.getParent());
        Files.copy(((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath(), screenshot,
                StandardCopyOption.REPLACE_EXISTING);
        System.out.println("dashboard screenshot: " + screenshot);
    }

    @Test
    void showsTheCachedAnswersWithAToastWhileTheApiFailsAndGoesLiveAgainWhenItAnswers() {
        openLiveDashboard();

        apiDown.set(true);
        // The open page notices on its next poll, retries with backoff, then falls back to its cache.
        await().atMost(WAIT).untilAsserted(() -> {
            WebElement toast = driver.findElement(By.id("toast"));
            assertThat(toast.isDisplayed()).isTrue();
            assertThat(toast.getText()).contains("HTTP 503", "cached");
            assertThat(freshness()).startsWith("cached");
        });
        assertThat(driver.findElement(By.id("toast")).getAttribute("role")).isEqualTo("status");
        assertThat(stat("retries")).isGreaterThanOrEqualTo(3);
        assertThat(stat("failures")).isPositive();
        assertThat(tile("tile-messages")).isEqualTo("4");

        // A reload during the outage: everything on screen now comes from localStorage.
        driver.navigate().refresh();
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(freshness()).matches("cached (just now|\\d+ min ago)");
            assertThat(tile("tile-messages")).isEqualTo("4");
            assertThat(tile("tile-replies")).isEqualTo("3");
            assertThat(positivePoints("tenants")).isPositive();
            assertThat(driver.findElement(By.id("toast")).isDisplayed()).isTrue();
        });
        assertThat(stat("cachedServed")).isPositive();

        apiDown.set(false);
        await().atMost(WAIT).untilAsserted(() -> assertThat(freshness()).isEqualTo("live"));
        assertThat(driver.findElement(By.id("toast")).getText()).contains("live");
        assertThat(tile("tile-messages")).isEqualTo("4");
    }

    private List<WebElement> qualityRows() {
        return driver.findElements(By.cssSelector("#quality tbody tr"));
    }

    @Test
    void showsTranslationQualityPerProviderAndModelAndMarksAPassRateBelowNinetyPercent() throws Exception {
        openLiveDashboard();

        WebElement table = driver.findElement(By.id("quality"));
        assertThat(table.findElement(By.tagName("caption")).getText()).contains("below 90");
        assertThat(table.findElements(By.cssSelector("thead th[scope=col]"))).hasSize(11);
        await().atMost(WAIT).untilAsserted(() -> assertThat(qualityRows()).hasSize(2));
        List<WebElement> rows = qualityRows();
        List<String> low = cells(rows.get(0));
        assertThat(low).containsExactly("openai", "gpt-test", "4", "75.0 % below 90 %", "25.0 %", "0.0 %", "0.0 %",
                "0.0 %", "25.0 %", "0.0 %", "0.0 %");
        assertThat(rows.get(0).getAttribute("data-low-pass-rate")).isEqualTo("true");
        WebElement lowRate = rows.get(0).findElement(By.cssSelector("td.pass-rate"));
        assertThat(lowRate.getAttribute("title")).isEqualTo("3 of 4 passed");
        assertThat(lowRate.getCssValue("font-weight")).isEqualTo("700");
        assertThat(lowRate.getCssValue("color")).as("marked in colour too")
                .isNotEqualTo(rows.get(1).findElement(By.cssSelector("td.pass-rate")).getCssValue("color"));
        assertThat(cells(rows.get(1))).containsExactly("azure-openai", "gpt-4o", "1", "100.0 %", "0.0 %", "0.0 %",
                "0.0 %", "0.0 %", "0.0 %", "0.0 %", "0.0 %");
        assertThat(rows.get(1).getAttribute("data-low-pass-rate")).isNull();
        assertThat(driver.findElement(By.id("quality-summary")).getText()).isEqualTo("5 checked answers in the last "
                + "24 hours, 80.0 % passed \u00b7 final answers: 4 verified, 0 sent unverified, 0 not checked");
        assertThat(stat("cspViolations")).isZero();

        Path screenshot = Path.of("target", "dashboard-quality.png").toAbsolutePath();
        Files.createDirectories(screenshot.getParent());
        js("document.getElementById('quality-heading').scrollIntoView();");
        Files.copy(((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath(), screenshot,
                StandardCopyOption.REPLACE_EXISTING);
        System.out.println("quality panel screenshot: " + screenshot);
    }

    @Test
    void asksForTheQualityOfTheRangeChosen() {
        openLiveDashboard();
        await().atMost(WAIT).untilAsserted(() -> assertThat(qualityRows()).hasSize(2));

        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("quality-range"))).selectByValue("7d");

        await().atMost(WAIT).untilAsserted(() -> assertThat(driver.findElement(By.id("quality-summary")).getText())
                .startsWith("5 checked answers in the last 7 days"));
        assertThat(qualityRows()).hasSize(2);
    }

    @Test
    void saysNothingWasCheckedYetWhenNoAnswerWasVerifiedAndShowsNamesAsText() {
        // Only answers nobody checked (the offline provider): no row, the counts in the summary.
        fixtures.put("/api/quality", new Answer(200, """
                {"range":"24h","from":"2026-11-19T13:00:00Z","to":"2026-11-20T13:00:00Z","tenant":null,
                 "passRateWarningBelow":0.9,"truncated":false,
                 "models":[{"provider":"offline","model":"offline-echo","answers":0,"passed":0,"passRate":null,
                            "finalAnswers":{"verified":0,"unverified":0,"notChecked":3}}],
                 "totals":{"answers":0,"passed":0,"passRate":null,
                           "finalAnswers":{"verified":0,"unverified":0,"notChecked":3}}}"""));
        openLiveDashboard();

        await().atMost(WAIT).untilAsserted(() -> assertThat(driver.findElement(By.cssSelector("#quality tbody")).getText())
                .isEqualTo("Nothing checked yet: no translation was verified in the last 24 hours."));
        assertThat(driver.findElement(By.id("quality-summary")).getText()).isEqualTo("0 checked answers in the last "
                + "24 hours, \u2013 passed \u00b7 final answers: 0 verified, 0 sent unverified, 3 not checked");

        // A provider or model name is text, never markup.
        fixtures.put("/api/quality", new Answer(200, """
                {"range":"24h","passRateWarningBelow":0.9,"truncated":false,
                 "models":[{"provider":"<img src=x id=injected>","model":"<b>m</b>","answers":2,"passed":2,"passRate":1.0,
                            "problems":{"wrongLanguage":0},"problemRates":{"wrongLanguage":0.0},
                            "actions":{},"actionRates":{},"finalAnswers":{"verified":2,"unverified":0,"notChecked":0}}],
                 "totals":{"answers":2,"passed":2,"passRate":1.0,"finalAnswers":{"verified":2,"unverified":0,"notChecked":0}}}"""));
        driver.navigate().refresh();
        await().atMost(WAIT).untilAsserted(() -> assertThat(qualityRows()).hasSize(1));
        assertThat(cells(qualityRows().get(0)).subList(0, 5))
                .containsExactly("<img src=x id=injected>", "<b>m</b>", "2", "100.0 %", "0.0 %");
        assertThat(driver.findElements(By.id("injected"))).isEmpty();
        assertThat(driver.findElements(By.cssSelector("#quality tbody b"))).isEmpty();
    }

    private static List<String> cells(WebElement row) {
        return row.findElements(By.tagName("td")).stream().map(WebElement::getText).toList();
    }

    @Test
    void listsTheDeadLetteredReplyWithItsReplayCommand() {
        openLiveDashboard();

        WebElement table = driver.findElement(By.id("failed-replies"));
        assertThat(table.findElement(By.tagName("caption")).getText()).isNotBlank();
        assertThat(table.findElements(By.cssSelector("thead th[scope=col]"))).hasSize(7);
        await().atMost(WAIT).untilAsserted(() -> {
            List<WebElement> rows = table.findElements(By.cssSelector("tbody tr"));
            assertThat(rows).hasSize(1);
            assertThat(rows.get(0).getText()).contains(TENANT_A, "graph-sink", "http-403", "403");
            assertThat(rows.get(0).findElement(By.tagName("code")).getText()).isEqualTo(REPLAY_A);
        });
    }

    @Test
    void drawsEachTenantAndEachProviderFromTheMetricsByTenantAndByProviderFields() {
        // The contract's shape for /api/metrics (docs/api.md), two minutes of it.
        fixtures.put("/api/metrics", new Answer(200, """
                {"from":"2026-11-20T11:58:00Z","to":"2026-11-20T12:00:00Z","tenant":null,"bucketSeconds":60,
                 "series":[{"minute":"2026-11-20T11:58:00Z","messages":3,"replies":2,"modelCalls":2,"costUsd":0.02},
                           {"minute":"2026-11-20T11:59:00Z","messages":1,"replies":1,"modelCalls":2,"costUsd":0.03}],
                 "totals":{"messages":4,"replies":3,"modelCalls":4,"costUsd":0.05},
                 "byTenant":[{"tenantId":"contoso","series":[{"minute":"2026-11-20T11:58:00Z","messages":3,"replies":2,"costUsd":0.02}]},
                             {"tenantId":"fabrikam","series":[{"minute":"2026-11-20T11:59:00Z","messages":1,"replies":1,"costUsd":0.03}]}],
                 "byProvider":[{"provider":"openai","series":[{"minute":"2026-11-20T11:58:00Z","modelCalls":2,"replies":2,"fallbacks":0,
                                 "costUsd":0.02,"latencyMs":{"p50":150.0,"p95":200.0,"p99":210.0}}]},
                               {"provider":"azure-openai","series":[{"minute":"2026-11-20T11:59:00Z","modelCalls":2,"replies":1,"fallbacks":1,
                                 "costUsd":0.03,"latencyMs":{"p50":300.0,"p95":400.0,"p99":410.0}}]}]}"""));
        openLiveDashboard();

        await().atMost(WAIT).untilAsserted(() -> assertThat(datasetLabels("tenants"))
                .containsExactly("contoso messages", "contoso replies", "fabrikam messages", "fabrikam replies"));
        assertThat(datasetLabels("providers")).containsExactly("openai model calls", "openai p95 latency (ms)",
                "azure-openai model calls", "azure-openai p95 latency (ms)");
        assertThat(js("return window.tlaDashboard.charts.providers.data.datasets[3].data;"))
                .asList().containsExactly(null, 400L);   // WebDriver returns whole JS numbers as Long
        assertThat(driver.findElement(By.id("chart-tenants-text")).getText())
                .contains("contoso: 3 messages, 2 replies", "fabrikam: 1 messages, 1 replies");
        assertThat(driver.findElement(By.id("chart-providers-text")).getText())
                .contains("azure-openai: 2 model calls, 0.0300 USD, worst p95 400.0 ms");
        assertThat(js("return window.tlaDashboard.charts.tenants.data.labels;")).asList()
                .containsExactly("11:58", "11:59");
        assertThat(js("return window.tlaDashboard.charts.tenants.options.scales.y.title.text;")).isEqualTo("per minute");
    }

    @Test
    void labelsHourBucketsAlignedToTheClockByTheirStartWithTheDate() {
        // A range starting 7 minutes past the hour: the first bucket is the partial hour from 12:00 (docs/api.md).
        fixtures.put("/api/metrics", new Answer(200, """
                {"from":"2026-11-18T12:07:00Z","to":"2026-11-20T12:00:00Z","tenant":null,"bucketSeconds":3600,
                 "series":[{"minute":"2026-11-18T12:00:00Z","messages":3,"replies":2,"modelCalls":2,"costUsd":0.02},
                           {"minute":"2026-11-18T13:00:00Z","messages":1,"replies":1,"modelCalls":2,"costUsd":0.03}],
                 "totals":{"messages":4,"replies":3,"modelCalls":4,"costUsd":0.05},
                 "byTenant":[{"tenantId":"contoso","series":[{"minute":"2026-11-18T12:00:00Z","messages":3,"replies":2,"costUsd":0.02},
                                                             {"minute":"2026-11-18T13:00:00Z","messages":1,"replies":1,"costUsd":0.03}]}],
                 "byProvider":[]}"""));
        openLiveDashboard();

        await().atMost(WAIT).untilAsserted(() -> assertThat(js("return window.tlaDashboard.charts.tenants.data.labels;"))
                .asList().containsExactly("11-18 12:00", "11-18 13:00"));
        assertThat(js("return window.tlaDashboard.charts.tenants.data.datasets[0].data;")).asList()
                .containsExactly(3L, 1L);
        assertThat(js("return window.tlaDashboard.charts.tenants.options.scales.y.title.text;")).isEqualTo("per hour");
    }

    @Test
    void saysNotAvailableForARouteTheApiDoesNotHaveAndStaysLive() {
        fixtures.put("/api/readiness", new Answer(404, "{\"error\":\"not found\"}"));
        fixtures.put("/api/replies/failed", new Answer(404, "{\"error\":\"not found\"}"));
        fixtures.put("/api/quality", new Answer(404, "{\"error\":\"not found\"}"));
        openLiveDashboard();

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(driver.findElement(By.id("readiness")).getText()).isEqualTo("Not available from this API version.");
            assertThat(driver.findElement(By.cssSelector("#failed-replies tbody")).getText())
                    .isEqualTo("Not available from this API version.");
            assertThat(driver.findElement(By.cssSelector("#quality tbody")).getText())
                    .isEqualTo("Not available from this API version.");
        });
        assertThat(freshness()).as("a missing route is not an outage").isEqualTo("live");
        assertThat(driver.findElement(By.id("toast")).isDisplayed()).isFalse();
        assertThat(stat("retries")).as("a 404 is not retried").isZero();
    }

    @Test
    void saysNotAvailableInTheSyncReplyTileForAStatusWithoutDeliveryAndNoShareWithoutSyncReplies() {
        // /api/status as an API before the delivery object answered it.
        fixtures.put("/api/status", new Answer(200, """
                {"status":"ok","store":"sqlite","lastEventAt":"2026-11-20T11:56:00Z",
                 "today":{"date":"2026-11-20","messages":4,"replies":3,"repliesPosted":3,"modelCalls":4,
                          "budgetRefusals":0,"failures":1,"costUsd":0.053,"latencyMs":{"p50":900.0,"p95":1200.0,"p99":1200.0},
                          "fallbacks":1,"repliesFailed":1,"budgetAlerts":0},
                 "tenants":[],"feed":{"ready":true,"eventsStored":14,"lagRecords":0},
                 "pipeline":{"ready":true,"components":{}}}"""));
        openLiveDashboard();
        assertThat(tile("tile-sync-answered")).isEqualTo("n/a");

        // And a day with posts, none to a sync-reply registration: no share, both counts zero.
        fixtures.put("/api/status", new Answer(200, """
                {"status":"ok","store":"sqlite","lastEventAt":"2026-11-20T11:56:00Z",
                 "today":{"date":"2026-11-20","messages":5,"replies":3,"repliesPosted":3,"modelCalls":4,
                          "budgetRefusals":0,"failures":1,"costUsd":0.053,"latencyMs":{"p50":900.0,"p95":1200.0,"p99":1200.0},
                          "fallbacks":1,"repliesFailed":1,"budgetAlerts":0},
                 "delivery":{"webhookResponse":0,"outbox":3,"graph":0,
                             "syncReply":{"answered":0,"missed":0,"answeredShare":null}},
                 "tenants":[],"feed":{"ready":true,"eventsStored":15,"lagRecords":0},
                 "pipeline":{"ready":true,"components":{}}}"""));
        driver.navigate().refresh();
        await().atMost(WAIT).untilAsserted(() -> assertThat(tile("tile-messages")).isEqualTo("5"));
        assertThat(tile("tile-sync-answered")).isEqualTo("\u2013");
        assertThat(driver.findElement(By.cssSelector("#tile-sync-answered .value")).getAttribute("title"))
                .contains("no replies to sync-reply registrations");
        assertThat(driver.findElement(By.cssSelector("#tile-sync-answered .detail")).getText())
                .isEqualTo("0 answered \u00b7 0 posted later");
    }

    @Test
    void listsEachReadinessItemWithItsStatusInWords() {
        fixtures.put("/api/readiness", new Answer(200, """
                {"ready":false,"checkedAt":"2026-11-20T12:00:00Z","items":[
                 {"id":"signing","label":"Webhook signing","status":"pass","detail":"HMAC-SHA256 only, unsigned refused"},
                 {"id":"graph-auth","label":"Graph authentication","status":"warn","detail":"replies go to the outbox"},
                 {"id":"smoke","label":"Smoke test","status":"fail","detail":"never run"}]}"""));
        openLiveDashboard();

        await().atMost(WAIT).untilAsserted(() ->
                assertThat(driver.findElements(By.cssSelector("#readiness li[data-status]"))).hasSize(3));
        List<WebElement> items = driver.findElements(By.cssSelector("#readiness li[data-status]"));
        assertThat(items).extracting(e -> e.getAttribute("data-status")).containsExactly("pass", "warn", "fail");
        assertThat(items.get(2).getText()).isEqualTo("FAIL Smoke test \u2014 never run");
        assertThat(driver.findElement(By.id("readiness-summary")).getText()).startsWith("(not ready");
    }

    @SuppressWarnings("unchecked")
    private List<String> datasetLabels(String chart) {
        return (List<String>) js("const c = window.tlaDashboard.charts['" + chart + "'];"
                + "return c ? c.data.datasets.map(d => d.label) : [];");
    }

    @Test
    void refreshesWhenTheEventStreamSaysThereIsSomethingNew() {
        // One update event, then the response ends; "retry" keeps the browser from reconnecting during the test.
        fixtures.put("/api/stream", new Answer(200,
                "retry: 600000\nevent: update\ndata: {\"lastEventAt\":\"2026-11-20T11:56:00Z\",\"eventsStored\":13}\n\n",
                "text/event-stream"));
        openLiveDashboard();

        await().atMost(WAIT).untilAsserted(() -> assertThat(stat("streamUpdates")).isEqualTo(1));
    }
}
