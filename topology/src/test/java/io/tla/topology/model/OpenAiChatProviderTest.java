package io.tla.topology.model;

import static io.tla.topology.model.ChatCompletions.completion;
import static io.tla.topology.model.ChatCompletions.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.secrets.Secret;
import io.tla.schemas.Json;
import io.tla.schemas.Translation;
import io.tla.topology.context.Turn;
import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OpenAiChatProviderTest {

    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final String KEY = "sk-test-do-not-leak-1234567890";

    private static ModelConfig.Provider provider(String type, String... extra) {
        Map<String, String> keys = new HashMap<>(Map.of("model.providers", "llm",
                "model.provider.llm.type", type,
                "model.provider.llm.base-url", "https://llm.example.test/v1/",
                "model.provider.llm.model", "gpt-4o-mini",
                "model.provider.llm.input-usd-per-1k-tokens", "0.5",
                "model.provider.llm.output-usd-per-1k-tokens", "2.0"));
        for (int i = 0; i < extra.length; i += 2) {
            keys.put(extra[i], extra[i + 1]);
        }
        return ChatCompletions.config(keys).primary();
    }

    private static OpenAiChatProvider chat(ModelConfig.Provider config, ChatCompletions.Secrets secrets) {
        return new OpenAiChatProvider(config, secrets, HttpClient.newHttpClient(), CLOCK);
    }

    private static String bodyOf(HttpRequest request) throws Exception {
        CompletableFuture<String> body = new CompletableFuture<>();
        StringBuilder text = new StringBuilder();
        request.bodyPublisher().orElseThrow().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ByteBuffer item) {
                text.append(StandardCharsets.UTF_8.decode(item));
            }

            @Override
            public void onError(Throwable throwable) {
                body.completeExceptionally(throwable);
            }

            @Override
            public void onComplete() {
                body.complete(text.toString());
            }
        });
        return body.get(5, TimeUnit.SECONDS);
    }

    @Test
    void buildsAnOpenAiRequestWithBearerKeyMessagesInOrderAndTheAnswerSchema() throws Exception {
        OpenAiChatProvider chat = chat(provider("openai", "model.provider.llm.api-key-secret", "openai-key"),
                new ChatCompletions.Secrets());
        ModelRequest request = new ModelRequest("t", "c", "m", "Guten Morgen", List.of("en", "fr"),
                List.of(new Turn("m0", "Anna", "Hallo zusammen", NOW)), 300, "de", "casual", List.of());
        Prompt prompt = OpenAiChatProvider.prompt(request);

        HttpRequest http = chat.httpRequest(prompt, 300, Optional.of(new Secret("openai-key", KEY, null)));

        assertThat(http.uri().toString()).isEqualTo("https://llm.example.test/v1/chat/completions");
        assertThat(http.method()).isEqualTo("POST");
        assertThat(http.headers().firstValue("Authorization")).contains("Bearer " + KEY);
        assertThat(http.headers().firstValue("api-key")).isEmpty();
        assertThat(http.timeout()).contains(Duration.ofMillis(30_000));
        JsonNode body = Json.mapper().readTree(bodyOf(http));
        assertThat(body.path("model").asText()).isEqualTo("gpt-4o-mini");
        assertThat(body.path("max_tokens").asInt()).isEqualTo(300);
        assertThat(body.path("messages")).extracting(m -> m.path("role").asText())
                .containsExactly("system", "user", "user");
        assertThat(body.path("messages").get(0).path("content").asText()).isEqualTo(prompt.system());
        assertThat(body.path("messages").get(1).path("content").asText()).startsWith(PromptBuilder.CONTEXT_MARKER);
        assertThat(body.path("messages").get(2).path("content").asText()).isEqualTo("Guten Morgen");
        JsonNode format = body.path("response_format");
        assertThat(format.path("type").asText()).isEqualTo("json_schema");
        assertThat(format.path("json_schema").path("strict").asBoolean()).isTrue();
        JsonNode schema = format.path("json_schema").path("schema");
        assertThat(schema.has("$schema")).isFalse();
        assertThat(schema.path("properties").path("translations").path("items").path("properties").path("language")
                .path("enum")).extracting(JsonNode::asText).containsExactly("en", "fr");
    }

    @Test
    void buildsAnAzureRequestToTheDeploymentWithApiVersionAndApiKeyHeader() throws Exception {
        OpenAiChatProvider chat = chat(provider("azure-openai", "model.provider.llm.base-url",
                "https://contoso.openai.azure.com", "model.provider.llm.model", "translator-deploy"),
                new ChatCompletions.Secrets());

        HttpRequest http = chat.httpRequest(OpenAiChatProvider.prompt(request("Hallo", List.of("en"))), 256,
                Optional.of(new Secret("azure-key", KEY, null)));

        assertThat(http.uri().toString()).isEqualTo("https://contoso.openai.azure.com/openai/deployments/"
                + "translator-deploy/chat/completions?api-version=" + ModelConfig.DEFAULT_AZURE_API_VERSION);
        assertThat(http.headers().firstValue("api-key")).contains(KEY);
        assertThat(http.headers().firstValue("Authorization")).isEmpty();
        JsonNode body = Json.mapper().readTree(bodyOf(http));
        assertThat(body.has("model")).as("Azure takes the deployment from the URL").isFalse();
        assertThat(body.path("response_format").path("type").asText()).isEqualTo("json_schema");
    }

    @Test
    void usesTheConfiguredAzureApiVersion() {
        OpenAiChatProvider chat = chat(provider("azure-openai", "model.provider.llm.api-version", "2025-01-01-preview"),
                new ChatCompletions.Secrets());
        assertThat(chat.endpoint().getQuery()).isEqualTo("api-version=2025-01-01-preview");
    }

    @Test
    void sendsNoAuthorisationWhenNoKeyIsConfigured() {
        OpenAiChatProvider chat = chat(provider("openai", "model.provider.llm.base-url", "http://localhost:11434/v1"),
                new ChatCompletions.Secrets());
        HttpRequest http = chat.httpRequest(OpenAiChatProvider.prompt(request("Hallo", List.of("en"))), 256,
                Optional.empty());
        assertThat(http.headers().map()).doesNotContainKeys("Authorization", "api-key");
        assertThat(http.version()).contains(HttpClient.Version.HTTP_1_1);
    }

    @Test
    void parsesTranslationsSourceLanguageUsageAndPricesTheTokens() {
        OpenAiChatProvider chat = chat(provider("openai"), new ChatCompletions.Secrets());
        Prompt prompt = OpenAiChatProvider.prompt(request("Guten Morgen", List.of("en", "fr")));

        ModelResponse response = chat.parse(completion("{\"sourceLanguage\":\"de\",\"translations\":["
                + "{\"language\":\"en\",\"text\":\"Good morning\"},{\"language\":\"fr\",\"text\":\"Bonjour\"}]}", true),
                prompt);

        assertThat(response.provider()).isEqualTo("llm");
        assertThat(response.model()).isEqualTo("served-model");
        assertThat(response.sourceLanguage()).isEqualTo("de");
        assertThat(response.translations()).containsExactly(new Translation("en", "Good morning"),
                new Translation("fr", "Bonjour"));
        assertThat(response.usage().inputTokens()).isEqualTo(120);
        assertThat(response.usage().outputTokens()).isEqualTo(30);
        // 120 × 0.5 / 1000 + 30 × 2.0 / 1000
        assertThat(response.usage().costUsd()).isEqualByComparingTo(new BigDecimal("0.12"));
        assertThat(response.fallbacks()).isEmpty();
    }

    @Test
    void estimatesUsageWhenTheServerReportsNone() {
        OpenAiChatProvider chat = chat(provider("openai"), new ChatCompletions.Secrets());
        Prompt prompt = OpenAiChatProvider.prompt(request("Guten Morgen", List.of("en")));

        ModelResponse response = chat.parse(completion(
                "{\"sourceLanguage\":\"de\",\"translations\":[{\"language\":\"en\",\"text\":\"Good morning\"}]}", false),
                prompt);

        assertThat(response.usage().inputTokens()).isGreaterThanOrEqualTo(prompt.system().length() / 4);
        assertThat(response.usage().outputTokens()).isEqualTo(3); // "Good morning": 12 characters
        assertThat(response.usage().costUsd()).isPositive();
    }

    @Test
    void acceptsJsonInsideAMarkdownFence() {
        OpenAiChatProvider chat = chat(provider("openai"), new ChatCompletions.Secrets());
        ModelResponse response = chat.parse(completion("```json\n{\"sourceLanguage\":\"de\",\"translations\":"
                + "[{\"language\":\"en\",\"text\":\"Hi\"}]}\n```", true),
                OpenAiChatProvider.prompt(request("Hallo", List.of("en"))));
        assertThat(response.translations()).containsExactly(new Translation("en", "Hi"));
    }

    @Test
    void rejectsAnAnswerThatIsNotTheJsonAskedForAsMalformedOutput() {
        OpenAiChatProvider chat = chat(provider("openai"), new ChatCompletions.Secrets());
        Prompt prompt = OpenAiChatProvider.prompt(request("Hallo", List.of("en")));
        for (String body : List.of(completion("Sure! Here is the translation: Hello", true),
                completion("{\"sourceLanguage\":\"de\"}", true),
                completion("{\"translations\":[{\"language\":\"en\"}]}", true),
                "{\"choices\":[]}", "<html>gateway</html>")) {
            assertThatThrownBy(() -> chat.parse(body, prompt)).as(body).isInstanceOfSatisfying(ProviderException.class,
                    e -> assertThat(e.reason()).isEqualTo(ProviderException.MALFORMED_OUTPUT));
        }
    }

    @Test
    void readsRetryAfterAsSecondsOrAnHttpDate() {
        assertThat(OpenAiChatProvider.retryAfter(Optional.of("3"), CLOCK)).contains(Duration.ofSeconds(3));
        assertThat(OpenAiChatProvider.retryAfter(Optional.of("Wed, 25 Nov 2026 10:00:07 GMT"), CLOCK))
                .contains(Duration.ofSeconds(7));
        assertThat(OpenAiChatProvider.retryAfter(Optional.of("soon"), CLOCK)).isEmpty();
        assertThat(OpenAiChatProvider.retryAfter(Optional.empty(), CLOCK)).isEmpty();
    }

    @Test
    void failsAtOnceWithSecretMissingOrExpiredWithoutShowingAnyValue() {
        ModelConfig.Provider config = provider("openai", "model.provider.llm.api-key-secret", "openai-key");

        Throwable missing = chat(config, new ChatCompletions.Secrets())
                .translate(request("Hallo", List.of("en"))).toCompletableFuture()
                .handle((response, error) -> error).join();
        assertThat(missing).isInstanceOfSatisfying(ProviderException.class,
                e -> assertThat(e.reason()).isEqualTo(ProviderException.SECRET_MISSING));

        Throwable expired = chat(config, new ChatCompletions.Secrets()
                .with(new Secret("openai-key", KEY, NOW.minusSeconds(1))))
                .translate(request("Hallo", List.of("en"))).toCompletableFuture()
                .handle((response, error) -> error instanceof CompletionException ? error.getCause() : error).join();
        assertThat(expired).isInstanceOfSatisfying(ProviderException.class,
                e -> assertThat(e.reason()).isEqualTo(ProviderException.SECRET_EXPIRED));
        assertThat(expired.getMessage()).doesNotContain(KEY);
    }
}
