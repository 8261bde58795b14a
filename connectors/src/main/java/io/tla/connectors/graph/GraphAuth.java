package io.tla.connectors.graph;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.OnBehalfOfCredentialBuilder;
import com.microsoft.graph.core.authentication.AzureIdentityAuthenticationProvider;
import com.microsoft.kiota.authentication.AccessTokenProvider;
import com.microsoft.kiota.authentication.AllowedHostsValidator;
import com.microsoft.kiota.authentication.AuthenticationProvider;
import com.microsoft.kiota.authentication.BaseBearerTokenAuthenticationProvider;
import io.tla.platform.config.GraphConfig;
import io.tla.platform.secrets.Secret;
import io.tla.platform.secrets.SecretStore;
import com.fasterxml.jackson.databind.JsonNode;
import io.tla.schemas.Json;
import java.io.IOException;
import java.net.URI;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authentication provider per {@code graph.auth.mode}: {@code client-secret} (app-only, client credentials
 * through azure-identity), {@code obo} (on-behalf-of the message's sender, with the sender's user assertion from
 * the secret store), {@code static-token} (a bearer token from the secret store, for emulators). Secrets are read
 * through the store and handed to the SDKs only; none is logged or put in an exception message.
 */
public final class GraphAuth {

    private static final Logger log = LoggerFactory.getLogger(GraphAuth.class);

    /** A reply's sender has no user assertion in obo mode, or none that is valid for the reply's tenant. */
    public static final class NoUserAssertionException extends RuntimeException {
        NoUserAssertionException(String secretName) {
            super("no user assertion for the sender (secret " + secretName + " is missing)");
        }

        NoUserAssertionException(String secretName, String tenantId, String why) {
            super("the user assertion in secret " + secretName + " is not used for tenant " + tenantId + ": " + why);
        }
    }

    /** Whom a reply is posted for: the reply's tenant (from the webhook key's binding) and its sender. */
    public record User(String tenantId, String aadObjectId) {
    }

    private final GraphConfig config;
    private final SecretStore secrets;
    private final HttpClient identityHttpClient;
    private final String[] allowedHosts;
    private final String scope;

    /**
     * @param identityHttpClient the HTTP client azure-identity uses towards the authority; null for its default
     */
    public GraphAuth(GraphConfig config, SecretStore secrets, HttpClient identityHttpClient) {
        this.config = Objects.requireNonNull(config, "config");
        this.secrets = Objects.requireNonNull(secrets, "secrets");
        this.identityHttpClient = identityHttpClient;
        URI base = URI.create(config.baseUrl());
        this.allowedHosts = new String[] {base.getHost()};
        // the token's audience is Graph's resource: the national cloud's Graph host, else global Graph
        this.scope = base.getHost().endsWith(".microsoft.com") || base.getHost().endsWith(".microsoftgraph.us")
                || base.getHost().endsWith(".microsoftgraph.chinacloudapi.cn")
                ? "https://" + base.getHost() + "/.default" : "https://graph.microsoft.com/.default";
    }

    /** Whether each sender needs a provider of its own ({@code obo}). */
    public boolean perSender() {
        return "obo".equals(config.authMode());
    }

    /** The provider for app-only or static-token modes. */
    public AuthenticationProvider shared() {
        return switch (config.authMode()) {
            case "static-token" -> new BaseBearerTokenAuthenticationProvider(new StaticToken());
            case "client-secret" -> new AzureIdentityAuthenticationProvider(clientSecretCredential(), allowedHosts,
                    scope);
            default -> throw new IllegalStateException("graph.auth.mode=" + config.authMode() + " acts per sender");
        };
    }

    /**
     * The provider acting for {@code user} ({@code obo}). The assertion is stored under the sender's object id,
     * which the message body names; so it is used only when its own signed claims say it is that user's in the
     * reply's tenant ({@code tid}, and {@code oid} when present): a reply of tenant B never posts as a user of
     * tenant A, whatever object id its body carried.
     */
    public AuthenticationProvider forSender(User user) {
        String sender = user.aadObjectId();
        String name = config.userAssertionSecretPrefix() + (sender == null ? "" : sender);
        Optional<Secret> assertion = sender == null || sender.isBlank() ? Optional.empty() : secrets.get(name);
        if (assertion.isEmpty()) {
            throw new NoUserAssertionException(name);
        }
        String refused = refusal(assertion.get().reveal(), user);
        if (refused != null) {
            log.warn("event=graph_user_assertion_refused secret={} tenant={} reason={}", name, user.tenantId(),
                    refused);
            throw new NoUserAssertionException(name, user.tenantId(), refused);
        }
        OnBehalfOfCredentialBuilder builder = new OnBehalfOfCredentialBuilder()
                .authorityHost(config.authorityHost()).tenantId(required(config.tenantId(), GraphConfig.TENANT_ID))
                .clientId(required(config.clientId(), GraphConfig.CLIENT_ID))
                .clientSecret(clientSecret()).userAssertion(assertion.get().reveal());
        if (identityHttpClient != null) {
            builder.httpClient(identityHttpClient).disableInstanceDiscovery();
        }
        return new AzureIdentityAuthenticationProvider(builder.build(), allowedHosts, scope);
    }

    /**
     * A Graph access token as the connector would send it: the shared credential's, or in obo mode the one acting
     * for {@code senderAadObjectId}. For operators' checks (its claims), never for logs.
     */
    public String accessToken(String senderAadObjectId) {
        AuthenticationProvider provider = perSender()
                ? forSender(new User(config.tenantId(), senderAadObjectId)) : shared();
        URI graph = URI.create(config.baseUrl().replaceAll("/+$", "") + "/me");
        return ((BaseBearerTokenAuthenticationProvider) provider).getAccessTokenProvider()
                .getAuthorizationToken(graph, Map.of());
    }

    /**
     * Why {@code assertion} must not act for {@code user}, or null when it may: it must be a JWT whose
     * {@code tid} is the reply's tenant and whose {@code oid}, when present, is the sender. The signature is not
     * checked here; Entra checks it in the exchange, so a forged claim gets no token.
     */
    static String refusal(String assertion, User user) {
        if (user.tenantId() == null || user.tenantId().isBlank()) {
            return "reply-without-tenant";
        }
        String[] parts = assertion.split("\\.");
        if (parts.length < 2) {
            return "not-a-jwt";
        }
        JsonNode claims;
        try {
            claims = Json.mapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
        } catch (IllegalArgumentException | IOException e) {
            return "not-a-jwt";
        }
        String tid = claims.path("tid").asText("");
        if (!tid.equalsIgnoreCase(user.tenantId())) {
            return tid.isEmpty() ? "no-tenant-claim" : "other-tenant";
        }
        String oid = claims.path("oid").asText("");
        if (!oid.isEmpty() && !oid.equalsIgnoreCase(user.aadObjectId())) {
            return "other-user";
        }
        return null;
    }

    private TokenCredential clientSecretCredential() {
        ClientSecretCredentialBuilder builder = new ClientSecretCredentialBuilder()
                .authorityHost(config.authorityHost()).tenantId(required(config.tenantId(), GraphConfig.TENANT_ID))
                .clientId(required(config.clientId(), GraphConfig.CLIENT_ID)).clientSecret(clientSecret());
        if (identityHttpClient != null) {
            builder.httpClient(identityHttpClient).disableInstanceDiscovery();
        }
        return builder.build();
    }

    private String clientSecret() {
        return secrets.get(config.clientSecretSecret()).map(Secret::reveal).orElseThrow(() -> new IllegalStateException(
                "graph.auth.mode=" + config.authMode() + " needs the client secret " + config.clientSecretSecret()
                        + " in the secret store"));
    }

    private static String required(String value, String key) {
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(key + " must be set for graph.auth.mode=client-secret and obo");
        }
        return value;
    }

    /** The static token, read from the store per request so a rotated token is picked up without a restart. */
    private final class StaticToken implements AccessTokenProvider {
        private final AllowedHostsValidator hosts = new AllowedHostsValidator(allowedHosts);

        @Override
        public String getAuthorizationToken(URI uri, Map<String, Object> additionalContext) {
            if (!hosts.isUrlHostValid(uri)) {
                return ""; // never send the token to another host
            }
            return secrets.get(config.staticTokenSecret()).map(Secret::reveal)
                    .orElseThrow(() -> new IllegalStateException("graph.auth.mode=static-token needs the secret "
                            + config.staticTokenSecret() + " in the secret store"));
        }

        @Override
        public AllowedHostsValidator getAllowedHostsValidator() {
            return hosts;
        }
    }
}
