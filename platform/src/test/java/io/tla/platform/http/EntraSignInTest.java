package io.tla.platform.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.ManagementConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.platform.testing.LocalOidcProvider;
import io.tla.platform.testing.LocalOidcProvider.Behaviour;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code management.auth=entra} against a real OpenID provider on loopback ({@link LocalOidcProvider}), the flow
 * driven over HTTP step by step with a cookie jar, as a browser would (the browser itself is in
 * DashboardSignInBrowserTest of the dashboard feed).
 */
class EntraSignInTest {

    static final String TENANT = "4a7c1e2f-0000-4000-8000-00000000cafe";
    static final String CLIENT_ID = "6b1d2c3e-0000-4000-8000-0000000000c1";
    static final String CLIENT_SECRET = "client-secret-value-never-logged";
    static final String TOKEN = "entra-mode-bearer-token-0123456789";
    static final String OPS_GROUP = "11111111-0000-4000-8000-00000000a11d";

    static LocalOidcProvider provider;
    static TlaMetrics metrics;
    static HttpServer server;

    CookieManager cookies;
    HttpClient browser;

    @BeforeAll
    static void start() throws Exception {
        provider = new LocalOidcProvider(TENANT, CLIENT_ID, CLIENT_SECRET);
        Map<String, String> settings = new HashMap<>(provider.managementSettings());
        settings.put(ManagementConfig.ENTRA_ALLOWED_GROUPS, OPS_GROUP);
        settings.put(ManagementConfig.ENTRA_ALLOWED_ROLES, "Tla.Management.Read");
        ManagementConfig config = ManagementConfig.from(TlaConfig.of(settings));
        metrics = new TlaMetrics();
        server = HttpServer.management(new HttpConfig("127.0.0.1", 0, 64 * 1024), config,
                        new EnvSecretStore(Map.of("TLA_SECRET_MANAGEMENT_TOKEN", TOKEN,
                                "TLA_SECRET_MANAGEMENT_ENTRA_CLIENT_SECRET", CLIENT_SECRET)), metrics, new Health())
                .routes(app -> {
                    app.get("/dashboard/", ctx -> ctx.html("<h1>dashboard</h1>"));
                    app.get("/api/status", ctx -> ctx.json(Map.of("ok", true)));
                })
                .start();
    }

    @AfterAll
    static void stop() {
        server.close();
        metrics.close();
        provider.close();
    }

    @BeforeEach
    void newBrowser() {
        cookies = new CookieManager();
        browser = HttpClient.newBuilder().cookieHandler(cookies).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    private HttpResponse<String> get(String url) throws Exception {
        return browser.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String mgmt(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    /** Opens the dashboard, follows the sign-in through the provider's page, and returns the callback's answer. */
    private HttpResponse<String> signIn(Behaviour behaviour) throws Exception {
        provider.nextSignIn(behaviour);
        HttpResponse<String> page = get(mgmt("/dashboard/"));
        assertThat(page.statusCode()).isEqualTo(302);
        HttpResponse<String> login = get(mgmt(page.headers().firstValue("Location").orElseThrow()));
        assertThat(login.statusCode()).isEqualTo(302);
        String authorize = login.headers().firstValue("Location").orElseThrow();
        assertThat(authorize).startsWith(provider.root()).contains("code_challenge_method=S256").contains("nonce=")
                .contains("state=");
        HttpResponse<String> prompt = get(authorize);
        assertThat(prompt.statusCode()).isEqualTo(200);
        Matcher request = Pattern.compile("name=\"request\" value=\"([^\"]+)\"").matcher(prompt.body());
        assertThat(request.find()).isTrue();
        HttpResponse<String> consent = browser.send(HttpRequest.newBuilder(
                        URI.create(provider.root() + "/" + TENANT + "/oauth2/v2.0/consent"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("request=" + request.group(1))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(consent.statusCode()).isEqualTo(302);
        return get(consent.headers().firstValue("Location").orElseThrow());
    }

    private List<HttpCookie> sessionCookies() {
        return cookies.getCookieStore().getCookies().stream().filter(c -> c.getName().equals("tla_session")).toList();
    }

    private void assertRefused(HttpResponse<String> callback, String reason, String says) throws Exception {
        assertThat(callback.statusCode()).isEqualTo(403);
        assertThat(callback.body()).contains("data-reason=\"" + reason + "\"").contains(says)
                .doesNotContain(CLIENT_SECRET);
        assertThat(sessionCookies()).isEmpty();
        assertThat(get(mgmt("/api/status")).statusCode()).isEqualTo(401);
    }

    @Test
    void signInForAUserInAnAllowedGroupOpensTheDashboardAndTheApi() throws Exception {
        HttpResponse<String> callback = signIn(Behaviour.inGroups("some-other-group", OPS_GROUP));

        assertThat(callback.statusCode()).isEqualTo(200);
        assertThat(callback.body()).contains("url=/dashboard/");
        String setCookie = callback.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("tla_session=")).findFirst().orElseThrow();
        assertThat(setCookie).contains("HttpOnly").containsIgnoringCase("SameSite=Strict");
        assertThat(get(mgmt("/dashboard/")).statusCode()).isEqualTo(200);
        assertThat(get(mgmt("/api/status")).statusCode()).isEqualTo(200);
    }

    @Test
    void anAllowedAppRoleSufficesWithoutAnAllowedGroup() throws Exception {
        HttpResponse<String> callback = signIn(Behaviour.inGroups().withRoles("Tla.Management.Read"));

        assertThat(callback.statusCode()).isEqualTo(200);
        assertThat(get(mgmt("/api/status")).statusCode()).isEqualTo(200);
    }

    @Test
    void signInIsRefusedWhenTheIdTokenIsExpired() throws Exception {
        assertRefused(signIn(Behaviour.inGroups(OPS_GROUP).withLifetime(Duration.ofMinutes(-10))), "expired",
                "the ID token has expired");
    }

    @Test
    void signInIsRefusedWhenTheIdTokenIsForAnotherApplication() throws Exception {
        assertRefused(signIn(Behaviour.inGroups(OPS_GROUP).withAudience("another-application")), "wrong-audience",
                "issued for another application");
    }

    @Test
    void signInIsRefusedWhenTheIdTokenComesFromAForeignIssuer() throws Exception {
        assertRefused(signIn(Behaviour.inGroups(OPS_GROUP).withIssuer(
                "https://login.microsoftonline.com/another-tenant/v2.0")), "wrong-issuer", "unexpected issuer");
    }

    @Test
    void signInIsRefusedForAUserOutsideTheAllowedGroups() throws Exception {
        assertRefused(signIn(Behaviour.inGroups("some-other-group")), "not-allowed",
                "not in a group or app role allowed");
    }

    @Test
    void aCallbackThisBrowserDidNotStartIsRefused() throws Exception {
        // the attacker's own sign-in, completed in the victim's browser (login CSRF): no login cookie here
        int before = provider.tokensIssued();
        HttpResponse<String> callback = get(mgmt("/auth/callback?code=stolen&state=not-ours"));

        assertThat(callback.statusCode()).isEqualTo(403);
        assertThat(callback.body()).contains("data-reason=\"state-mismatch\"");
        assertThat(sessionCookies()).isEmpty();
        assertThat(provider.tokensIssued()).isEqualTo(before);
    }

    @Test
    void theApiAnswers401AndTheBearerTokenStillOpensMetrics() throws Exception {
        HttpResponse<String> anonymous = get(mgmt("/metrics"));
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).isPresent();

        HttpResponse<String> scrape = browser.send(HttpRequest.newBuilder(URI.create(mgmt("/metrics")))
                .header("Authorization", "Bearer " + TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(scrape.statusCode()).isEqualTo(200);
    }
}
