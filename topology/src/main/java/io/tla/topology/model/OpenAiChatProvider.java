package io.tla.topology.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.secrets.Secret;
import io.tla.platform.secrets.SecretLookup;
import io.tla.platform.secrets.SecretStore;
import io.tla.schemas.Json;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.tla.topology.Tokens;
import io.tla.topology.language.Tone;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A chat-completions provider over the JDK's asynchronous HTTP client: {@code openai} for any OpenAI-compatible
 * server ({@code {base-url}/chat/completions}, {@code Authorization: Bearer KEY}, the key optional for local
 * servers such as Ollama), {@code azure-openai} for an Azure OpenAI deployment
 * ({@code {base-url}/openai/deployments/{model}/chat/completions?api-version=...}, header {@code api-key}).
 * The answer is asked for as JSON following {@link PromptBuilder}'s schema. One call is one attempt: retries,
 * the breaker and the timeout are {@link ResilientModelProvider}'s.
 */
public final class OpenAiChatProvider implements ModelProvider {

    public static final String OPENAI = "openai";
    public static final String AZURE_OPENAI = "azure-openai";

    private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);

    private final ModelConfig.Provider config;
    private final SecretStore secrets;
    private final HttpClient http;
    private final Clock clock;
    private final boolean azure;

    public OpenAiChatProvider(ModelConfig.Provider config, SecretStore secrets, HttpClient http, Clock clock) {
        if (!OPENAI.equals(config.type()) && !AZURE_OPENAI.equals(config.type())) {
            throw new IllegalArgumentException("not a chat-completions provider type: " + config.type());
        }
        this.config = config;
        this.secrets = secrets;
        this.http = http;
        this.clock = clock;
        this.azure = AZURE_OPENAI.equals(config.type());
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public String model() {
        return config.model();
    }

    @Override
    public CompletionStage<ModelResponse> translate(ModelRequest request) {
        // a malformed answer fails the call; the chain asks once more, saying what was wrong
        CompletableFuture<ModelResponse> result = new CompletableFuture<>();
        call(request).whenComplete((response, error) -> {
            if (error == null) {
                result.complete(response);
            } else {
                result.completeExceptionally(unwrap(error));
            }
        });
        return result;
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
    }

    private CompletionStage<ModelResponse> call(ModelRequest request) {
        try {
            Optional<Secret> key = key();
            Prompt prompt = prompt(request);
            HttpRequest httpRequest = httpRequest(prompt, request.maxOutputTokens(), key);
            return http.sendAsync(httpRequest, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                    .handle((response, error) -> {
                        if (error != null) {
                            throw new CompletionException(transportFailure(error));
                        }
                        return answer(response, prompt);
                    });
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new ProviderException(name(), ProviderException.ERROR, 0, null,
                    e.getClass().getSimpleName(), null));
        }
    }

    /**
     * The API key, when one is configured; a configured key that is missing, disabled, not yet valid, expired or
     * unreadable fails the call at once, with the store's status as the reason ({@code secret-expired}, ...).
     */
    private Optional<Secret> key() {
        if (config.apiKeySecret() == null || config.apiKeySecret().isBlank()) {
            return Optional.empty(); // local servers (Ollama, vLLM) need none
        }
        SecretLookup lookup = secrets.lookup(config.apiKeySecret());
        Optional<Secret> usable = lookup.usableSecret();
        if (usable.isEmpty()) {
            throw new ProviderException(name(), ProviderException.SECRET_PREFIX + lookup.status().label(),
                    "secret " + config.apiKeySecret() + " in " + secrets.kind());
        }
        Secret secret = usable.get();
        if (secret.expiresOn().filter(expiry -> !expiry.isAfter(clock.instant())).isPresent()) {
            throw new ProviderException(name(), ProviderException.SECRET_EXPIRED, "secret " + config.apiKeySecret());
        }
        return usable;
    }

    static Prompt prompt(ModelRequest request) {
        List<Prompt.Term> terms = request.glossary().stream()
                .map(term -> new Prompt.Term(term.sourceTerm(), term.targetLanguage(), term.targetTerm(), term.strict()))
                .toList();
        return PromptBuilder.build(request.text(), request.sourceLanguage(), request.targetLanguages(),
                Tone.of(request.tone()), terms, request.context(), request.toneTemplate(), request.correction());
    }

    /** The endpoint of this provider's chat completions. */
    URI endpoint() {
        String base = config.baseUrl().endsWith("/") ? config.baseUrl().substring(0, config.baseUrl().length() - 1)
                : config.baseUrl();
        if (azure) {
            return URI.create(base + "/openai/deployments/" + URLEncoder.encode(config.model(), StandardCharsets.UTF_8)
                    + "/chat/completions?api-version=" + URLEncoder.encode(config.apiVersion(), StandardCharsets.UTF_8));
        }
        return URI.create(base + "/chat/completions");
    }

    HttpRequest httpRequest(Prompt prompt, int maxOutputTokens, Optional<Secret> key) {
        URI endpoint = endpoint();
        HttpRequest.Builder builder = HttpRequest.newBuilder(endpoint)
                .timeout(Duration.ofMillis(config.timeoutMs()))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(prompt, maxOutputTokens), StandardCharsets.UTF_8));
        if ("http".equalsIgnoreCase(endpoint.getScheme())) {
            // no h2c upgrade dance with plain-HTTP local servers; over TLS, HTTP/2 is negotiated
            builder.version(HttpClient.Version.HTTP_1_1);
        }
        key.ifPresent(secret -> {
            if (azure) {
                builder.header("api-key", secret.reveal());
            } else {
                builder.header("Authorization", "Bearer " + secret.reveal());
            }
        });
        return builder.build();
    }

    /** The chat-completions request body: system, context turns, the message; the answer as JSON per the schema. */
    String body(Prompt prompt, int maxOutputTokens) {
        ObjectNode body = Json.mapper().createObjectNode();
        if (!azure) {
            body.put("model", config.model()); // Azure takes the deployment from the URL
        }
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", prompt.system());
        for (Prompt.Message message : prompt.context()) {
            messages.addObject().put("role", message.role() == Prompt.Role.ASSISTANT ? "assistant" : "user")
                    .put("content", message.text());
        }
        messages.addObject().put("role", "user").put("content", prompt.user());
        body.put("temperature", 0);
        body.put("max_tokens", maxOutputTokens);
        ObjectNode format = body.putObject("response_format");
        format.put("type", "json_schema");
        ObjectNode jsonSchema = format.putObject("json_schema");
        jsonSchema.put("name", "translations");
        jsonSchema.put("strict", true);
        ObjectNode schema = (ObjectNode) read(prompt.outputSchema());
        schema.remove("$schema"); // strict structured output accepts a subset of JSON Schema, without it
        jsonSchema.set("schema", schema);
        try {
            return Json.mapper().writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings serialises", e);
        }
    }

    private ModelResponse answer(HttpResponse<String> response, Prompt prompt) {
        int status = response.statusCode();
        if (status < 200 || status > 299) {
            throw new CompletionException(ProviderException.httpStatus(name(), status,
                    retryAfter(response.headers().firstValue("Retry-After"), clock).orElse(null)));
        }
        return parse(response.body(), prompt);
    }

    /**
     * The translations, source language and usage of a chat-completions answer: {@code choices[0].message.content}
     * holds the JSON asked for. Token counts come from {@code usage}, estimated when the server reports none.
     */
    ModelResponse parse(String responseBody, Prompt prompt) {
        JsonNode root;
        JsonNode answer;
        try {
            root = read(responseBody);
            JsonNode content = root.path("choices").path(0).path("message").path("content");
            if (!content.isTextual()) {
                throw malformed("no choices[0].message.content");
            }
            answer = read(stripFence(content.asText()));
        } catch (IllegalArgumentException e) {
            throw malformed("not JSON");
        }
        JsonNode list = answer.path("translations");
        if (!list.isArray()) {
            throw malformed("no translations array");
        }
        List<Translation> translations = new ArrayList<>();
        for (JsonNode item : list) {
            if (!item.path("language").isTextual() || !item.path("text").isTextual()) {
                throw malformed("a translation without language or text");
            }
            translations.add(new Translation(item.get("language").asText(), item.get("text").asText()));
        }
        String sourceLanguage = answer.path("sourceLanguage").isTextual() ? answer.get("sourceLanguage").asText() : "und";
        JsonNode usage = root.path("usage");
        long input = usage.path("prompt_tokens").isIntegralNumber()
                ? usage.get("prompt_tokens").asLong() : estimateInput(prompt);
        long output = usage.path("completion_tokens").isIntegralNumber()
                ? usage.get("completion_tokens").asLong()
                : translations.stream().mapToLong(t -> Tokens.estimate(t.text())).sum();
        String model = root.path("model").isTextual() ? root.get("model").asText() : config.model();
        return new ModelResponse(name(), model, sourceLanguage, translations, new Usage(input, output, cost(input, output)));
    }

    private static long estimateInput(Prompt prompt) {
        return Tokens.estimate(prompt.system()) + Tokens.estimate(prompt.user())
                + prompt.context().stream().mapToLong(message -> Tokens.estimate(message.text())).sum();
    }

    private BigDecimal cost(long input, long output) {
        return config.inputUsdPer1kTokens().multiply(BigDecimal.valueOf(input))
                .add(config.outputUsdPer1kTokens().multiply(BigDecimal.valueOf(output)))
                .divide(THOUSAND, 8, RoundingMode.HALF_UP);
    }

    /** Some servers wrap JSON output in a Markdown code fence even when asked for JSON. */
    private static String stripFence(String content) {
        String trimmed = content.strip();
        if (trimmed.startsWith("```")) {
            int firstLine = trimmed.indexOf('\n');
            int end = trimmed.lastIndexOf("```");
            if (firstLine > 0 && end > firstLine) {
                return trimmed.substring(firstLine + 1, end);
            }
        }
        return trimmed;
    }

    private ProviderException malformed(String detail) {
        return new ProviderException(name(), ProviderException.MALFORMED_OUTPUT, detail);
    }

    private static JsonNode read(String json) {
        try {
            JsonNode node = Json.mapper().readTree(json);
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON");
        }
    }

    private ProviderException transportFailure(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof HttpTimeoutException) {
            return new ProviderException(name(), ProviderException.TIMEOUT, 0, null, null, null);
        }
        if (cause instanceof IOException) {
            return new ProviderException(name(), ProviderException.UNREACHABLE, 0, null,
                    cause.getClass().getSimpleName(), null);
        }
        return new ProviderException(name(), ProviderException.ERROR, 0, null, cause.getClass().getSimpleName(), null);
    }

    /** {@code Retry-After}: delay in seconds, or an HTTP date. */
    static Optional<Duration> retryAfter(Optional<String> header, Clock clock) {
        if (header.isEmpty() || header.get().isBlank()) {
            return Optional.empty();
        }
        String value = header.get().trim();
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(value))));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration wait = Duration.between(clock.instant(), at.toInstant());
                return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
            } catch (RuntimeException notADate) {
                return Optional.empty();
            }
        }
    }
}
