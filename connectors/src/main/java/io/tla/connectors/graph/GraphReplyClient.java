package io.tla.connectors.graph;

import com.microsoft.graph.core.requests.GraphClientFactory;
import com.microsoft.graph.core.requests.options.GraphClientOption;
import com.microsoft.graph.models.BodyType;
import com.microsoft.graph.models.ChatMessage;
import com.microsoft.graph.models.ChatMessageAttachment;
import com.microsoft.graph.models.ChatMessageCollectionResponse;
import com.microsoft.graph.models.ItemBody;
import com.microsoft.graph.models.odataerrors.ODataError;
import com.microsoft.graph.serviceclient.GraphServiceClient;
import com.microsoft.graph.teams.item.channels.item.messages.item.replies.RepliesRequestBuilder;
import com.microsoft.kiota.ApiException;
import com.microsoft.kiota.authentication.AuthenticationProvider;
import com.microsoft.kiota.http.middleware.RetryHandler;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tla.platform.config.GraphConfig;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.ConnectionPool;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Microsoft Graph through the official SDK, as the reply connector uses it: post one part of a reply to a channel
 * thread or a chat, and find which parts of a reply a thread or chat already holds (by their markers).
 *
 * <p>Retries are resilience4j's alone: the SDK's own retry handler is left out of the HTTP stack, so the two never
 * stack. 503, 504 and network errors without {@code Retry-After} are retried here after an exponential backoff up
 * to {@code graph.retry.max-attempts}; a failure with {@code Retry-After} (429, mostly) is thrown at once, for the
 * reply sink to schedule the reply again after it. After an ambiguous failure (504, network) the next attempt first
 * looks for the part's marker, so a message Graph did create is not posted twice. Every HTTP request is counted
 * ({@code tla_graph_requests_total{status,operation}}) and timed ({@code tla_graph_request_seconds}).
 */
public final class GraphReplyClient implements AutoCloseable {

    /** One part posted, or found already posted, with the requests it took. */
    public record Posted(String messageId, int attempts, boolean foundExisting) {
    }

    private static final int PAGE_SIZE = 50;
    private static final Logger log = LoggerFactory.getLogger(GraphReplyClient.class);

    private final GraphConfig config;
    private final GraphAuth auth;
    private final OkHttpClient http;
    private final GraphServiceClient shared;
    private final Map<String, GraphServiceClient> perSender;
    private final RetryConfig retryConfig;
    private final MeterRegistry registry;
    private final Map<String, Counter> requestCounters = new ConcurrentHashMap<>();
    private final Timer postTimer;
    private final Timer listTimer;

    public GraphReplyClient(GraphConfig config, GraphAuth auth, MeterRegistry registry) {
        this.config = config;
        this.auth = auth;
        this.registry = registry;
        // registered up front, so dashboards and alerts see them before the first request
        this.postTimer = requestTimer(registry, "post");
        this.listTimer = requestTimer(registry, "list");
        List<Interceptor> interceptors = new ArrayList<>();
        interceptors.add(this::measure); // outermost: one count and one timing per HTTP request
        Arrays.stream(GraphClientFactory.createDefaultGraphInterceptors(new GraphClientOption()))
                .filter(interceptor -> !(interceptor instanceof RetryHandler))
                .forEach(interceptors::add);
        this.http = GraphClientFactory.create(interceptors)
                .connectionPool(new ConnectionPool(Math.max(5, config.maxConcurrency()), 5, TimeUnit.MINUTES))
                .callTimeout(config.requestTimeout())
                .readTimeout(config.requestTimeout())
                .build();
        this.http.dispatcher().setMaxRequestsPerHost(Math.max(5, config.maxConcurrency()));
        this.shared = auth.perSender() ? null : client(auth.shared());
        // bounded: one client (and token cache) per recent sender
        this.perSender = auth.perSender() ? Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, GraphServiceClient> eldest) {
                return size() > 1_000;
            }
        }) : null;
        this.retryConfig = RetryConfig.<Object>custom()
                .maxAttempts(config.maxAttempts())
                // quick retries only without Retry-After: a throttled reply is scheduled again by the sink, which
                // waits without holding a thread or the tenant's other conversations
                .retryOnException(e -> e instanceof GraphFailure failure
                        && failure.kind() == GraphFailure.Kind.RETRIABLE && failure.retryAfter() == null)
                .intervalBiFunction((IntervalBiFunction<Object>) (attempt, outcome) -> {
                    Throwable error = outcome.isLeft() ? outcome.getLeft() : null;
                    if (error instanceof GraphFailure failure && failure.retryAfter() != null) {
                        return failure.retryAfter().toMillis();
                    }
                    return config.initialBackoff().toMillis() << Math.min(10, attempt - 1);
                })
                .failAfterMaxAttempts(false)
                .build();
    }

    private GraphServiceClient client(AuthenticationProvider provider) {
        GraphServiceClient client = new GraphServiceClient(provider, http);
        client.getRequestAdapter().setBaseUrl(config.baseUrl());
        return client;
    }

    private GraphServiceClient clientFor(GraphAuth.User user) {
        if (shared != null) {
            return shared;
        }
        // keyed by tenant and sender: a client (and its token) made for one tenant's reply never serves another's
        String key = (user.tenantId() == null ? "" : user.tenantId().toLowerCase(java.util.Locale.ROOT)) + "|"
                + (user.aadObjectId() == null ? "" : user.aadObjectId());
        return perSender.computeIfAbsent(key, k -> client(auth.forSender(user)));
    }

    /**
     * Posts {@code part} to {@code address} with retries. With {@code checkFirst} (an earlier post of this reply
     * was not confirmed), or after an ambiguous failure, it first looks for the part's marker and returns the
     * message found instead of posting again. {@code pace} runs before each post (the tenant's rate limit).
     */
    public Posted post(ReplyAddress address, String replyId, TeamsReplyRenderer.Part part, GraphAuth.User sender,
                       boolean checkFirst, Runnable pace) {
        AtomicInteger attempts = new AtomicInteger();
        AtomicReference<Instant> firstFailure = new AtomicReference<>();
        AtomicBoolean check = new AtomicBoolean(checkFirst);
        AtomicBoolean found = new AtomicBoolean();
        Retry retry = Retry.of("graph-post", retryConfig);
        try {
            String messageId = Retry.decorateSupplier(retry, () -> {
                attempts.incrementAndGet();
                try {
                    if (check.get()) {
                        String existing = find(address, replyId, sender).get(part.index());
                        if (existing != null) {
                            found.set(true);
                            return existing;
                        }
                        check.set(false);
                    }
                    pace.run();
                    return postOnce(address, part, sender);
                } catch (GraphFailure failure) {
                    firstFailure.compareAndSet(null, Instant.now());
                    if (failure.ambiguous()) {
                        check.set(true);
                    }
                    throw failure;
                }
            }).get();
            return new Posted(messageId, attempts.get(), found.get());
        } catch (GraphFailure failure) {
            throw new AttemptsExhausted(failure, attempts.get(), firstFailure.get());
        }
    }

    /** The last failure of a post and how many requests were made; the cause is the {@link GraphFailure}. */
    public static final class AttemptsExhausted extends RuntimeException {
        private final int attempts;
        private final Instant firstFailureAt;

        AttemptsExhausted(GraphFailure failure, int attempts, Instant firstFailureAt) {
            super(failure.getMessage(), failure);
            this.attempts = attempts;
            this.firstFailureAt = firstFailureAt;
        }

        public Instant firstFailureAt() {
            return firstFailureAt;
        }

        public GraphFailure failure() {
            return (GraphFailure) getCause();
        }

        public int attempts() {
            return attempts;
        }
    }

    private String postOnce(ReplyAddress address, TeamsReplyRenderer.Part part, GraphAuth.User sender) {
        ChatMessage message = new ChatMessage();
        ItemBody body = new ItemBody();
        body.setContentType(BodyType.Html);
        body.setContent(part.html());
        message.setBody(body);
        if (part.isCard()) {
            ChatMessageAttachment attachment = new ChatMessageAttachment();
            attachment.setId(part.attachmentId());
            attachment.setContentType(TeamsReplyRenderer.CARD_CONTENT_TYPE);
            attachment.setContent(part.cardJson());
            message.setAttachments(List.of(attachment));
        }
        ChatMessage created = call(address, () -> {
            GraphServiceClient client = clientFor(sender);
            if (address instanceof ReplyAddress.ChannelThread thread) {
                return replies(client, thread).post(message);
            }
            return client.chats().byChatId(((ReplyAddress.Chat) address).chatId()).messages().post(message);
        });
        return created == null ? null : created.getId();
    }

    /**
     * The parts of {@code replyId} that {@code address} already holds, by part number, with their message ids:
     * up to {@code graph.recovery.max-pages} pages of the thread's replies or the chat's newest messages.
     */
    public Map<Integer, String> find(ReplyAddress address, String replyId, GraphAuth.User sender) {
        Pattern marker = Pattern.compile(Pattern.quote(TeamsReplyRenderer.MARKER_PREFIX + replyId + ":") + "(\\d+)");
        Map<Integer, String> found = new LinkedHashMap<>();
        GraphServiceClient client = clientFor(sender);
        ChatMessageCollectionResponse page = call(address, () -> {
            if (address instanceof ReplyAddress.ChannelThread thread) {
                return replies(client, thread).get(request -> request.queryParameters.top = PAGE_SIZE);
            }
            return client.chats().byChatId(((ReplyAddress.Chat) address).chatId()).messages().get(request -> {
                request.queryParameters.top = PAGE_SIZE;
                request.queryParameters.orderby = new String[] {"createdDateTime desc"};
            });
        });
        for (int pages = 1; page != null; pages++) {
            if (page.getValue() != null) {
                for (ChatMessage message : page.getValue()) {
                    scan(message, marker, found);
                }
            }
            String next = page.getOdataNextLink();
            if (next == null || pages >= config.recoveryMaxPages()) {
                break;
            }
            page = call(address, () -> address instanceof ReplyAddress.ChannelThread thread
                    ? replies(client, thread).withUrl(next).get()
                    : client.chats().byChatId(((ReplyAddress.Chat) address).chatId()).messages().withUrl(next).get());
        }
        return found;
    }

    private static RepliesRequestBuilder replies(GraphServiceClient client, ReplyAddress.ChannelThread thread) {
        return client.teams().byTeamId(thread.teamId()).channels().byChannelId(thread.channelId()).messages()
                .byChatMessageId(thread.rootMessageId()).replies();
    }

    private static void scan(ChatMessage message, Pattern marker, Map<Integer, String> found) {
        List<String> texts = new ArrayList<>();
        if (message.getBody() != null && message.getBody().getContent() != null) {
            texts.add(message.getBody().getContent());
        }
        if (message.getAttachments() != null) {
            message.getAttachments().stream().map(ChatMessageAttachment::getContent)
                    .filter(java.util.Objects::nonNull).forEach(texts::add);
        }
        for (String text : texts) {
            Matcher matcher = marker.matcher(text);
            while (matcher.find()) {
                found.putIfAbsent(Integer.parseInt(matcher.group(1)), message.getId());
            }
        }
    }

    /** Status and headers of the last HTTP response on this thread, for errors the SDK cannot parse. */
    private record LastResponse(int status, String retryAfter, String requestId) {
    }

    private final ThreadLocal<LastResponse> lastResponse = new ThreadLocal<>();

    /** Runs one SDK call, turning what it throws into a classified {@link GraphFailure}. */
    private <T> T call(ReplyAddress address, java.util.function.Supplier<T> request) {
        lastResponse.remove();
        try {
            return request.get();
        } catch (ApiException e) {
            throw classify(e.getResponseStatusCode(), e instanceof ODataError odata ? odata : null,
                    header(e, "Retry-After"), header(e, "request-id"), address);
        } catch (RuntimeException e) {
            LastResponse last = lastResponse.get();
            if (last != null && last.status() >= 400) {
                // an error answer whose body is not Graph's JSON (a gateway's text or HTML page): the status decides
                throw classify(last.status(), null, last.retryAfter(), last.requestId(), address);
            }
            throw unanswered(e, address);
        }
    }

    /** A call that got no usable HTTP answer: no user assertion, no token, the network, or a fault here. */
    private GraphFailure unanswered(RuntimeException e, ReplyAddress address) {
        if (e instanceof GraphAuth.NoUserAssertionException) {
            return new GraphFailure(GraphFailure.Kind.FINAL, 0, null, null, null, "graph-no-user-assertion",
                    e.getMessage());
        }
        if (causedBy(e, IOException.class)) {
            Throwable cause = rootCause(e);
            return new GraphFailure(GraphFailure.Kind.RETRIABLE, 0, null, null, null,
                    cause instanceof InterruptedIOException ? "timeout" : "network",
                    "no response from Graph for " + address.describe() + ": " + cause.getClass().getSimpleName());
        }
        if (authenticationFailure(e)) {
            return new GraphFailure(GraphFailure.Kind.AUTHENTICATION, 0, null, null, null, "graph-auth",
                    "no Graph token: " + rootCause(e).getClass().getSimpleName());
        }
        // not Graph's answer nor the network: a fault on this side, kept in the log with its stack
        log.warn("event=graph_client_error target={} error={}", address.describe(), rootCause(e).toString(), e);
        return new GraphFailure(GraphFailure.Kind.FINAL, 0, null, null, null, "graph-client-error",
                "Graph request to " + address.describe() + " failed: " + rootCause(e).getClass().getSimpleName());
    }

    private GraphFailure classify(int status, ODataError odata, String retryAfterHeader, String requestIdHeader,
                                  ReplyAddress address) {
        String code = null;
        String requestId = requestIdHeader;
        if (odata != null && odata.getError() != null) {
            code = odata.getError().getCode();
            if (odata.getError().getInnerError() != null && odata.getError().getInnerError().getRequestId() != null) {
                requestId = odata.getError().getInnerError().getRequestId();
            }
        }
        Duration retryAfter = retryAfter(retryAfterHeader);
        String message = "Graph answered " + status + (code == null ? "" : " " + code) + " for "
                + address.describe() + (requestId == null ? "" : " (request-id " + requestId + ")");
        GraphFailure.Kind kind = switch (status) {
            case 429, 503, 504 -> GraphFailure.Kind.RETRIABLE;
            case 401 -> GraphFailure.Kind.AUTHENTICATION;
            default -> GraphFailure.Kind.FINAL;
        };
        GraphFailure failure = new GraphFailure(kind, status, code, requestId, retryAfter, "http-" + status, message);
        if (kind == GraphFailure.Kind.RETRIABLE && retryAfter != null
                && retryAfter.compareTo(config.maxRetryAfter()) > 0) {
            return failure.asFinal("Retry-After " + retryAfter.toSeconds() + " s exceeds "
                    + GraphConfig.MAX_RETRY_AFTER_MS);
        }
        return failure;
    }

    private static String header(ApiException e, String name) {
        if (e.getResponseHeaders() == null) {
            return null;
        }
        Set<String> values = e.getResponseHeaders().get(name);
        return values == null || values.isEmpty() ? null : values.iterator().next();
    }

    /** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
    static Duration retryAfter(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim())));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration wait = Duration.between(Instant.now(), at);
                return wait.isNegative() ? Duration.ZERO : wait;
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static boolean authenticationFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String name = t.getClass().getName();
            if (name.equals("com.azure.core.exception.ClientAuthenticationException")
                    || name.startsWith("com.microsoft.aad.msal4j.") || t instanceof IllegalStateException) {
                return true; // the credential, or a secret the credential needs, is missing or refused
            }
        }
        return false;
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    private Response measure(Interceptor.Chain chain) throws IOException {
        String operation = "POST".equals(chain.request().method()) ? "post" : "list";
        long start = System.nanoTime();
        String status = "io-error";
        try {
            Response response = chain.proceed(chain.request());
            status = Integer.toString(response.code());
            lastResponse.set(new LastResponse(response.code(), response.header("Retry-After"),
                    response.header("request-id")));
            return response;
        } finally {
            String tagStatus = status;
            requestCounters.computeIfAbsent(operation + "|" + tagStatus, key -> Counter.builder("tla.graph.requests")
                    .description("HTTP requests to Microsoft Graph by status").tag("operation", operation)
                    .tag("status", tagStatus).register(registry)).increment();
            ("post".equals(operation) ? postTimer : listTimer).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    private static Timer requestTimer(MeterRegistry registry, String operation) {
        return Timer.builder("tla.graph.request").description("Duration of one HTTP request to Microsoft Graph")
                .tag("operation", operation).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
    }

    @Override
    public void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
