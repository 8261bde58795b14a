package io.tla.dashboard.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.dashboard.DashboardFeed;
import io.tla.platform.config.DashboardConfig;
import io.tla.platform.config.DataConfig;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.ManagementConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.http.Health;
import io.tla.platform.http.HttpServer;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.platform.testing.LocalOidcProvider;
import io.tla.platform.testing.LocalOidcProvider.Behaviour;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Signing in to the dashboard with {@code management.auth=entra} in a real headless Chromium: the management
 * listener with the feed's real page and API, and a real OpenID provider on loopback ({@link LocalOidcProvider})
 * whose sign-in page the browser clicks through. The feed is not started (no broker): the page loads and its API
 * answers 503 until a store is open, which is enough to tell a signed-in browser from one that is not.
 *
 * <p>Uses Debian's {@code chromium} and {@code chromedriver}, like {@link DashboardPageBrowserTest}; without them the
 * tests are skipped.
 */
class DashboardSignInBrowserTest {

    static final String TENANT = "4a7c1e2f-0000-4000-8000-00000000cafe";
    static final String CLIENT_ID = "6b1d2c3e-0000-4000-8000-0000000000c1";
    static final String CLIENT_SECRET = "browser-test-client-secret";
    static final String TOKEN = "browser-test-bearer-token-0123456789";
    static final String OPS_GROUP = "11111111-0000-4000-8000-00000000a11d";
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;
    static LocalOidcProvider provider;
    static TlaMetrics metrics;
    static HttpServer server;

    @TempDir
    Path profile;
    WebDriver driver;

    @BeforeAll
    static void startManagementListener() throws Exception {
        if (!DashboardPageBrowserTest.browserInstalled()) {
            return;   // each test reports the skip, with the reason
        }
        provider = new LocalOidcProvider(TENANT, CLIENT_ID, CLIENT_SECRET);
        Map<String, String> settings = new HashMap<>(provider.managementSettings());
        settings.put(ManagementConfig.ENTRA_ALLOWED_GROUPS, OPS_GROUP);
        settings.put(DashboardConfig.STORE_URL, "jdbc:sqlite:" + dir.resolve("dashboard.db"));
        settings.put(DataConfig.DATA_DIR, dir.toString());
        TlaConfig config = TlaConfig.of(settings);
        EnvSecretStore secrets = new EnvSecretStore(Map.of("TLA_SECRET_MANAGEMENT_TOKEN", TOKEN,
                "TLA_SECRET_MANAGEMENT_ENTRA_CLIENT_SECRET", CLIENT_SECRET));
        metrics = new TlaMetrics();
        Health health = new Health();
        DashboardFeed feed = new DashboardFeed(config, secrets, new KafkaClients("127.0.0.1:1", Map.of()), metrics,
                health, Clock.systemUTC());
        server = HttpServer.management(new HttpConfig("127.0.0.1", 0, 256 * 1024), ManagementConfig.from(config),
                secrets, metrics, health).routes(feed::routes).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
            metrics.close();
            provider.close();
        }
    }

    @BeforeEach
    void openBrowser() {
        Assumptions.assumeTrue(DashboardPageBrowserTest.browserInstalled(), "browser test skipped: needs "
                + DashboardPageBrowserTest.CHROMIUM + " and " + DashboardPageBrowserTest.CHROMEDRIVER
                + " (apt-get install -y chromium chromium-driver)");
        // The system driver, named explicitly: Selenium Manager has nothing to look up or download.
        System.setProperty("webdriver.chrome.driver", DashboardPageBrowserTest.CHROMEDRIVER.toString());
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DashboardPageBrowserTest.CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(DashboardPageBrowserTest.CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + profile, "--window-size=1280,1000");
        driver = new ChromeDriver(service, options);
    }

    @AfterEach
    void closeBrowser() {
        if (driver != null) {
            driver.quit();
        }
    }

    private String mgmt(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    /** Opens the dashboard; the browser lands on the provider's sign-in page, where "Ada" signs in. */
    private void signIn(Behaviour behaviour) {
        provider.nextSignIn(behaviour);
        driver.get(mgmt("/dashboard/"));
        new WebDriverWait(driver, WAIT).until(ExpectedConditions.elementToBeClickable(By.id("sign-in")));
        assertThat(driver.getCurrentUrl()).startsWith(provider.root());
        driver.findElement(By.id("sign-in")).click();
    }

    /** What a fetch from the page's origin answers: the session cookie is all it can send. */
    private long fetchStatus(String path) {
        return ((Number) ((JavascriptExecutor) driver).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "fetch('" + path + "', {cache: 'no-store'}).then(r => done(r.status), () => done(-1));"))
                .longValue();
    }

    private void assertRefused(String reason, String says) {
        new WebDriverWait(driver, WAIT).until(ExpectedConditions.presenceOfElementLocated(By.id("refusal")));
        assertThat(driver.findElement(By.id("refusal")).getAttribute("data-reason")).isEqualTo(reason);
        assertThat(driver.findElement(By.id("refusal")).getText()).contains(says);
        assertThat(driver.manage().getCookieNamed("tla_session")).isNull();
        // (the refusal page's CSP forbids fetches, so the browser navigates:) without a session the API is 401 and
        // the dashboard sends the browser back to sign in
        driver.get(mgmt("/api/status"));
        assertThat(driver.findElement(By.tagName("body")).getText()).contains("\"error\":\"unauthorized\"");
        driver.get(mgmt("/dashboard/"));
        new WebDriverWait(driver, WAIT).until(ExpectedConditions.elementToBeClickable(By.id("sign-in")));
        assertThat(driver.getCurrentUrl()).startsWith(provider.root());
    }

    @Test
    void aUserInAnAllowedGroupSignsInAndSeesTheDashboard() {
        signIn(Behaviour.inGroups(OPS_GROUP));

        new WebDriverWait(driver, WAIT).until(ExpectedConditions.titleIs("tla-streams dashboard"));
        assertThat(driver.getCurrentUrl()).isEqualTo(mgmt("/dashboard/"));
        assertThat(driver.findElement(By.tagName("h1")).getText()).isEqualTo("tla-streams");
        var session = driver.manage().getCookieNamed("tla_session");
        assertThat(session).isNotNull();
        assertThat(session.isHttpOnly()).isTrue();
        assertThat(session.getSameSite()).isEqualTo("Strict");
        // the page's own requests carry the cookie: the API answers (503: no store in this test), /metrics too
        assertThat(fetchStatus("/api/status")).isEqualTo(503);
        assertThat(fetchStatus("/metrics")).isEqualTo(200);
    }

    @Test
    void signInIsRefusedWhenTheIdTokenIsExpired() {
        signIn(Behaviour.inGroups(OPS_GROUP).withLifetime(Duration.ofMinutes(-10)));
        assertRefused("expired", "the ID token has expired");
    }

    @Test
    void signInIsRefusedWhenTheIdTokenIsForAnotherApplication() {
        signIn(Behaviour.inGroups(OPS_GROUP).withAudience("another-application"));
        assertRefused("wrong-audience", "issued for another application");
    }

    @Test
    void signInIsRefusedWhenTheIdTokenComesFromAForeignIssuer() {
        signIn(Behaviour.inGroups(OPS_GROUP).withIssuer("https://login.microsoftonline.com/another-tenant/v2.0"));
        assertRefused("wrong-issuer", "unexpected issuer");
    }

    @Test
    void signInIsRefusedForAUserOutsideTheAllowedGroups() {
        signIn(Behaviour.inGroups("22222222-0000-4000-8000-0000000000ff"));
        assertRefused("not-allowed", "not in a group or app role allowed");
    }
}
