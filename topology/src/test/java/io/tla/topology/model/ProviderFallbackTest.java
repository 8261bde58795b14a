package io.tla.topology.model;

import static io.tla.topology.model.ChatCompletions.request;
import static io.tla.topology.model.ChatCompletions.status;
import static io.tla.topology.model.ChatCompletions.translated;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.secrets.Secret;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fallback chain against two local OpenAI-compatible servers, {@code primary} and {@code backup}. */
class ProviderFallbackTest {

    private final LocalChatServer primary = new LocalChatServer();
    private final LocalChatServer backup = new LocalChatServer();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ChatCompletions.Secrets secrets = new ChatCompletions.Secrets();
    private final Map<String, String> keys = new HashMap<>();

    @BeforeEach
    void start() throws Exception {
        primary.start();
        backup.start();
        keys.put("model.providers", "primary,backup");
        for (String name : List.of("primary", "backup")) {
            LocalChatServer server = name.equals("primary") ? primary : backup;
            keys.put("model.provider." + name + ".type", "openai");
            keys.put("model.provider." + name + ".base-url", server.url("/v1"));
            keys.put("model.provider." + name + ".model", name + "-model");
            keys.put("model.provider." + name + ".timeout-ms", "2000");
            keys.put("model.provider." + name + ".max-attempts", "2");
            keys.put("model.provider." + name + ".retry-backoff-ms", "20");
        }
    }

    @AfterEach
    void stop() {
        primary.close();
        backup.close();
    }

    private FallbackModelProvider chain() {
        return (FallbackModelProvider) ModelProviders.chain(ChatCompletions.config(keys), secrets, meters);
    }

    private static ModelResponse translate(ModelProvider provider) {
        return provider.translate(request("Guten Morgen", List.of("en"))).toCompletableFuture().join();
    }

    private static Throwable failure(ModelProvider provider) {
        return provider.translate(request("Guten Morgen", List.of("en"))).toCompletableFuture()
                .handle((response, error) -> error instanceof CompletionException ? error.getCause() : error).join();
    }

    private double fallbacksCounted(String from, String to, String reason) {
        var counter = meters.find(FallbackModelProvider.FALLBACKS_METER).tags("from", from, "to", to, "reason", reason)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aPrimaryAnswering500IsRetriedThenTheBackupAnswers() throws Exception {
        primary.enqueue(status(500));
        primary.enqueue(status(503));
        backup.enqueue(translated("en", "Good morning"));

        ModelResponse response = translate(chain());

        assertThat(response.provider()).isEqualTo("backup");
        assertThat(response.translations().get(0).text()).isEqualTo("Good morning");
        assertThat(primary.requestCount()).as("one retry on 5xx").isEqualTo(2);
        assertThat(response.fallbacks()).containsExactly(new ModelResponse.Fallback("primary", "backup", "http-503", 1));
        assertThat(fallbacksCounted("primary", "backup", "http-503")).isEqualTo(1);
        assertThat(backup.requests()).singleElement()
                .satisfies(sent -> assertThat(sent.getUrl()).isEqualTo("/v1/chat/completions"));
    }

    @Test
    void aPrimarySlowerThanItsTimeoutFallsBackToTheBackup() {
        keys.put("model.provider.primary.timeout-ms", "300");
        keys.put("model.provider.primary.max-attempts", "1");
        primary.enqueue(translated("en", "too late").withFixedDelay(3_000));
        backup.enqueue(translated("en", "Good morning"));

        long started = System.nanoTime();
        ModelResponse response = translate(chain());
        long tookMs = (System.nanoTime() - started) / 1_000_000;

        assertThat(response.provider()).isEqualTo("backup");
        assertThat(response.fallbacks()).singleElement()
                .satisfies(fallback -> assertThat(fallback.reason()).isEqualTo(ProviderException.TIMEOUT));
        assertThat(tookMs).as("gave up on the primary well before it answered").isLessThan(2_500);
    }

    @Test
    void a429IsRetriedAfterTheServersRetryAfter() {
        primary.enqueue(status(429).withHeader("Retry-After", "1"));
        primary.enqueue(translated("en", "Good morning"));

        long started = System.nanoTime();
        ModelResponse response = translate(chain());
        long tookMs = (System.nanoTime() - started) / 1_000_000;

        assertThat(response.provider()).isEqualTo("primary");
        assertThat(response.fallbacks()).isEmpty();
        assertThat(primary.requestCount()).isEqualTo(2);
        // the backoff alone would be ~20 ms: the second attempt waited for Retry-After
        assertThat(tookMs).isGreaterThanOrEqualTo(900);
    }

    @Test
    void aClientErrorIsNotRetriedAndFallsBackAtOnce() {
        primary.enqueue(status(400));
        backup.enqueue(translated("en", "Good morning"));

        ModelResponse response = translate(chain());

        assertThat(primary.requestCount()).isEqualTo(1);
        assertThat(response.fallbacks()).containsExactly(new ModelResponse.Fallback("primary", "backup", "http-400", 1));
    }

    @Test
    void theBreakerOpensAfterRepeatedFailuresSkipsThePrimaryAndLaterLetsATrialCallThrough() throws Exception {
        keys.put("model.provider.primary.max-attempts", "1");
        keys.put("model.provider.primary.breaker-min-calls", "4");
        keys.put("model.provider.primary.breaker-open-ms", "400");
        FallbackModelProvider chain = chain();
        ResilientModelProvider first = (ResilientModelProvider) chain.providers().get(0);
        for (int i = 0; i < 4; i++) {
            primary.enqueue(status(502));
            backup.enqueue(translated("en", "Good morning"));
            assertThat(translate(chain).provider()).isEqualTo("backup");
        }
        assertThat(first.breakerState()).isEqualTo(CircuitBreaker.State.OPEN);

        backup.enqueue(translated("en", "Good morning"));
        ModelResponse skipped = translate(chain);
        assertThat(skipped.fallbacks()).singleElement()
                .satisfies(fallback -> assertThat(fallback.reason()).isEqualTo(ProviderException.BREAKER_OPEN));
        assertThat(primary.requestCount()).as("an open breaker sends nothing").isEqualTo(4);
        assertThat(fallbacksCounted("primary", "backup", "breaker-open")).isEqualTo(1);

        Thread.sleep(600);
        primary.enqueue(translated("en", "Good morning"));
        ModelResponse trial = translate(chain);
        assertThat(trial.provider()).isEqualTo("primary");
        assertThat(first.breakerState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    }

    @Test
    void aMalformedAnswerFollowedByAGoodOneIsAnsweredByThePrimary() {
        primary.enqueue(ChatCompletions.answer("Here you go: Good morning!"));
        primary.enqueue(translated("en", "Good morning"));

        ModelResponse response = translate(chain());

        assertThat(response.provider()).isEqualTo("primary");
        assertThat(response.fallbacks()).isEmpty();
        assertThat(primary.requestCount()).isEqualTo(2);
        assertThat(backup.requestCount()).isZero();
    }

    @Test
    void aMalformedAnswerIsAskedForOnceMoreThenFallsBackToTheBackup() {
        primary.enqueue(ChatCompletions.answer("Here you go: Good morning!"));
        primary.enqueue(ChatCompletions.answer("Sure! Good morning!"));
        backup.enqueue(translated("en", "Good morning"));

        ModelResponse response = translate(chain());

        assertThat(response.provider()).isEqualTo("backup");
        assertThat(primary.requestCount()).as("one retry for a malformed answer, no more").isEqualTo(2);
        assertThat(response.fallbacks()).containsExactly(
                new ModelResponse.Fallback("primary", "backup", ProviderException.MALFORMED_OUTPUT, 1));
    }

    @Test
    void aProviderWhoseKeyIsMissingIsSkippedWithoutACall() {
        keys.put("model.provider.primary.api-key-secret", "primary-key");
        backup.enqueue(translated("en", "Good morning"));

        ModelResponse response = translate(chain());

        assertThat(primary.requestCount()).isZero();
        assertThat(response.fallbacks()).containsExactly(
                new ModelResponse.Fallback("primary", "backup", ProviderException.SECRET_MISSING, 1));
        assertThat(fallbacksCounted("primary", "backup", "secret-missing")).isEqualTo(1);
    }

    @Test
    void aProviderWhoseKeyHasExpiredIsSkippedAndTheBackupGetsItsOwnKey() throws Exception {
        keys.put("model.provider.primary.api-key-secret", "primary-key");
        keys.put("model.provider.backup.api-key-secret", "backup-key");
        secrets.with(new Secret("primary-key", "sk-primary", Instant.now().minusSeconds(60)))
                .with(new Secret("backup-key", "sk-backup", Instant.now().plusSeconds(3600)));
        backup.enqueue(translated("en", "Good morning"));

        ModelResponse response = translate(chain());

        assertThat(primary.requestCount()).isZero();
        assertThat(response.fallbacks()).singleElement()
                .satisfies(fallback -> assertThat(fallback.reason()).isEqualTo(ProviderException.SECRET_EXPIRED));
        assertThat(backup.requests()).singleElement()
                .satisfies(sent -> assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer sk-backup"));
    }

    @Test
    void whenEveryProviderFailsTheFailureListsEachFallback() {
        keys.put("model.provider.primary.max-attempts", "1");
        keys.put("model.provider.backup.max-attempts", "1");
        primary.enqueue(status(500));
        backup.enqueue(status(401));

        Throwable error = failure(chain());

        assertThat(error).isInstanceOfSatisfying(AllProvidersFailedException.class, failed -> {
            assertThat(failed.fallbacks()).containsExactly(
                    new ModelResponse.Fallback("primary", "backup", "http-500", 1),
                    new ModelResponse.Fallback("backup", ModelResponse.Fallback.NONE, "http-401", 2));
            assertThat(failed.getMessage()).doesNotContain("upstream says no");
        });
        assertThat(fallbacksCounted("backup", "none", "http-401")).isEqualTo(1);
    }

    @Test
    void anUnreachablePrimaryFallsBackToTheBackup() {
        keys.put("model.provider.primary.base-url", "http://127.0.0.1:9/v1"); // discard port: nothing listens
        keys.put("model.provider.primary.max-attempts", "1");
        backup.enqueue(translated("en", "Good morning"));

        ModelResponse response = translate(chain());

        assertThat(response.provider()).isEqualTo("backup");
        assertThat(response.fallbacks()).singleElement()
                .satisfies(fallback -> assertThat(fallback.reason()).isEqualTo(ProviderException.UNREACHABLE));
    }

    @Test
    void aPrimaryWithAllItsCallsInFlightPassesTheNextOneOnAsBusy() {
        keys.put("model.provider.primary.max-in-flight", "1");
        keys.put("model.provider.primary.max-attempts", "1");
        primary.enqueue(translated("en", "slow but fine").withFixedDelay(800));
        backup.enqueue(translated("en", "Good morning"));
        FallbackModelProvider chain = chain();

        var first = chain.translate(request("Guten Morgen", List.of("en"))).toCompletableFuture();
        ModelResponse second = translate(chain);

        assertThat(second.provider()).isEqualTo("backup");
        assertThat(second.fallbacks()).singleElement()
                .satisfies(fallback -> assertThat(fallback.reason()).isEqualTo(ProviderException.BUSY));
        assertThat(first.join().provider()).isEqualTo("primary");
    }

    @Test
    void anAzureDeploymentIsCalledAtItsUrlWithItsApiKeyHeader() {
        keys.put("model.providers", "azure");
        keys.put("model.provider.azure.type", "azure-openai");
        keys.put("model.provider.azure.base-url", primary.url(""));
        keys.put("model.provider.azure.model", "translator");
        keys.put("model.provider.azure.api-key-secret", "azure-key");
        secrets.with(new Secret("azure-key", "azure-secret-value", null));
        primary.enqueue(translated("en", "Good morning"));

        ModelResponse response = translate(chain());

        assertThat(response.provider()).isEqualTo("azure");
        assertThat(primary.requests()).singleElement().satisfies(sent -> {
            assertThat(sent.getUrl()).isEqualTo("/openai/deployments/translator/chat/completions?api-version="
                    + io.tla.platform.config.ModelConfig.DEFAULT_AZURE_API_VERSION);
            assertThat(sent.getHeader("api-key")).isEqualTo("azure-secret-value");
            assertThat(sent.containsHeader("Authorization")).isFalse();
        });
    }
}
