package io.tla.platform.secrets;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import io.tla.platform.testing.TrustingHttpClient;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.regex.Pattern;
import reactor.core.publisher.Mono;

/**
 * A local HTTPS server speaking Key Vault's secrets REST API (WireMock), and a real {@link SecretClient} pointed at
 * it: the SDK's bearer-token challenge is answered by the server, the token comes from a static credential, and the
 * client trusts WireMock's self-signed certificate (tests only).
 */
public final class KeyVaultServer implements AutoCloseable {

    static final String TOKEN = "test-access-token";

    final WireMockServer wireMock = new WireMockServer(options().dynamicPort().dynamicHttpsPort());

    public KeyVaultServer() {
        wireMock.start();
        // The SDK first asks without a token and expects Key Vault's challenge naming the authority and resource.
        wireMock.stubFor(get(urlPathMatching("/secrets/.*")).atPriority(10).willReturn(aResponse().withStatus(401)
                .withHeader("WWW-Authenticate", "Bearer authorization=\"https://login.microsoftonline.com/"
                        + "00000000-0000-0000-0000-000000000001\", resource=\"https://vault.azure.net\"")));
    }

    public String url() {
        return "https://localhost:" + wireMock.httpsPort();
    }

    /** Matches an authorised GET of secret {@code name} (the SDK asks for {@code /secrets/NAME/} with an empty version). */
    static MappingBuilder getSecret(String name) {
        return get(urlPathMatching("/secrets/" + Pattern.quote(name) + "/?"))
                .withHeader("Authorization", equalTo("Bearer " + TOKEN)).atPriority(1);
    }

    static com.github.tomakehurst.wiremock.matching.RequestPatternBuilder requestedSecret(String name) {
        return getRequestedFor(urlPathMatching("/secrets/" + Pattern.quote(name) + "/?"))
                .withHeader("Authorization", equalTo("Bearer " + TOKEN));
    }

    /** Serves {@code name} as Key Vault does: value, id and attributes in Unix seconds (null: attribute absent). */
    public void secret(String name, String value, boolean enabled, Instant notBefore, Instant expiresOn) {
        StringBuilder attributes = new StringBuilder("\"enabled\":" + enabled);
        if (notBefore != null) {
            attributes.append(",\"nbf\":").append(notBefore.getEpochSecond());
        }
        if (expiresOn != null) {
            attributes.append(",\"exp\":").append(expiresOn.getEpochSecond());
        }
        attributes.append(",\"created\":1700000000,\"updated\":1700000000,\"recoveryLevel\":\"Recoverable+Purgeable\"");
        String body = "{\"value\":\"" + value + "\",\"id\":\"" + url() + "/secrets/" + name
                + "/4387e9f3d6e14c459867679a90fd0f79\",\"attributes\":{" + attributes + "},\"tags\":{}}";
        wireMock.stubFor(getSecret(name).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json; charset=utf-8").withBody(body)));
    }

    public void missing(String name) {
        wireMock.stubFor(getSecret(name).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/json; charset=utf-8")
                .withBody("{\"error\":{\"code\":\"SecretNotFound\",\"message\":\"A secret with (name/id) " + name
                        + " was not found in this key vault.\"}}")));
    }

    /** Key Vault refuses to read a disabled secret with 403 and the inner error code SecretDisabled. */
    public void disabled(String name) {
        wireMock.stubFor(getSecret(name).willReturn(aResponse().withStatus(403)
                .withHeader("Content-Type", "application/json; charset=utf-8")
                .withBody("{\"error\":{\"code\":\"Forbidden\",\"message\":\"Operation get is not allowed on a disabled "
                        + "secret.\",\"innererror\":{\"code\":\"SecretDisabled\"}}}")));
    }

    public void failing(String name, int status) {
        wireMock.stubFor(getSecret(name).willReturn(aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json; charset=utf-8")
                .withBody("{\"error\":{\"code\":\"InternalError\",\"message\":\"try again\"}}")));
    }

    public SecretClient client() {
        TokenCredential credential = request -> Mono.just(new AccessToken(TOKEN, OffsetDateTime.now().plusHours(1)));
        return new SecretClientBuilder().vaultUrl(url()).credential(credential).httpClient(TrustingHttpClient.create())
                .disableChallengeResourceVerification()
                .retryOptions(new RetryOptions(new FixedDelayOptions(1, Duration.ofMillis(10))))
                .buildClient();
    }

    @Override
    public void close() {
        wireMock.stop();
    }
}
