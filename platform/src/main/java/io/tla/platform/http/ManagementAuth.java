package io.tla.platform.http;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.HttpStatus;
import io.javalin.http.SameSite;
import io.tla.platform.config.ManagementConfig;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.platform.secrets.Secret;
import io.tla.platform.secrets.SecretStore;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may use the management listener. {@code none}: anyone who can reach the loopback address. {@code token}: a
 * bearer token for scripts and Prometheus; the page asks for it once and then uses a signed session cookie (an
 * EventSource cannot send headers). {@code entra}: the page signs in with Microsoft Entra ID ({@link EntraSignIn});
 * scripts and Prometheus keep the bearer token. {@code /health/*} and the sign-in routes under {@code /auth/} are
 * open; everything else needs a credential, also paths that do not exist (no route enumeration without one).
 */
public final class ManagementAuth {

    private static final Logger log = LoggerFactory.getLogger(ManagementAuth.class);

    static final String SESSION_COOKIE = "tla_session";
    static final String PRINCIPAL_ATTRIBUTE = "tla.management.principal";
    /** The sign-in pages load nothing and post only to this listener. */
    static final String PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
            + "base-uri 'none'; frame-ancestors 'none'";

    private final ManagementConfig config;
    /** SHA-256 of the bearer token, so comparisons run over equal lengths; null when auth is none. */
    private final byte[] tokenDigest;
    private final SessionCookies sessions;
    private final EntraSignIn entra;

    private ManagementAuth(ManagementConfig config, byte[] tokenDigest, SessionCookies sessions, EntraSignIn entra) {
        this.config = config;
        this.tokenDigest = tokenDigest;
        this.sessions = sessions;
        this.entra = entra;
    }

    /**
     * Reads the secrets the mode needs and refuses to start, naming the key or secret, when one is missing or too
     * short, or when {@code none} is asked for on an address other than loopback. Messages never carry a value.
     */
    public static ManagementAuth create(ManagementConfig config, SecretStore secrets) {
        return create(config, secrets, Clock.systemUTC());
    }

    static ManagementAuth create(ManagementConfig config, SecretStore secrets, Clock clock) {
        if (config.authNone()) {
            if (!ManagementConfig.isLoopback(config.host())) {
                throw new IllegalStateException(ManagementConfig.AUTH + "=none is allowed only when "
                        + ManagementConfig.HOST + " is a loopback address (it is " + config.host() + "); set "
                        + ManagementConfig.AUTH + "=token or entra");
            }
            return new ManagementAuth(config, null, null, null);
        }
        byte[] token = required(config, secrets, config.tokenSecret(), ManagementConfig.TOKEN_SECRET);
        if (token.length < ManagementConfig.MIN_TOKEN_BYTES) {
            throw new IllegalStateException("the management token (secret " + config.tokenSecret() + ", "
                    + ManagementConfig.TOKEN_SECRET + ") is shorter than " + ManagementConfig.MIN_TOKEN_BYTES
                    + " bytes; generate one with: openssl rand -base64 32");
        }
        byte[] sessionKey;
        if (config.sessionKeySecret() != null) {
            sessionKey = required(config, secrets, config.sessionKeySecret(), ManagementConfig.SESSION_KEY_SECRET);
            if (sessionKey.length < SessionCookies.MIN_KEY_BYTES) {
                throw new IllegalStateException("the session key (secret " + config.sessionKeySecret() + ", "
                        + ManagementConfig.SESSION_KEY_SECRET + ") is shorter than " + SessionCookies.MIN_KEY_BYTES
                        + " bytes");
            }
        } else {
            sessionKey = new byte[32];
            new SecureRandom().nextBytes(sessionKey);
        }
        SessionCookies sessions = new SessionCookies(sessionKey, config.sessionTtl(), clock);
        EntraSignIn entra = null;
        if (ManagementConfig.AUTH_ENTRA.equals(config.auth())) {
            ManagementConfig.Entra settings = config.entraSettings().orElseThrow(() -> new IllegalStateException(
                    ManagementConfig.AUTH + "=entra needs the " + ManagementConfig.ENTRA_TENANT_ID + " settings"));
            byte[] clientSecret = required(config, secrets, settings.clientSecretSecret(),
                    ManagementConfig.ENTRA_CLIENT_SECRET_SECRET);
            entra = new EntraSignIn(settings, new String(clientSecret, StandardCharsets.UTF_8), sessions);
        }
        return new ManagementAuth(config, sha256(token), sessions, entra);
    }

    /** No sign-in: for a loopback listener (tests, development). */
    public static ManagementAuth none() {
        return create(ManagementConfig.loopback(0), new EnvSecretStore(Map.of())); // none reads no secret
    }

    public String mode() {
        return config.auth();
    }

    /** The guard first, then the sign-in routes; {@code port} is the bound port, known after start. */
    void install(Javalin app, IntSupplier port) {
        if (tokenDigest == null) {
            return;
        }
        app.before(this::guard);
        app.post("/auth/logout", this::logout);
        if (entra != null) {
            entra.routes(app, () -> config.publicBaseUrl(port.getAsInt()), this::secureCookies);
        } else {
            app.get("/auth/login", ctx -> tokenPrompt(ctx, HttpStatus.OK, null));
            app.post("/auth/token", this::acceptToken);
        }
    }

    private void guard(Context ctx) {
        String path = ctx.path();
        if (path.startsWith("/health/") || path.startsWith("/auth/")) {
            return;
        }
        String reason;
        String authorization = ctx.header("Authorization");
        if (authorization != null) {
            if (authorization.regionMatches(true, 0, "Bearer ", 0, 7) && tokenMatches(authorization.substring(7).strip())) {
                ctx.attribute(PRINCIPAL_ATTRIBUTE, "bearer");
                return;
            }
            reason = "invalid-token";
        } else {
            String cookie = ctx.cookie(SESSION_COOKIE);
            Optional<SessionCookies.Session> session = sessions.verify(cookie);
            if (session.isPresent()) {
                ctx.attribute(PRINCIPAL_ATTRIBUTE, session.get().subject());
                return;
            }
            reason = cookie == null ? "missing-credentials" : "invalid-session";
        }
        ctx.skipRemainingHandlers();
        if (authorization == null && isPage(path) && "GET".equals(ctx.method().name())) {
            ctx.redirect("/auth/login", HttpStatus.FOUND);
            return;
        }
        ctx.status(HttpStatus.UNAUTHORIZED).header("WWW-Authenticate", "Bearer realm=\"tla-management\"")
                .header("Cache-Control", "no-store").json(Map.of("error", "unauthorized", "reason", reason));
    }

    private static boolean isPage(String path) {
        return path.equals("/") || path.equals("/dashboard") || path.startsWith("/dashboard/");
    }

    private boolean tokenMatches(String presented) {
        // digests of equal length, compared in constant time
        return MessageDigest.isEqual(sha256(presented.getBytes(StandardCharsets.UTF_8)), tokenDigest);
    }

    private void acceptToken(Context ctx) {
        if (refusedCrossOrigin(ctx)) {
            return;
        }
        String presented = ctx.formParam("token");
        if (presented == null || !tokenMatches(presented.strip())) {
            log.warn("event=management_sign_in_refused method=token reason=invalid-token");
            tokenPrompt(ctx, HttpStatus.UNAUTHORIZED, "That token was not accepted.");
            return;
        }
        setSession(ctx, sessions.issue("token", "token"));
        log.info("event=management_signed_in method=token");
        ctx.redirect("/dashboard/", HttpStatus.SEE_OTHER);
    }

    private void logout(Context ctx) {
        if (refusedCrossOrigin(ctx)) {
            return;
        }
        ctx.cookie(cookie(ctx, SESSION_COOKIE, "", 0, SameSite.STRICT));
        ctx.redirect("/auth/login", HttpStatus.SEE_OTHER);
    }

    void setSession(Context ctx, String value) {
        ctx.cookie(cookie(ctx, SESSION_COOKIE, value, (int) sessions.ttl().toSeconds(), SameSite.STRICT));
    }

    Cookie cookie(Context ctx, String name, String value, int maxAgeSeconds, SameSite sameSite) {
        return new Cookie(name, value, "/", maxAgeSeconds, secureCookies(ctx), 0, true, null, null, sameSite);
    }

    /**
     * Secure unless the browser talks plain http to a loopback name: there a Secure cookie is not reliably kept,
     * and nothing crosses a network. Behind a TLS proxy the Host is the public name, so the cookie is Secure.
     */
    boolean secureCookies(Context ctx) {
        if (config.publicUrl() != null && config.publicUrl().startsWith("https:")) {
            return true;
        }
        if ("https".equals(ctx.scheme())) {
            return true;
        }
        String host = ctx.host();
        if (host == null) {
            return true;
        }
        try {
            String name = URI.create("http://" + host).getHost();
            return name == null || !ManagementConfig.isLoopback(name);
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    /** Answers 403 to a form post from another site; true when it did. */
    private static boolean refusedCrossOrigin(Context ctx) {
        if (sameOrigin(ctx)) {
            return false;
        }
        ctx.status(HttpStatus.FORBIDDEN).json(Map.of("error", "forbidden", "reason", "cross-origin"));
        return true;
    }

    /** A form post from another site is refused (SameSite=Strict covers the cookie, this covers the sign-in). */
    static boolean sameOrigin(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin == null) {
            return true;   // not a browser's cross-site form post (browsers send Origin on POST)
        }
        try {
            URI uri = URI.create(origin);
            String authority = uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
            return authority != null && authority.equalsIgnoreCase(ctx.host());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void tokenPrompt(Context ctx, HttpStatus status, String problem) {
        String body = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<title>tla-streams: sign in</title></head><body style=\"font-family:sans-serif;max-width:32rem;"
                + "margin:3rem auto\"><h1>tla-streams management</h1>"
                + (problem == null ? "" : "<p id=\"problem\" role=\"alert\">" + problem + "</p>")
                + "<form method=\"post\" action=\"/auth/token\"><label for=\"token\">Management token</label> "
                + "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required"
                + " autofocus> <button type=\"submit\">Open the dashboard</button></form>"
                + "<p>The token is the secret <code>management-token</code> (or what management.token-secret names)."
                + " The browser keeps a session cookie, not the token.</p></body></html>";
        page(ctx, status, body);
    }

    static void page(Context ctx, HttpStatus status, String html) {
        ctx.status(status).header("Content-Security-Policy", PAGE_CSP).header("Cache-Control", "no-store")
                .header("X-Content-Type-Options", "nosniff").header("Referrer-Policy", "no-referrer")
                .contentType("text/html; charset=utf-8").result(html);
    }

    private static byte[] required(ManagementConfig config, SecretStore secrets, String name, String key) {
        Optional<Secret> secret;
        try {
            secret = secrets.get(name);
        } catch (RuntimeException e) {
            // the stores' messages name the location, never the value
            throw new IllegalStateException("cannot read secret " + name + " (" + key + "): " + e.getMessage());
        }
        return secret.map(s -> s.reveal().strip().getBytes(StandardCharsets.UTF_8))
                .filter(bytes -> bytes.length > 0)
                .orElseThrow(() -> new IllegalStateException(ManagementConfig.AUTH + "=" + config.auth()
                        + " needs secret " + name + " (" + key + "), not found in the " + secrets.kind()
                        + " store at " + secrets.locationOf(name)));
    }

    private static byte[] sha256(byte[] value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
