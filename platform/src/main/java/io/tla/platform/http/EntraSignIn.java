package io.tla.platform.http;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.GeneralException;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretPost;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.SameSite;
import io.tla.platform.config.ManagementConfig;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenID Connect sign-in with Microsoft Entra ID (any OpenID provider, in fact) for the dashboard page: the
 * authorization code flow with PKCE, state and nonce. The ID token is checked by Nimbus's {@link IDTokenValidator}
 * (signature against the issuer's JWKS, issuer, audience, expiry, nonce); then the user must be in an allowed group
 * or hold an allowed app role. Only then is the session cookie set. The provider's metadata is read on the first
 * sign-in, not at start, so an unreachable provider does not stop the pipeline.
 */
final class EntraSignIn {

    private static final Logger log = LoggerFactory.getLogger(EntraSignIn.class);

    static final String LOGIN_COOKIE = "tla_login";
    static final Duration LOGIN_WINDOW = Duration.ofMinutes(10);
    /** Bounds the pending sign-ins an anonymous caller can make us remember. */
    static final int MAX_PENDING = 1_000;
    private static final int HTTP_TIMEOUT_MS = 10_000;

    /** A sign-in between the redirect to the provider and its callback. */
    private record Pending(Nonce nonce, CodeVerifier verifier, Instant startedAt) {
    }

    /** A refusal: {@code code} for logs and tests, {@code message} for the person. */
    record Refusal(String code, String message) {
    }

    private final ManagementConfig.Entra settings;
    private final String clientSecret;
    private final SessionCookies sessions;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private volatile Provider provider;

    /** The provider's endpoints and the validator bound to its keys, read once. */
    private record Provider(OIDCProviderMetadata metadata, IDTokenValidator validator) {
    }

    EntraSignIn(ManagementConfig.Entra settings, String clientSecret, SessionCookies sessions) {
        this.settings = settings;
        this.clientSecret = clientSecret;
        this.sessions = sessions;
    }

    void routes(Javalin app, Supplier<String> baseUrl, Predicate<Context> secure) {
        app.get("/auth/login", ctx -> login(ctx, baseUrl.get(), secure.test(ctx)));
        app.get("/auth/callback", ctx -> callback(ctx, baseUrl.get(), secure.test(ctx)));
    }

    private void login(Context ctx, String baseUrl, boolean secure) {
        Provider p;
        try {
            p = provider();
        } catch (IOException | GeneralException | RuntimeException e) {
            log.warn("event=management_sign_in_unavailable authority={} error={}", settings.authority(),
                    e.getClass().getSimpleName());
            errorPage(ctx, HttpStatus.BAD_GATEWAY, new Refusal("provider-unreachable",
                    "The sign-in provider cannot be reached. Try again in a minute."));
            return;
        }
        expireOldSignIns();
        if (pending.size() >= MAX_PENDING) {
            errorPage(ctx, HttpStatus.SERVICE_UNAVAILABLE, new Refusal("too-many-sign-ins",
                    "Too many sign-ins are in progress. Try again in a few minutes."));
            return;
        }
        State state = new State();
        Nonce nonce = new Nonce();
        CodeVerifier verifier = new CodeVerifier();
        pending.put(state.getValue(), new Pending(nonce, verifier, Instant.now()));
        URI request = new AuthenticationRequest.Builder(ResponseType.CODE, new Scope("openid", "profile"),
                new ClientID(settings.clientId()), redirectUri(baseUrl))
                .endpointURI(p.metadata().getAuthorizationEndpointURI())
                .state(state).nonce(nonce).codeChallenge(verifier, CodeChallengeMethod.S256)
                .build().toURI();
        // Lax, not Strict: the provider's redirect back is a cross-site navigation that must carry it.
        ctx.cookie(new io.javalin.http.Cookie(LOGIN_COOKIE, state.getValue(), "/auth/", (int) LOGIN_WINDOW.toSeconds(),
                secure, 0, true, null, null, SameSite.LAX));
        ctx.header("Cache-Control", "no-store").redirect(request.toString(), HttpStatus.FOUND);
    }

    private void callback(Context ctx, String baseUrl, boolean secure) {
        // the login cookie is single-use whatever happens next
        ctx.cookie(new io.javalin.http.Cookie(LOGIN_COOKIE, "", "/auth/", 0, secure, 0, true, null, null, SameSite.LAX));
        String stateParam = ctx.queryParam("state");
        String cookieState = ctx.cookie(LOGIN_COOKIE);
        Pending started = stateParam == null ? null : pending.remove(stateParam);
        if (started == null || cookieState == null || !cookieState.equals(stateParam)
                || started.startedAt().plus(LOGIN_WINDOW).isBefore(Instant.now())) {
            refuse(ctx, new Refusal("state-mismatch",
                    "This sign-in was not started here or took too long. Start again from the dashboard."));
            return;
        }
        if (ctx.queryParam("error") != null) {
            refuse(ctx, new Refusal("provider-error", "The sign-in provider refused the sign-in ("
                    + escape(ctx.queryParam("error")) + ")."));
            return;
        }
        String code = ctx.queryParam("code");
        if (code == null || code.isBlank()) {
            refuse(ctx, new Refusal("no-code", "The sign-in provider sent no authorization code."));
            return;
        }
        JWTClaimsSet claims;
        try {
            Provider p = provider();
            JWT idToken = exchange(p, code, started.verifier(), redirectUri(baseUrl));
            claims = p.validator().validate(idToken, started.nonce()).toJWTClaimsSet();
        } catch (RefusedException e) {
            refuse(ctx, e.refusal);
            return;
        } catch (BadJOSEException e) {
            refuse(ctx, classify(e));
            return;
        } catch (IOException | GeneralException | JOSEException | RuntimeException e) {
            log.warn("event=management_sign_in_failed error={}", e.getClass().getSimpleName());
            refuse(ctx, new Refusal("token-exchange-failed", "The sign-in could not be completed with the provider."));
            return;
        }
        Refusal access = access(claims);
        if (access != null) {
            refuse(ctx, access);
            return;
        }
        String subject = stringClaim(claims, "oid") != null ? stringClaim(claims, "oid") : claims.getSubject();
        ctx.cookie(new io.javalin.http.Cookie(ManagementAuth.SESSION_COOKIE, sessions.issue(subject, "entra"), "/",
                (int) sessions.ttl().toSeconds(), secure, 0, true, null, null, SameSite.STRICT));
        log.info("event=management_signed_in method=entra");
        // A page rather than a redirect: the Strict cookie is sent on the navigation this same-site page starts,
        // not on a redirect chain that began at the provider.
        ManagementAuth.page(ctx, HttpStatus.OK, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta http-equiv=\"refresh\" content=\"0;url=/dashboard/\"><title>tla-streams: signed in</title>"
                + "</head><body><p>Signed in. <a href=\"/dashboard/\">Continue to the dashboard</a>.</p></body></html>");
    }

    /** Null when the ID token's groups or roles allow access, else why not. */
    Refusal access(JWTClaimsSet claims) {
        List<String> groups = listClaim(claims, "groups");
        List<String> roles = listClaim(claims, "roles");
        if (groups.stream().anyMatch(settings.allowedGroups()::contains)
                || roles.stream().anyMatch(settings.allowedRoles()::contains)) {
            return null;
        }
        Object claimNames = claims.getClaim("_claim_names");
        if (groups.isEmpty() && claimNames instanceof Map<?, ?> names && names.containsKey("groups")) {
            // Entra leaves out the groups of a user in more than 200 of them ("overage")
            return new Refusal("groups-overage", "Your account is in too many groups for the sign-in to list them;"
                    + " ask an administrator to grant you an app role for tla-streams management instead.");
        }
        return new Refusal("not-allowed", "Your account is not in a group or app role allowed to use the"
                + " tla-streams management dashboard.");
    }

    private JWT exchange(Provider p, String code, CodeVerifier verifier, URI redirect)
            throws IOException, ParseException, RefusedException {
        TokenRequest request = new TokenRequest(p.metadata().getTokenEndpointURI(),
                new ClientSecretPost(new ClientID(settings.clientId()),
                        new com.nimbusds.oauth2.sdk.auth.Secret(clientSecret)),
                new AuthorizationCodeGrant(new AuthorizationCode(code), redirect, verifier));
        HTTPRequest http = request.toHTTPRequest();
        http.setConnectTimeout(HTTP_TIMEOUT_MS);
        http.setReadTimeout(HTTP_TIMEOUT_MS);
        TokenResponse response = OIDCTokenResponseParser.parse(http.send());
        if (!response.indicatesSuccess()) {
            // the error code is the provider's (invalid_grant, ...); its description may echo request data
            throw new RefusedException(new Refusal("token-exchange-refused", "The sign-in provider refused to"
                    + " complete the sign-in (" + escape(response.toErrorResponse().getErrorObject().getCode()) + ")."));
        }
        JWT idToken = ((OIDCTokenResponse) response.toSuccessResponse()).getOIDCTokens().getIDToken();
        if (idToken == null) {
            throw new RefusedException(new Refusal("no-id-token", "The sign-in provider sent no ID token."));
        }
        return idToken;
    }

    private Provider provider() throws IOException, GeneralException {
        Provider current = provider;
        if (current == null) {
            synchronized (this) {
                if (provider == null) {
                    // resolve() checks that the document names the configured issuer
                    OIDCProviderMetadata metadata = OIDCProviderMetadata.resolve(new Issuer(settings.authority()),
                            HTTP_TIMEOUT_MS, HTTP_TIMEOUT_MS);
                    IDTokenValidator validator = new IDTokenValidator(metadata.getIssuer(),
                            new ClientID(settings.clientId()), JWSAlgorithm.RS256, metadata.getJWKSetURI().toURL());
                    provider = new Provider(metadata, validator);
                }
                current = provider;
            }
        }
        return current;
    }

    /** What the validator's complaint means for the person; Nimbus's own text is not shown. */
    static Refusal classify(BadJOSEException e) {
        String text = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (text.contains("expired")) {
            return new Refusal("expired", "The sign-in was refused: the ID token has expired.");
        }
        if (text.contains("issuer")) {
            return new Refusal("wrong-issuer", "The sign-in was refused: the ID token comes from an unexpected"
                    + " issuer (another directory or provider).");
        }
        if (text.contains("audience")) {
            return new Refusal("wrong-audience", "The sign-in was refused: the ID token was issued for another"
                    + " application.");
        }
        if (text.contains("nonce")) {
            return new Refusal("nonce-mismatch", "The sign-in was refused: the ID token does not belong to this"
                    + " sign-in.");
        }
        if (text.contains("signature") || text.contains("key")) {
            return new Refusal("bad-signature", "The sign-in was refused: the ID token's signature is not valid.");
        }
        return new Refusal("invalid-id-token", "The sign-in was refused: the ID token is not valid.");
    }

    private static void refuse(Context ctx, Refusal refusal) {
        log.warn("event=management_sign_in_refused method=entra reason={}", refusal.code());
        errorPage(ctx, HttpStatus.FORBIDDEN, refusal);
    }

    private static void errorPage(Context ctx, HttpStatus status, Refusal refusal) {
        ManagementAuth.page(ctx, status, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<title>tla-streams: sign-in refused</title></head><body style=\"font-family:sans-serif;"
                + "max-width:36rem;margin:3rem auto\"><h1>Sign-in refused</h1><p id=\"refusal\" role=\"alert\""
                + " data-reason=\"" + refusal.code() + "\">" + refusal.message() + "</p>"
                + "<p><a href=\"/auth/login\">Sign in again</a></p></body></html>");
    }

    private void expireOldSignIns() {
        Instant oldest = Instant.now().minus(LOGIN_WINDOW);
        pending.values().removeIf(p -> p.startedAt().isBefore(oldest));
    }

    private static URI redirectUri(String baseUrl) {
        return URI.create(baseUrl + "/auth/callback");
    }

    private static List<String> listClaim(JWTClaimsSet claims, String name) {
        try {
            List<String> values = claims.getStringListClaim(name);
            return values == null ? List.of() : values;
        } catch (java.text.ParseException e) {
            return List.of();
        }
    }

    private static String stringClaim(JWTClaimsSet claims, String name) {
        try {
            return claims.getStringClaim(name);
        } catch (java.text.ParseException e) {
            return null;
        }
    }

    private static String escape(String text) {
        return text == null ? "" : text.replaceAll("[^A-Za-z0-9_.-]", "");
    }

    private static final class RefusedException extends Exception {
        private final Refusal refusal;

        RefusedException(Refusal refusal) {
            super(refusal.code(), null, false, false);
            this.refusal = refusal;
        }
    }
}
