package io.tla.platform.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.pkce.CodeChallenge;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.SubjectType;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tla.platform.config.ManagementConfig;
import io.tla.schemas.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small but real OpenID Connect provider on loopback, shaped like Microsoft Entra ID's v2.0 endpoints
 * ({@code /{tenant}/v2.0/.well-known/openid-configuration}, authorize, token, JWKS): the authorization code flow
 * with PKCE (S256 enforced) and client-secret authentication, ID tokens signed RS256 with Nimbus. What the next
 * sign-in's ID token says (audience, lifetime, issuer, groups, roles) is set per test with {@link #nextSignIn}, so
 * the relying party's refusals can be tested against tokens a misconfigured or hostile provider would send.
 */
public final class LocalOidcProvider implements AutoCloseable {

    /** The ID token the next sign-in gets. Null audience or issuer: the right ones. */
    public record Behaviour(String audience, Duration lifetime, String issuer, List<String> groups, List<String> roles) {

        public static Behaviour inGroups(String... groups) {
            return new Behaviour(null, Duration.ofHours(1), null, List.of(groups), List.of());
        }

        public Behaviour withAudience(String value) {
            return new Behaviour(value, lifetime, issuer, groups, roles);
        }

        public Behaviour withLifetime(Duration value) {
            return new Behaviour(audience, value, issuer, groups, roles);
        }

        public Behaviour withIssuer(String value) {
            return new Behaviour(audience, lifetime, value, groups, roles);
        }

        public Behaviour withRoles(String... value) {
            return new Behaviour(audience, lifetime, issuer, groups, List.of(value));
        }
    }

    private record Authorization(String clientId, String redirectUri, String state, String nonce,
                                 String codeChallenge, Behaviour behaviour) {
    }

    private final String tenant;
    private final String clientId;
    private final String clientSecret;
    private final RSAKey key;
    private final HttpServer server;
    private final Map<String, Authorization> requests = new ConcurrentHashMap<>();
    private final Map<String, Authorization> codes = new ConcurrentHashMap<>();
    private final AtomicInteger tokensIssued = new AtomicInteger();
    private volatile Behaviour next = Behaviour.inGroups();

    public LocalOidcProvider(String tenant, String clientId, String clientSecret) throws IOException {
        this.tenant = tenant;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        try {
            this.key = new RSAKeyGenerator(2048).keyID("local-" + UUID.randomUUID()).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        String base = "/" + tenant + "/v2.0";
        server.createContext(base + "/.well-known/openid-configuration", this::discovery);
        server.createContext("/" + tenant + "/oauth2/v2.0/authorize", this::authorize);
        server.createContext("/" + tenant + "/oauth2/v2.0/consent", this::consent);
        server.createContext("/" + tenant + "/oauth2/v2.0/token", this::token);
        server.createContext("/" + tenant + "/discovery/v2.0/keys", this::keys);
        server.start();
    }

    /** The issuer, as {@code management.entra.authority}. */
    public String issuer() {
        return root() + "/" + tenant + "/v2.0";
    }

    public String root() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** What makes a management listener on a free port sign people in with this provider. */
    public Map<String, String> managementSettings() {
        return Map.of(
                ManagementConfig.PORT, "0",
                ManagementConfig.AUTH, "entra",
                ManagementConfig.ENTRA_TENANT_ID, tenant,
                ManagementConfig.ENTRA_CLIENT_ID, clientId,
                ManagementConfig.ENTRA_AUTHORITY, root() + "/{tenant}/v2.0");
    }

    public void nextSignIn(Behaviour behaviour) {
        this.next = behaviour;
    }

    /** ID tokens handed out: a refused sign-in still got one, the relying party refused it. */
    public int tokensIssued() {
        return tokensIssued.get();
    }

    private void discovery(HttpExchange exchange) throws IOException {
        OIDCProviderMetadata metadata = new OIDCProviderMetadata(new Issuer(issuer()), List.of(SubjectType.PAIRWISE),
                URI.create(root() + "/" + tenant + "/discovery/v2.0/keys"));
        metadata.setAuthorizationEndpointURI(URI.create(root() + "/" + tenant + "/oauth2/v2.0/authorize"));
        metadata.setTokenEndpointURI(URI.create(root() + "/" + tenant + "/oauth2/v2.0/token"));
        metadata.setIDTokenJWSAlgs(List.of(JWSAlgorithm.RS256));
        metadata.setCodeChallengeMethods(List.of(CodeChallengeMethod.S256));
        metadata.applyDefaults();
        send(exchange, 200, "application/json", metadata.toJSONObject().toJSONString());
    }

    /** Checks the request, then shows a sign-in page (a person clicks it in the browser tests). */
    private void authorize(HttpExchange exchange) throws IOException {
        Map<String, String> q = form(exchange.getRequestURI().getRawQuery());
        if (!clientId.equals(q.get("client_id")) || !"code".equals(q.get("response_type"))
                || q.get("redirect_uri") == null || q.get("nonce") == null || q.get("state") == null
                || !"S256".equals(q.get("code_challenge_method")) || q.get("code_challenge") == null
                || !String.valueOf(q.get("scope")).contains("openid")) {
            send(exchange, 400, "text/plain", "invalid authorization request");
            return;
        }
        String id = UUID.randomUUID().toString();
        requests.put(id, new Authorization(q.get("client_id"), q.get("redirect_uri"), q.get("state"), q.get("nonce"),
                q.get("code_challenge"), next));
        send(exchange, 200, "text/html; charset=utf-8", "<!DOCTYPE html><html><head><title>Local sign-in</title>"
                + "</head><body><form method=\"post\" action=\"/" + tenant + "/oauth2/v2.0/consent\">"
                + "<input type=\"hidden\" name=\"request\" value=\"" + id + "\">"
                + "<button id=\"sign-in\" type=\"submit\">Sign in as Ada</button></form></body></html>");
    }

    private void consent(HttpExchange exchange) throws IOException {
        Authorization request = requests.remove(String.valueOf(form(body(exchange)).get("request")));
        if (request == null) {
            send(exchange, 400, "text/plain", "unknown request");
            return;
        }
        String code = UUID.randomUUID().toString();
        codes.put(code, request);
        exchange.getResponseHeaders().add("Location", request.redirectUri() + "?code=" + code + "&state="
                + URLEncoder.encode(request.state(), StandardCharsets.UTF_8));
        exchange.sendResponseHeaders(302, -1);
        exchange.close();
    }

    private void token(HttpExchange exchange) throws IOException {
        Map<String, String> f = form(body(exchange));
        Authorization granted = codes.remove(String.valueOf(f.get("code")));
        if (!clientId.equals(f.get("client_id")) || !clientSecret.equals(f.get("client_secret"))) {
            send(exchange, 401, "application/json", "{\"error\":\"invalid_client\"}");
            return;
        }
        if (granted == null || !"authorization_code".equals(f.get("grant_type"))
                || !granted.redirectUri().equals(f.get("redirect_uri")) || f.get("code_verifier") == null
                || !CodeChallenge.compute(CodeChallengeMethod.S256, new CodeVerifier(f.get("code_verifier")))
                .getValue().equals(granted.codeChallenge())) {
            send(exchange, 400, "application/json", "{\"error\":\"invalid_grant\"}");
            return;
        }
        Behaviour b = granted.behaviour();
        Instant now = Instant.now();
        Instant expires = now.plus(b.lifetime());
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(b.issuer() != null ? b.issuer() : issuer())
                .audience(b.audience() != null ? b.audience() : clientId)
                .subject("ada-pairwise-subject").claim("oid", "00000000-0000-0000-0000-00000000ada0")
                .claim("tid", tenant).claim("name", "Ada Lovelace").claim("nonce", granted.nonce())
                .issueTime(Date.from(expires.isBefore(now) ? expires.minus(Duration.ofHours(1)) : now))
                .expirationTime(Date.from(expires));
        if (!b.groups().isEmpty()) {
            claims.claim("groups", b.groups());
        }
        if (!b.roles().isEmpty()) {
            claims.claim("roles", b.roles());
        }
        SignedJWT idToken = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                claims.build());
        try {
            idToken.sign(new RSASSASigner(key));
        } catch (JOSEException e) {
            throw new IOException(e);
        }
        tokensIssued.incrementAndGet();
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("token_type", "Bearer");
        response.put("expires_in", 3600);
        response.put("access_token", UUID.randomUUID().toString());
        response.put("id_token", idToken.serialize());
        send(exchange, 200, "application/json", Json.mapper().writeValueAsString(response));
    }

    private void keys(HttpExchange exchange) throws IOException {
        send(exchange, 200, "application/json", new JWKSet(key.toPublicJWK()).toString());
    }

    private static String body(HttpExchange exchange) throws IOException {
        return new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static Map<String, String> form(String encoded) {
        Map<String, String> values = new LinkedHashMap<>();
        if (encoded == null || encoded.isEmpty()) {
            return values;
        }
        for (String pair : encoded.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            values.put(name, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return values;
    }

    private static void send(HttpExchange exchange, int status, String type, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", type);
        exchange.getResponseHeaders().add("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
