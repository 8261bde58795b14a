package io.tla.connectors.teams;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.tla.platform.config.TeamsBotConfig;
import io.tla.platform.secrets.Secret;
import io.tla.platform.secrets.SecretStore;
import io.tla.schemas.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The Bot Framework connector's team details, {@code GET {serviceUrl}/v3/teams/{teamId}} ({@code {id, name,
 * aadGroupId}}), with a bot token from client credentials (scope {@code https://api.botframework.com/.default}).
 * The service URL comes from a message, so the token is only sent to one under {@code teams.bot.service-urls};
 * redirects are never followed. 429, 5xx and network errors are retried.
 */
final class BotFrameworkTeams {

    static final String SCOPE = "https://api.botframework.com/.default";
    private static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(10);

    /** The team's details as the connector answered them. */
    record TeamDetails(String id, String name, String aadGroupId) {
    }

    /** Why a team could not be looked up, for a dead-letter message: what was tried, never a secret. */
    static final class LookupFailed extends Exception {
        LookupFailed(String message) {
            super(message);
        }
    }

    private final TeamsBotConfig config;
    private final SecretStore secrets;
    private final com.azure.core.http.HttpClient identityHttpClient;
    private final HttpClient http;
    private final Retry retry;
    private volatile TokenCredential credential;

    BotFrameworkTeams(TeamsBotConfig config, SecretStore secrets, com.azure.core.http.HttpClient identityHttpClient) {
        this.config = Objects.requireNonNull(config, "config");
        this.secrets = Objects.requireNonNull(secrets, "secrets");
        this.identityHttpClient = identityHttpClient;
        this.http = HttpClient.newBuilder().connectTimeout(config.requestTimeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
        Duration initial = config.initialBackoff();
        IntervalBiFunction<HttpResponse<String>> interval = (attempt, outcome) -> {
            if (outcome.isRight()) {
                Optional<Duration> retryAfter = retryAfter(outcome.get());
                if (retryAfter.isPresent()) {
                    return Math.min(retryAfter.get().toMillis(), MAX_RETRY_AFTER.toMillis());
                }
            }
            return initial.toMillis() * (1L << Math.min(attempt - 1, 10));
        };
        this.retry = Retry.of("bot-framework-teams", RetryConfig.<HttpResponse<String>>custom()
                .maxAttempts(config.maxAttempts())
                .retryOnResult(response -> response.statusCode() == 429 || response.statusCode() >= 500)
                .retryExceptions(IOException.class)
                .intervalBiFunction(interval)
                .build());
    }

    /** Whether the bot token may be sent to {@code serviceUrl}: under one of {@code teams.bot.service-urls}. */
    boolean allowed(String serviceUrl) {
        return allowed(serviceUrl, config.serviceUrls());
    }

    static boolean allowed(String serviceUrl, List<String> prefixes) {
        if (serviceUrl == null || serviceUrl.isBlank()) {
            return false;
        }
        URI uri;
        try {
            uri = new URI(serviceUrl.strip()).normalize();
        } catch (java.net.URISyntaxException e) {
            return false;
        }
        if (!uri.isAbsolute() || uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
                || uri.getRawFragment() != null || uri.getRawPath() == null || uri.getRawPath().contains("..")) {
            return false;
        }
        String path = withSlash(uri.getRawPath());
        for (String prefix : prefixes) {
            URI allowed = URI.create(prefix.strip());
            if (allowed.getScheme().equalsIgnoreCase(uri.getScheme())
                    && allowed.getHost().equalsIgnoreCase(uri.getHost())
                    && port(allowed) == port(uri)
                    && path.startsWith(withSlash(allowed.getRawPath()))) {
                return true;
            }
        }
        return false;
    }

    /** Looks {@code teamId} up at {@code serviceUrl}, which {@link #allowed} must have accepted. */
    TeamDetails lookup(String teamId, String serviceUrl) throws LookupFailed {
        if (!allowed(serviceUrl)) {
            throw new IllegalArgumentException("service URL not allowed");
        }
        URI uri = URI.create(serviceUrl.strip().replaceAll("/+$", "") + "/v3/teams/"
                + URLEncoder.encode(teamId, StandardCharsets.UTF_8).replace("+", "%20"));
        String token = token();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(config.requestTimeout())
                .header("Authorization", "Bearer " + token).header("Accept", "application/json").GET().build();
        HttpResponse<String> response;
        try {
            response = retry.executeCallable(() -> http.send(request, HttpResponse.BodyHandlers.ofString()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LookupFailed("GET " + uri + " was interrupted");
        } catch (Exception e) {
            throw new LookupFailed("GET " + uri + " failed after " + config.maxAttempts() + " attempt(s): "
                    + e.getClass().getSimpleName());
        }
        int status = response.statusCode();
        if (status != 200) {
            throw new LookupFailed("GET " + uri + " answered " + status
                    + (status == 429 || status >= 500 ? " after " + config.maxAttempts() + " attempt(s)" : "")
                    + (status == 401 || status == 403 ? " (is the bot installed in the team, and"
                    + " teams.bot.app-id the bot's id?)" : ""));
        }
        try {
            JsonNode body = Json.mapper().readTree(response.body());
            String aadGroupId = body.path("aadGroupId").asText(null);
            if (aadGroupId == null || aadGroupId.isBlank()) {
                throw new LookupFailed("GET " + uri + " answered without aadGroupId");
            }
            return new TeamDetails(body.path("id").asText(teamId), body.path("name").asText(null), aadGroupId);
        } catch (IOException e) {
            throw new LookupFailed("GET " + uri + " answered 200 with a body that is not JSON");
        }
    }

    private String token() throws LookupFailed {
        try {
            AccessToken token = credential().getTokenSync(new TokenRequestContext().addScopes(SCOPE));
            if (token == null || token.getToken() == null || token.getToken().isEmpty()) {
                throw new LookupFailed("no bot token from " + config.authorityHost() + " (tenant "
                        + config.tenantId() + ")");
            }
            return token.getToken();
        } catch (LookupFailed e) {
            throw e;
        } catch (RuntimeException e) {
            // the exception's message may quote the authority's answer: only its type is reported
            throw new LookupFailed("no bot token from " + config.authorityHost() + " (tenant " + config.tenantId()
                    + ", app " + config.appId() + "): " + e.getClass().getSimpleName());
        }
    }

    private TokenCredential credential() throws LookupFailed {
        TokenCredential current = credential;
        if (current == null) {
            String secret = secrets.get(config.appSecretSecret()).map(Secret::reveal).orElseThrow(
                    () -> new LookupFailed("the bot's client secret " + config.appSecretSecret()
                            + " is not in the secret store"));
            ClientSecretCredentialBuilder builder = new ClientSecretCredentialBuilder()
                    .authorityHost(config.authorityHost()).tenantId(config.tenantId()).clientId(config.appId())
                    .clientSecret(secret);
            if (identityHttpClient != null) {
                builder.httpClient(identityHttpClient).disableInstanceDiscovery();
            }
            current = builder.build();
            credential = current;
        }
        return current;
    }

    private static Optional<Duration> retryAfter(HttpResponse<String> response) {
        return response.headers().firstValue("Retry-After").flatMap(value -> {
            try {
                return Optional.of(Duration.ofSeconds(Long.parseLong(value.strip())));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }

    private static String withSlash(String path) {
        String p = path == null || path.isEmpty() ? "/" : path;
        return p.endsWith("/") ? p : p + "/";
    }

    private static int port(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equals(uri.getScheme().toLowerCase(Locale.ROOT)) ? 443 : 80;
    }
}
