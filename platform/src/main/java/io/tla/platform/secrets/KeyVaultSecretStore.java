package io.tla.platform.secrets;

import com.azure.core.credential.TokenCredential;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.exception.ResourceNotFoundException;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.azure.security.keyvault.secrets.models.KeyVaultSecret;
import com.azure.security.keyvault.secrets.models.SecretProperties;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tla.platform.config.SecretsConfig;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Secret {@code NAME} from Azure Key Vault ({@code keyvault.url}), with its {@code enabled}, {@code notBefore} and
 * {@code expiresOn}. Each answer is reused for {@code keyvault.cache-ttl-seconds} and then read again; validity is
 * judged on every use, so a cached secret stops being handed out the moment it expires. When the vault cannot be
 * reached on a refresh, the last answer it gave stays in use until the next refresh.
 */
public final class KeyVaultSecretStore implements SecretStore {

    private static final Logger log = LoggerFactory.getLogger(KeyVaultSecretStore.class);
    /** Failures without an earlier answer are retried sooner than the TTL, so a brief outage heals quickly. */
    private static final Duration FAILURE_RETRY = Duration.ofSeconds(10);
    /**
     * Secret names come from configuration, but a lookup of any name caches its answer: the bound keeps a
     * misbehaving caller (or a name built from input) from growing the cache; far above any real configuration.
     */
    static final int MAX_CACHED_SECRETS = 1_024;

    private final SecretClient client;
    private final String vaultUrl;
    private final Duration ttl;
    private final Clock clock;
    private final Cache<String, Cached> cache;

    /** What the vault said about a secret; {@code failure} is set when it could not be asked. Holds no value in toString. */
    private record Answer(boolean present, boolean enabled, Instant notBefore, Instant expiresOn, Secret secret,
                          String failure) {
    }

    private record Cached(Answer answer, Instant validUntil) {
    }

    /** For callers that bring their own client (tests point one at a local server speaking Key Vault's API). */
    public KeyVaultSecretStore(SecretClient client, String vaultUrl, Duration ttl, Clock clock) {
        this(client, vaultUrl, ttl, clock, MAX_CACHED_SECRETS);
    }

    KeyVaultSecretStore(SecretClient client, String vaultUrl, Duration ttl, Clock clock, int maxCached) {
        this.cache = Caffeine.newBuilder().maximumSize(maxCached).build();
        this.client = Objects.requireNonNull(client, "client");
        this.vaultUrl = Objects.requireNonNull(vaultUrl, "vaultUrl");
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * The store {@code config} describes: a client-secret credential when {@code keyvault.tenant-id},
     * {@code keyvault.client-id} and the client secret (in the environment variable {@code keyvault.client-secret-env})
     * are all there, else {@code DefaultAzureCredential}.
     */
    public static KeyVaultSecretStore create(SecretsConfig config, Map<String, String> env) {
        String url = vaultUrl(config);
        SecretClient client = new SecretClientBuilder().vaultUrl(url).credential(credential(config, env)).buildClient();
        log.info("event=secret_store kind=keyvault vault={} credential={}", url, credentialKind(config, env));
        return new KeyVaultSecretStore(client, url, config.keyVaultCacheTtl(), Clock.systemUTC());
    }

    static String vaultUrl(SecretsConfig config) {
        String url = config.keyVaultUrl();
        if (url == null || url.isBlank()) {
            throw new ConfigException(SecretsConfig.KEYVAULT_URL, url, "secrets.provider=keyvault needs the vault URL");
        }
        URI uri;
        try {
            uri = URI.create(url.trim());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(SecretsConfig.KEYVAULT_URL, url, "not a URL");
        }
        if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            throw new ConfigException(SecretsConfig.KEYVAULT_URL, url, "must be an https URL such as https://NAME.vault.azure.net");
        }
        return url.trim();
    }

    /** Which credential {@link #create} uses, for operators (never the secret). */
    public static String credentialKind(SecretsConfig config, Map<String, String> env) {
        return clientSecret(config, env).isPresent()
                ? "client-secret (tenant " + config.keyVaultTenantId() + ", client " + config.keyVaultClientId() + ")"
                : "DefaultAzureCredential";
    }

    private static TokenCredential credential(SecretsConfig config, Map<String, String> env) {
        return clientSecret(config, env)
                .<TokenCredential>map(secret -> new ClientSecretCredentialBuilder().tenantId(config.keyVaultTenantId())
                        .clientId(config.keyVaultClientId()).clientSecret(secret).build())
                .orElseGet(() -> new DefaultAzureCredentialBuilder().build());
    }

    private static Optional<String> clientSecret(SecretsConfig config, Map<String, String> env) {
        if (isBlank(config.keyVaultTenantId()) || isBlank(config.keyVaultClientId())) {
            return Optional.empty();
        }
        String secret = env.get(config.keyVaultClientSecretEnv());
        return isBlank(secret) ? Optional.empty() : Optional.of(secret.trim());
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    @Override
    public Optional<Secret> get(String name) {
        return lookup(name).usableSecret();
    }

    @Override
    public SecretLookup lookup(String name) {
        Instant now = clock.instant();
        Cached cached = cache.getIfPresent(name);
        if (cached == null || !now.isBefore(cached.validUntil())) {
            cached = refresh(name, cached, now);
            cache.put(name, cached);
        }
        Answer answer = cached.answer();
        if (answer.failure() != null) {
            return SecretLookup.unavailable(name, kind(), answer.failure());
        }
        return SecretLookup.judge(name, kind(), locationOf(name), answer.present(), answer.enabled(),
                answer.notBefore(), answer.expiresOn(), answer.secret(), now);
    }

    private Cached refresh(String name, Cached previous, Instant now) {
        Answer answer = fetch(name);
        if (answer.failure() == null) {
            return new Cached(answer, now.plus(ttl));
        }
        if (previous != null && previous.answer().failure() == null) {
            log.warn("event=secret_refresh_failed store=keyvault secret={} reason=\"{}\" action=keep_last_answer",
                    name, answer.failure());
            return new Cached(previous.answer(), now.plus(ttl));
        }
        log.warn("event=secret_read_failed store=keyvault secret={} reason=\"{}\"", name, answer.failure());
        return new Cached(answer, now.plus(ttl.compareTo(FAILURE_RETRY) < 0 ? ttl : FAILURE_RETRY));
    }

    private Answer fetch(String name) {
        try {
            KeyVaultSecret found = client.getSecret(name);
            SecretProperties properties = found.getProperties();
            boolean enabled = properties == null || properties.isEnabled() == null || properties.isEnabled();
            Instant notBefore = properties == null ? null : instant(properties.getNotBefore());
            Instant expiresOn = properties == null ? null : instant(properties.getExpiresOn());
            String value = found.getValue();
            if (value == null || value.isEmpty()) {
                return new Answer(false, false, null, null, null, null);
            }
            return new Answer(true, enabled, notBefore, expiresOn, new Secret(name, value, expiresOn), null);
        } catch (ResourceNotFoundException e) {
            return new Answer(false, false, null, null, null, null);
        } catch (HttpResponseException e) {
            int status = e.getResponse() == null ? 0 : e.getResponse().getStatusCode();
            String message = String.valueOf(e.getMessage());
            // Key Vault refuses to read a disabled secret: 403 with the inner error code SecretDisabled.
            if (status == 403 && message.contains("SecretDisabled")) {
                return new Answer(true, false, null, null, null, null);
            }
            return new Answer(false, false, null, null, null, "Key Vault answered HTTP " + status + " for " + locationOf(name));
        } catch (RuntimeException e) {
            // The value was never received, so no exception can hold it; the message says why (credential, network).
            return new Answer(false, false, null, null, null,
                    "cannot read " + locationOf(name) + ": " + e.getClass().getSimpleName() + " " + firstLine(e.getMessage()));
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        String line = message.lines().findFirst().orElse("");
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }

    private static Instant instant(OffsetDateTime time) {
        return time == null ? null : time.toInstant();
    }

    /** Answers held, for tests. */
    long cachedAnswers() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    @Override
    public String locationOf(String name) {
        return (vaultUrl.endsWith("/") ? vaultUrl : vaultUrl + "/") + "secrets/" + name;
    }

    @Override
    public String kind() {
        return "keyvault";
    }
}
