package io.tla.connectors.ingress;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.tla.connectors.teams.TeamSightings;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.SyncReplyConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.config.WebhookConfig.Registration;
import io.tla.platform.http.Health;
import io.tla.platform.http.HttpServer;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.Secret;
import io.tla.schemas.Json;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Topics;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/messages}: verifies the Teams outgoing-webhook signature on the raw body, parses and validates
 * the activity strictly, checks that it speaks for the tenant (and team) its key is bound to ({@link KeyBinding})
 * and that its signed timestamp is fresh, normalises it and answers 202 only once the broker has acknowledged the
 * record on {@code teams.messages.v1}. Checks run in the contract's order: 415, 413, 401 (signature), 400, 401
 * {@code stale}, 403 {@code tenant-mismatch}/{@code team-mismatch}, 409 (another body under a seen activity id),
 * then 429 when shedding load and 503 when the message could not be stored. A repeated delivery gets the first
 * one's answer and stores nothing ({@link DeliveryMemory}). No request thread waits for the broker: the answer is
 * written when the produce completes. For a registration with {@code sync-reply} the request then waits, still
 * without a thread, for the message's reply ({@link SyncReplies}) and answers 200 with it when it comes in time.
 *
 * <p>Every request is answered within {@code webhook.answer-within-ms} (default 4 s: Teams' 5 s window less a
 * second for the network and the queue before the handler) of reaching the handler, whatever the broker does:
 * 202 (or the sync reply) once stored, else 503 with {@code Retry-After} and
 * {@code {"error":"broker-unavailable"}}. The places a request could wait, and what bounds each: {@code send()}
 * blocking on metadata (never on a request thread: sends go through one thread of their own, and one whose
 * request's time is up before its turn is not sent at all);
 * the broker's acknowledgement ({@code delivery.timeout.ms}, retried through leader moves) and a sync reply (its
 * deadline is capped to the budget): both are raced against the budget ({@link #withinBudget}); the delivery memory
 * (a repeat waits for the first delivery's outcome under its own budget).
 *
 * <p>A 503 answered because the budget ran out does not cancel the send: the record may still be stored afterwards
 * (the producer keeps retrying it for up to {@code delivery.timeout.ms}), and a produce reported as failed may even
 * have been written. A 503 is therefore not a promise that nothing was stored; what makes it safe is that the retry
 * Teams sends with the same activity id is recognised as a duplicate. The delivery memory keeps the delivery's real
 * outcome, not its HTTP answer: a retry arriving while the send is still pending waits for it (again within its own
 * budget); once the record is acknowledged the retry gets 202 and stores nothing; only when the producer reported a
 * failure is the delivery forgotten and the retry stored again. If that failed produce had in fact been written (an
 * ambiguous timeout), or the bounded memory had already let the delivery go, the second record is dropped by the
 * topology's {@code DuplicateActivityFilter} (tenant + activity id, 24 h), so there is still one reply. A late
 * completion holds nothing beyond its own future and in-flight slot, both released when the producer reports
 * (at most {@code delivery.timeout.ms} later); no thread waits for it.
 */
public final class TeamsIngress implements AutoCloseable {

    public static final String ROUTE = "/api/messages";
    public static final String HEALTH_COMPONENT = "ingress";
    static final String CLIENT_ID = "tla-ingress";

    private static final Logger log = LoggerFactory.getLogger(TeamsIngress.class);
    private static final String STORED = "last message stored on " + Topics.MESSAGES.name();

    private final HttpConfig http;
    private final WebhookConfig webhook;
    private final WebhookKeys keys;
    private final Clock clock;
    private final MeterRegistry registry;
    private final Producer<String, NormalizedMessage> producer;
    private final KafkaClientMetrics producerMetrics;
    private final long ackTimeoutMs;
    private final ScheduledExecutorService probe;
    private final SyncReplyConfig syncReplyConfig;
    private final SyncReplies syncReplies;
    private final KeyBinding defaultBinding;
    private final Map<String, KeyBinding> bindings = new HashMap<>();
    private final DeliveryMemory<Result> deliveries;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Map<Integer, StatusMeters> statusMeters = new ConcurrentHashMap<>();
    /** Writes answers off the producer's I/O thread, which must only move records. */
    private final ExecutorService answers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "tla-ingress-answers");
        t.setDaemon(true);
        return t;
    });
    private final Metric bufferAvailable;
    private final long bufferFloor;
    private final long answerWithinNanos;
    /** Answers requests whose budget runs out before their outcome; cancelled timers are removed at once. */
    private final ScheduledThreadPoolExecutor budget;
    /**
     * Calls {@code send()}, which blocks its caller for up to {@code max.block.ms} whenever the producer has no
     * metadata for the topic (at start, and after losing every broker: Kafka 4 then re-bootstraps and forgets it):
     * this thread waits then, never a request's. Bounded by {@code webhook.max-in-flight}.
     */
    private final ExecutorService sends = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tla-ingress-sends");
        t.setDaemon(true);
        return t;
    });

    private volatile boolean ready;
    private volatile TeamSightings teams = TeamSightings.NONE;
    private volatile String healthDetail = "waiting for the broker (topic " + Topics.MESSAGES.name() + ")";

    /** Without webhook registrations: every request is verified with the default key. */
    public TeamsIngress(HttpConfig http, WebhookConfig webhook, Secret defaultKey, KafkaClients clients,
                        TlaMetrics metrics, Health health, Clock clock) {
        this(http, webhook, defaultKey, clients, metrics, health, clock, noRegistrations(webhook));
    }

    private static Function<String, Optional<Secret>> noRegistrations(WebhookConfig webhook) {
        if (!webhook.registrations().isEmpty()) {
            throw new IllegalArgumentException("webhook registrations are configured: pass a secret lookup");
        }
        return name -> Optional.empty();
    }

    /**
     * @param defaultKey the {@code teams-webhook-hmac} key; null when none is configured (then only
     *                   registrations can be used and requests without {@code ?id=} get 401)
     * @param secrets    resolves a secret by its name: registrations' keys and previous keys (see {@link WebhookKeys})
     */
    public TeamsIngress(HttpConfig http, WebhookConfig webhook, Secret defaultKey, KafkaClients clients,
                        TlaMetrics metrics, Health health, Clock clock,
                        Function<String, Optional<Secret>> secrets) {
        this(http, webhook, defaultKey, clients, metrics, health, clock, secrets, SyncReplyConfig.defaults());
    }

    /**
     * @param syncReply how long a {@code sync-reply} registration's call waits for its reply; the replies topic is
     *                  followed only when some registration has {@code sync-reply}
     */
    public TeamsIngress(HttpConfig http, WebhookConfig webhook, Secret defaultKey, KafkaClients clients,
                        TlaMetrics metrics, Health health, Clock clock,
                        Function<String, Optional<Secret>> secrets, SyncReplyConfig syncReply) {
        this.syncReplyConfig = Objects.requireNonNull(syncReply, "syncReply");
        this.http = Objects.requireNonNull(http, "http");
        this.webhook = Objects.requireNonNull(webhook, "webhook");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.registry = metrics.registry();
        this.keys = new WebhookKeys(webhook, defaultKey, secrets, registry, clock);
        keys.requireUsableKeys();
        if (defaultKey == null) {
            log.warn("event=ingress_no_default_key detail=\"requests without ?id= will be rejected with 401\"");
        }
        this.defaultBinding = KeyBinding.ofDefaultKey(webhook);
        webhook.registrations().values().forEach(r -> bindings.put(r.name(), KeyBinding.of(r)));
        if (defaultKey != null && webhook.developmentMode()) {
            log.warn("event=webhook_development_mode detail=\"DEVELOPMENT MODE: the default webhook key is bound to no"
                    + " tenant (" + WebhookConfig.TENANT_ID + " is unset), so it speaks for whatever tenant a signed"
                    + " body"
                    + " names. Fine for one tenant on a developer's machine; never production-ready. Set "
                    + WebhookConfig.TENANT_ID + ", or use registrations (tla webhook add NAME --tenant-id T).\"");
        }
        this.deliveries = new DeliveryMemory<>(webhook.maxClockSkew().multipliedBy(2), webhook.replayMemoryEntries());
        registerRefusalCounters();
        this.answerWithinNanos = webhook.answerWithin().toNanos();
        this.budget = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "tla-ingress-budget");
            t.setDaemon(true);
            return t;
        });
        budget.setRemoveOnCancelPolicy(true); // answered in time: its timer goes, no queue of dead timers
        Map<String, Object> props = producerProperties(clients, webhook.answerWithin());
        this.ackTimeoutMs = asLong(props.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)) + 1_000;
        this.producer = new KafkaProducer<>(props, Topics.MESSAGES.keySerde().serializer(),
                Topics.MESSAGES.valueSerde().serializer());
        this.producerMetrics = new KafkaClientMetrics(producer);
        producerMetrics.bindTo(registry);
        this.bufferAvailable = producer.metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals("buffer-available-bytes")
                        && e.getKey().group().equals("producer-metrics"))
                .map(Map.Entry::getValue).findFirst().orElse(null);
        // shed load before send() would block a request thread waiting for buffer space
        this.bufferFloor = 2L * http.maxBodyBytes();
        Gauge.builder("tla.ingress.in.flight", inFlight, AtomicInteger::get)
                .description("Messages the ingress is storing on the broker right now"
                        + " (bounded by webhook.max-in-flight)")
                .register(registry);
        health.register(HEALTH_COMPONENT, () -> new Health.Check(ready, healthDetail));
        this.probe = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tla-ingress-probe");
            t.setDaemon(true);
            return t;
        });
        probe.scheduleWithFixedDelay(this::probeTopic, 0, 2, TimeUnit.SECONDS);
        boolean anySync = webhook.registrations().values().stream().anyMatch(Registration::syncReply);
        this.syncReplies = anySync ? new SyncReplies(clients, syncReply, registry, clock).start() : null;
    }

    /** The sync-reply machinery, when a registration uses it. */
    public Optional<SyncReplies> syncReplies() {
        return Optional.ofNullable(syncReplies);
    }

    static Map<String, Object> producerProperties(KafkaClients clients, Duration answerWithin) {
        Map<String, Object> props = clients.properties(CLIENT_ID);
        // durability is not negotiable; timeouts may be tuned through kafka.* keys
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        // under load, a few milliseconds of batching turn thousands of small produce requests (and broker appends)
        // a second into a few hundred; at low rates the 202 waits that much longer at most
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
        // send() waits for metadata only on the sends thread (see store()), partitionsFor() on the probe's
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) answerWithin.toMillis());
        props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        // Kafka requires delivery.timeout.ms >= linger.ms + request.timeout.ms
        long floor = asLong(props.get(ProducerConfig.LINGER_MS_CONFIG)) + asLong(props.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG));
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(10_000, floor));
        return props;
    }

    private static long asLong(Object value) {
        return value instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(value).strip());
    }

    /** The signing keys and which of them verified requests, for {@code /api/diagnostics}. */
    public WebhookKeys keys() {
        return keys;
    }

    /** Adds {@code POST /api/messages}: served directly by Jetty on the webhook listener, through Javalin elsewhere. */
    public void routes(Javalin app) {
        app.post(ROUTE, this::handle);
        HttpServer.direct(app, "POST", ROUTE, this::handleDirect);
    }

    /** Tells {@code teams} each accepted message, so team mappings it names are learned without a lookup. */
    public TeamsIngress learnTeams(TeamSightings teams) {
        this.teams = Objects.requireNonNull(teams, "teams");
        return this;
    }

    /** The outcome of one request, with what the log line may show (never the text). */
    private record Result(int status, Object body, String registration, String tenant,
                          String conversation, String messageId, String reason) {
        static Result error(int status, String error, String reason, String registration) {
            return error(status, error, reason, null, registration);
        }

        /** {@code {"error", "reason"[, "detail"]}}, logged with its reason. */
        static Result error(int status, String error, String reason, String detail, String registration) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", error);
            body.put("reason", reason);
            if (detail != null) {
                body.put("detail", detail);
            }
            return new Result(status, body, registration, null, null, null, reason);
        }

        /** The same answer, logged as being about this message, for this reason. */
        Result about(NormalizedMessage m, String logReason) {
            return new Result(status, body, registration, m.tenantId(), m.conversationId(), m.messageId(), logReason);
        }

        /** The same answer, logged for another reason. */
        Result because(String logReason) {
            return new Result(status, body, registration, tenant, conversation, messageId, logReason);
        }
    }

    /** What the checks read from a request, however it arrived. */
    private record Incoming(String registrationName, String contentType, String authorization,
                            HttpServletRequest servlet) {
    }

    /** Through Javalin: the listeners without direct routes, and the path's variants (a trailing slash). */
    private void handle(Context ctx) throws JsonProcessingException {
        long started = System.nanoTime();
        CompletableFuture<Result> outcome = outcome(new Incoming(ctx.queryParam("id"), ctx.header("Content-Type"),
                ctx.header("Authorization"), ctx.req()), started);
        if (outcome.isDone()) {
            respond(ctx, outcome.join(), started);
            return;
        }
        // waiting for the broker or a reply: answered when the future completes, no thread held meanwhile
        CompletableFuture<Result> waiting = outcome;
        ctx.future(() -> waiting.thenAccept(result -> {
            try {
                respond(ctx, result, started);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }));
    }

    /**
     * Straight from Jetty on the webhook listener ({@link HttpServer#direct}), the same checks and answers as
     * {@link #handle} without Javalin's layers. A request still waiting for the broker or its reply holds no thread:
     * it is suspended and answered when its future completes.
     */
    private void handleDirect(HttpServletRequest request, HttpServletResponse response) throws IOException {
        long started = System.nanoTime();
        CompletableFuture<Result> outcome = outcome(new Incoming(registrationName(request.getQueryString()),
                request.getHeader("Content-Type"), request.getHeader("Authorization"), request), started);
        if (outcome.isDone()) {
            respond(response, outcome.join(), started);
            return;
        }
        AsyncContext async = request.startAsync();
        async.setTimeout(0); // bounded by webhook.answer-within-ms (withinBudget), as with Javalin
        outcome.thenAccept(result -> {
            try {
                respond((HttpServletResponse) async.getResponse(), result, started);
            } catch (IOException | RuntimeException e) {
                log.debug("event=ingress_answer_not_written error={}", e.getClass().getName());
            } finally {
                async.complete();
            }
        });
    }

    /** The answer for a request, never an exception (an unexpected one is a 500). */
    private CompletableFuture<Result> outcome(Incoming request, long started) {
        try {
            CompletableFuture<Result> outcome = process(request, started);
            return outcome.isDone() ? outcome : outcome.exceptionally(TeamsIngress::unexpected);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(unexpected(e));
        }
    }

    /** {@code ?id=NAME}: the first {@code id} of the query string, decoded as Javalin decodes it (UTF-8). */
    static String registrationName(String query) {
        if (query == null || query.isEmpty()) {
            return null;
        }
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            String key = equals < 0 ? pair : pair.substring(0, equals);
            if (decoded(key).equals("id")) {
                // a value that is not valid percent-encoding names no registration: 401 like any unknown name
                return equals < 0 ? "" : decoded(pair.substring(equals + 1));
            }
        }
        return null;
    }

    /** URL-decoded as UTF-8; a malformed escape ({@code %ZZ}, a trailing {@code %}) decodes to "" (found by fuzzing). */
    private static String decoded(String part) {
        try {
            return URLDecoder.decode(part, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private static Result unexpected(Throwable e) {
        log.error("event=ingress_error error={}", e.getClass().getName(), e);
        return Result.error(500, "internal error", "unexpected error", null);
    }

    private void respond(Context ctx, Result result, long started) throws JsonProcessingException {
        ctx.status(result.status()).contentType("application/json")
                .result(Json.mapper().writeValueAsBytes(result.body()));
        String retryAfter = retryAfter(result.status());
        if (retryAfter != null) {
            ctx.header("Retry-After", retryAfter);
        }
        recorded(result, started);
    }

    private void respond(HttpServletResponse response, Result result, long started) throws IOException {
        byte[] body = Json.mapper().writeValueAsBytes(result.body());
        recorded(result, started); // before the write: once the client has the answer, the metrics show it
        response.setStatus(result.status());
        response.setContentType("application/json");
        String retryAfter = retryAfter(result.status());
        if (retryAfter != null) {
            response.setHeader("Retry-After", retryAfter);
        }
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** Seconds to wait before retrying, for the answers that invite a retry. */
    private static String retryAfter(int status) {
        return status == 503 ? "5" : status == 429 ? "1" : null;
    }

    /** Counts, times and logs an answer. */
    private void recorded(Result result, long started) {
        long elapsed = System.nanoTime() - started;
        StatusMeters meters = statusMeters.computeIfAbsent(result.status(), this::statusMeters);
        meters.requests().increment();
        if (result.status() == 503) {
            unavailableCounter(result.reason() != null && result.reason().contains(TIMED_OUT) ? "timeout"
                    : "broker-error").increment();
        }
        meters.time().record(elapsed, TimeUnit.NANOSECONDS);
        // every refusal is a line; accepted messages are counted, and a line each only at DEBUG: at thousands a
        // second the log would cost more than storing them
        boolean accepted = result.status() < 300;
        if (accepted ? log.isDebugEnabled() : result.status() < 500 ? log.isInfoEnabled() : log.isWarnEnabled()) {
            String line = "event=ingress status={} tenant={} conversation={} message_id={} registration={}"
                    + " reason=\"{}\" millis={}";
            Object[] args = {result.status(), result.tenant(), result.conversation(), result.messageId(),
                    result.registration(), result.reason(), elapsed / 1_000_000};
            if (accepted) {
                log.debug(line, args);
            } else if (result.status() < 500) {
                log.info(line, args);
            } else {
                log.warn(line, args);
            }
        }
    }

    /** The request counter and timer of one status, looked up once instead of on every request. */
    private record StatusMeters(Counter requests, Timer time) {
    }

    private StatusMeters statusMeters(int status) {
        String tag = Integer.toString(status);
        return new StatusMeters(
                Counter.builder("tla.ingress.requests").description("Requests to POST /api/messages by status")
                        .tag("status", tag).register(registry),
                Timer.builder("tla.ingress.request.seconds").description("Time to answer POST /api/messages")
                        .tag("status", tag).register(registry));
    }

    private CompletableFuture<Result> process(Incoming request, long started) {
        String registrationName = request.registrationName();
        if (!isJson(request.contentType())) {
            drain(request.servlet()); // so the sender reads the 415 rather than a reset connection (found by fuzzing)
            return done(Result.error(415, "unsupported media type", "Content-Type must be application/json (UTF-8)",
                    null));
        }
        byte[] body;
        try {
            body = readBounded(request.servlet());
        } catch (IOException e) {
            return done(Result.error(400, "invalid request", "the request body could not be read", null));
        }
        if (body == null) {
            return done(Result.error(413, "payload too large", "the body exceeds " + http.maxBodyBytes() + " bytes",
                    null));
        }

        // the registration's keys only (current, then previous within its grace); unknown names are not logged
        WebhookKeys.Verification verification = keys.verify(registrationName, request.authorization(), body);
        if (!verification.verified()) {
            return done(Result.error(401, "unauthorized", verification.reason(), verification.registration()));
        }
        Registration registration = registrationName == null ? null : webhook.registrations().get(registrationName);
        KeyBinding binding = registration == null ? defaultBinding : bindings.get(registration.name());

        JsonNode activity;
        try {
            activity = ActivityParser.parse(body);
        } catch (InvalidActivityException e) {
            return done(invalid(e, registrationName));
        }
        Instant now = clock.instant();
        Optional<Result> stale = checkTimestamp(activity, now, registrationName);
        if (stale.isPresent()) {
            return done(stale.get());
        }
        Optional<String> refusal = binding.refusal(activity);
        if (refusal.isPresent()) {
            return done(refuse(binding, refusal.get(), activity, registrationName));
        }
        NormalizedMessage message;
        try {
            message = binding.apply(ActivityNormalizer.normalize(activity, binding.defaults(), now));
        } catch (InvalidActivityException e) {
            return done(invalid(e, registrationName));
        }

        // by conversation too: Teams activity ids are millisecond timestamps, which two conversations can share
        DeliveryMemory.Seen<Result> seen = deliveries.see(binding.keySet(), message.conversationId(),
                message.messageId(), body);
        if (seen instanceof DeliveryMemory.Conflict<Result>) {
            conflicts(binding.keySet()).increment();
            return done(Result.error(409, "conflict", "activity-id-reused",
                    "another body was already accepted under this activity id", registrationName)
                    .about(message, "activity-id-reused"));
        }
        if (seen instanceof DeliveryMemory.Repeated<Result> repeated) {
            repeats(binding.keySet()).increment();
            // the first delivery's outcome, within this request's own budget: when that runs out first, a stored
            // message is still a 202, one not yet acknowledged a 503 (a later retry finds the outcome by then)
            return withinBudget(repeated.answer().thenApply(first -> first.because("repeated delivery: "
                    + first.reason())), started, () -> {
                Result stored = repeated.provisional().get();
                return stored != null ? stored.because("repeated delivery: stored, reply not awaited")
                        : timedOut(message, registrationName);
            });
        }
        DeliveryMemory.First<Result> first = (DeliveryMemory.First<Result>) seen;
        teams.seen(message, registration == null ? null : registration.teamAadGroupId());
        Attempt attempt = new Attempt(first);
        CompletableFuture<Result> answered;
        if (registration == null) {
            answered = store(message, registrationName, started, attempt);
        } else {
            // a sync reply is awaited at most as long as the whole answer may take
            Duration wait = syncReplyConfig.deadline().compareTo(webhook.answerWithin()) < 0
                    ? syncReplyConfig.deadline() : webhook.answerWithin();
            Instant deadline = registration.syncReply() && syncReplies != null ? now.plus(wait) : null;
            NormalizedMessage forRegistration = message.forRegistration(registration.name(), deadline);
            answered = deadline == null ? store(forRegistration, registrationName, started, attempt)
                    : storeAndAwaitReply(forRegistration, registrationName, started, attempt);
        }
        // The memory keeps the delivery's real outcome, not the HTTP answer (which may be a 503 of a message the
        // producer stores later): a retry is told 202 once it is stored, and is stored itself only after a failure.
        answered.exceptionally(TeamsIngress::unexpected).whenComplete((result, error) -> {
            if (result.status() >= 500 || result.status() == 429) {
                first.forget().run(); // a retry of this delivery must be stored, not told the same
            }
            first.answer().complete(result);
        });
        return withinBudget(first.answer(), started, () -> expired(attempt, message, registrationName));
    }

    /** What a first delivery's budget expiry needs to know: whether it is stored yet, and its pending sync reply. */
    private static final class Attempt {
        private final DeliveryMemory.First<Result> first;
        private volatile Result stored;
        private volatile SyncReplies.Pending pending;

        Attempt(DeliveryMemory.First<Result> first) {
            this.first = first;
        }

        void stored(Result accepted) {
            stored = accepted;
            first.provisional().accept(accepted);
        }
    }

    /**
     * The answer when a first delivery's budget runs out: 503 while the broker has not acknowledged it; once stored,
     * 202, or the sync reply if that was confirmed first ({@link SyncReplies#expire} decides the race, so a reply is
     * either answered here or left to the reply connector, never lost and never both).
     */
    private Result expired(Attempt attempt, NormalizedMessage message, String registrationName) {
        Result stored = attempt.stored;
        if (stored == null) {
            return timedOut(message, registrationName);
        }
        SyncReplies.Pending pending = attempt.pending;
        if (pending != null && syncReplies != null) {
            Optional<Map<String, Object>> reply = syncReplies.expire(pending);
            if (reply.isPresent()) {
                return new Result(200, reply.get(), registrationName, message.tenantId(), message.conversationId(),
                        message.messageId(), "answered with the reply");
            }
        }
        return stored.because("stored; reply not ready within the answer budget");
    }

    /**
     * {@code outcome}, or what {@code onExpiry} says when it is not there within {@code webhook.answer-within-ms} of
     * {@code started}. The outcome is not cancelled: it completes in its own time and only no longer answers.
     */
    private CompletableFuture<Result> withinBudget(CompletableFuture<Result> outcome, long started,
                                                   Supplier<Result> onExpiry) {
        if (outcome.isDone()) {
            return outcome;
        }
        CompletableFuture<Result> answer = new CompletableFuture<>();
        Runnable expire = () -> {
            if (answer.isDone()) {
                return;
            }
            Result late;
            try {
                late = onExpiry.get();
            } catch (RuntimeException e) {
                late = unexpected(e);
            }
            answer.complete(late);
        };
        ScheduledFuture<?> timer = null;
        try {
            long remaining = Math.max(0, started + answerWithinNanos - System.nanoTime());
            // the answer is written by the thread completing it: an answers thread, never the lone timer thread
            timer = budget.schedule(() -> {
                try {
                    answers.execute(expire);
                } catch (RejectedExecutionException e) {
                    expire.run(); // closing
                }
            }, remaining, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closing: the outcome still completes (the producer is flushed and closed)
        }
        ScheduledFuture<?> scheduled = timer;
        outcome.whenComplete((result, error) -> {
            if (scheduled != null) {
                scheduled.cancel(false);
            }
            answer.complete(result != null ? result : unexpected(error));
        });
        return answer;
    }

    /** The 503 of a message the broker did not acknowledge within the answer budget. */
    private Result timedOut(NormalizedMessage message, String registrationName) {
        return unavailable(message, registrationName, TIMED_OUT + " (" + webhook.answerWithin().toMillis() + " ms)");
    }

    private static Result invalid(InvalidActivityException e, String registrationName) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("error", e.error());
        if (e.field() != null) {
            error.put("field", e.field());
        }
        error.put("reason", e.reason());
        return new Result(400, error, registrationName, null, null, null,
                (e.field() == null || e.field().isEmpty() ? "" : e.field() + " ") + e.reason());
    }

    /**
     * The signed {@code timestamp} must be within {@code webhook.max-clock-skew-seconds} of the server clock: a
     * captured request replayed later is refused (401 {@code stale}); a body without one cannot be checked (400).
     */
    private Optional<Result> checkTimestamp(JsonNode activity, Instant now, String registrationName) {
        JsonNode value = activity.path("timestamp");
        if (!value.isTextual() || value.asText().isBlank()) {
            return Optional.of(invalid(InvalidActivityException.invalidActivity("/timestamp",
                    "required: the activity's timestamp (ISO-8601), which the signature covers"), registrationName));
        }
        Instant signed;
        try {
            signed = IsoTimestamp.parse(value.asText().strip());
        } catch (DateTimeParseException e) {
            return Optional.of(invalid(InvalidActivityException.invalidActivity("/timestamp",
                    "not an ISO-8601 date-time with an offset (2026-12-07T09:15:03.250Z)"), registrationName));
        }
        long skew = Math.abs(Duration.between(signed, now).toSeconds());
        if (skew <= webhook.maxClockSkew().toSeconds()) {
            return Optional.empty();
        }
        stale(registrationName == null ? WebhookKeys.DEFAULT_SET : registrationName).increment();
        return Optional.of(Result.error(401, "unauthorized", "stale", "the signed timestamp is more than "
                        + webhook.maxClockSkew().toSeconds() + " s from the server clock", registrationName)
                .because("stale: timestamp " + skew + " s from the server clock"));
    }

    /** 403: the body speaks for another tenant or team than its key; counted and logged by the binding only. */
    private Result refuse(KeyBinding binding, String reason, JsonNode activity, String registrationName) {
        bindingRefused(binding.keySet(), reason).increment();
        // the claimed ids are the sender's input: not echoed into the log; the message id is, to find the request
        log.warn("event=ingress_binding_refused registration={} bound_tenant={} bound_team={} reason={} message_id={}",
                binding.keySet(), binding.tenantId(), binding.teamId(), reason,
                ActivityNormalizer.text(activity, "id"));
        Result refused = Result.error(403, "forbidden", reason, KeyBinding.TENANT_MISMATCH.equals(reason)
                ? "the activity names another tenant than this webhook key speaks for"
                : "the activity is not from the team this webhook key speaks for", registrationName);
        return new Result(403, refused.body(), registrationName, binding.tenantId(), null, null, reason);
    }

    // The refusal counters exist from the start for every key set, so dashboards and alerts see zeros, not gaps.
    private void registerRefusalCounters() {
        List<String> sets = new ArrayList<>();
        sets.add(WebhookKeys.DEFAULT_SET);
        sets.addAll(webhook.registrations().keySet());
        for (String set : sets) {
            bindingRefused(set, KeyBinding.TENANT_MISMATCH);
            bindingRefused(set, KeyBinding.TEAM_MISMATCH);
            stale(set);
            conflicts(set);
            repeats(set);
        }
        shed();
        unavailableCounter("timeout");
        unavailableCounter("broker-error");
    }

    private Counter bindingRefused(String set, String reason) {
        return Counter.builder("tla.ingress.binding.refused")
                .description("Signed requests whose body names another tenant or team than the key is bound to (403)")
                .tag("registration", set).tag("reason", reason).register(registry);
    }

    private Counter stale(String set) {
        return Counter.builder("tla.ingress.stale").description("Signed requests refused because their timestamp is"
                        + " outside the allowed clock skew (replays, or a sender with a wrong clock)")
                .tag("registration", set).register(registry);
    }

    private Counter conflicts(String set) {
        return Counter.builder("tla.ingress.replays.refused").description("Another body under an activity id already"
                + " accepted within the replay window (409)").tag("registration", set).register(registry);
    }

    private Counter repeats(String set) {
        return Counter.builder("tla.ingress.deliveries.repeated").description("Deliveries of an activity already"
                        + " accepted, answered like the first and not stored again")
                .tag("registration", set).register(registry);
    }

    private Counter shed() {
        return Counter.builder("tla.ingress.shed").description("Requests answered 429 because too many messages were"
                + " being stored at once or the producer's buffer was full").register(registry);
    }

    private static CompletableFuture<Result> done(Result result) {
        return CompletableFuture.completedFuture(result);
    }

    /**
     * A sync-reply message: stored like any other, then answered with its reply when that is recorded before the
     * deadline, else with the usual 202. A Teams retry of it gets the same answer from {@link DeliveryMemory}.
     */
    private CompletableFuture<Result> storeAndAwaitReply(NormalizedMessage message, String registrationName,
                                                         long started, Attempt attempt) {
        SyncReplies.Pending pending = syncReplies.expect(message);
        attempt.pending = pending;
        return store(message, registrationName, started, attempt).thenCompose(stored -> {
            if (stored.status() != 202) {
                if (pending.message() == message) { // this call registered it
                    syncReplies.cancel(pending);
                }
                return done(stored);
            }
            return syncReplies.answer(pending).thenApply(answer -> answer
                    .map(reply -> new Result(200, reply, registrationName, message.tenantId(),
                            message.conversationId(), message.messageId(), "answered with the reply"))
                    .orElseGet(() -> stored.because(
                            "stored; reply not ready within " + syncReplyConfig.deadline().toMillis() + " ms")));
        });
    }

    /**
     * Sends the message and completes when the broker acknowledged it (202) or could not take it (503); never
     * blocks the caller on the broker. Past {@code webhook.max-in-flight} messages being stored, or with the
     * producer's buffer nearly full, it answers 429 at once instead of queueing.
     */
    private CompletableFuture<Result> store(NormalizedMessage message, String registrationName, long started,
                                            Attempt attempt) {
        if (inFlight.incrementAndGet() > webhook.maxInFlight() || bufferNearlyFull()) {
            inFlight.decrementAndGet();
            shed().increment();
            return done(Result.error(429, "too many requests", "overloaded", "too many messages are being stored right"
                            + " now; retry after the Retry-After seconds", registrationName)
                    .about(message, "overloaded: " + webhook.maxInFlight() + " in flight"));
        }
        CompletableFuture<Result> stored = new CompletableFuture<>();
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                inFlight.decrementAndGet();
            }
        };
        Runnable send = () -> {
            try {
                producer.send(new ProducerRecord<>(Topics.MESSAGES.name(), message.conversationId(), message),
                        (metadata, exception) -> {
                            release.run();
                            if (exception == null) {
                                answers.execute(() -> {
                                    markReady(STORED);
                                    Result accepted = accepted(message, registrationName);
                                    attempt.stored(accepted);
                                    stored.complete(accepted);
                                });
                            } else {
                                healthDetail = "last send failed: " + exception.getClass().getSimpleName()
                                        + (ready ? " (was reachable before)" : "");
                                answers.execute(() -> stored.complete(unavailable(message, registrationName,
                                        exception.getClass().getSimpleName())));
                            }
                        });
            } catch (RuntimeException e) { // send() may throw directly, e.g. when metadata cannot be fetched
                release.run();
                stored.complete(unavailable(message, registrationName, e.getClass().getSimpleName()));
            }
        };
        // Without the topic's metadata send() blocks its caller for up to max.block.ms fetching it: the sends thread
        // waits instead of the request's. A request whose budget is spent before its turn is not sent at all, so
        // its 503 is exact (nothing stored) and the retry is simply stored.
        long deadline = started + answerWithinNanos;
        try {
            sends.execute(() -> {
                if (System.nanoTime() - deadline >= 0) {
                    release.run();
                    stored.complete(unavailable(message, registrationName, "not sent: the producer had no metadata"));
                } else {
                    send.run();
                }
            });
        } catch (RejectedExecutionException e) { // closing
            release.run();
            return done(unavailable(message, registrationName, "closing"));
        }
        // The producer always calls back within delivery.timeout.ms; this only guards against a lost callback, and
        // builds its answer only then. `stored` is only ever completed normally, so the timeout is all it catches.
        return stored.orTimeout(ackTimeoutMs, TimeUnit.MILLISECONDS).exceptionally(timeout -> unavailable(message,
                registrationName, "no acknowledgement within " + ackTimeoutMs + " ms"));
    }

    private boolean bufferNearlyFull() {
        return bufferAvailable != null && bufferAvailable.metricValue() instanceof Number available
                && available.longValue() < bufferFloor;
    }

    private static Result accepted(NormalizedMessage message, String registrationName) {
        return new Result(202, new Accepted("accepted", message.messageId(), message.conversationId()),
                registrationName, message.tenantId(), message.conversationId(), message.messageId(), "stored");
    }

    /**
     * The 202 body, {@code {"status":"accepted","messageId":...,"conversationId":...}}: a record sharing the
     * message's strings, since the delivery memory keeps every answer for minutes.
     */
    private record Accepted(String status, String messageId, String conversationId) {
    }

    /** The log reason of a 503 answered because the budget ran out (the {@code cause} tag of the 503 counter). */
    private static final String TIMED_OUT = "not acknowledged within webhook.answer-within-ms";

    /** 503 {@code {"error":"broker-unavailable", "reason":...}}, answered with {@code Retry-After}. */
    private static Result unavailable(NormalizedMessage message, String registrationName, String failure) {
        return Result.error(503, "broker-unavailable", "the message could not be stored (" + failure + "); retry"
                + " after the Retry-After seconds", registrationName).about(message, failure);
    }

    private Counter unavailableCounter(String cause) {
        return Counter.builder("tla.ingress.unavailable").description("Requests to POST /api/messages answered 503"
                        + " because the broker did not store the message: not acknowledged within"
                        + " webhook.answer-within-ms (timeout), or the producer reported a failure (broker-error)")
                .tag("cause", cause).register(registry);
    }

    /**
     * Reads and drops a body that will not be looked at, up to four times the size limit (as for a 413), so a sender
     * still writing it reads the answer; past that the connection is closed without waiting for the rest.
     */
    private void drain(HttpServletRequest request) {
        long cap = 4L * http.maxBodyBytes();
        long declared = request.getContentLengthLong();
        if (declared > cap) {
            return;
        }
        try (InputStream in = request.getInputStream()) {
            byte[] buffer = new byte[8192];
            long left = declared >= 0 ? declared : cap;
            int read;
            while (left > 0 && (read = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0) {
                left -= read;
            }
        } catch (IOException e) {
            // the sender gave up: nothing to answer
        }
    }

    /** The body bytes, or null when it is larger than allowed; reads at most limit + 1 bytes (chunked too). */
    private byte[] readBounded(HttpServletRequest request) throws IOException {
        int limit = http.maxBodyBytes();
        long declared = request.getContentLengthLong();
        if (declared > limit) {
            // read (and drop) what a moderately oversized sender is still sending, so it reads the 413 instead of a
            // reset connection; past four times the limit the connection is closed without waiting for the rest
            if (declared <= 4L * limit) {
                try (InputStream in = request.getInputStream()) {
                    in.skipNBytes(declared);
                } catch (IOException e) {
                    // the sender gave up: nothing to answer
                }
            }
            return null;
        }
        try (InputStream in = request.getInputStream()) {
            if (declared >= 0) {
                // the length is known: one array of that size (a stream ending early fails the read, as before)
                return in.readNBytes((int) declared);
            }
            byte[] body = in.readNBytes(limit + 1);
            return body.length > limit ? null : body;
        }
    }

    /** {@code application/json}, optionally with a UTF-8 charset parameter. */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        // what Teams and our own senders send, without splitting the header for every request
        if (contentType.equalsIgnoreCase("application/json; charset=utf-8")
                || contentType.equalsIgnoreCase("application/json")) {
            return true;
        }
        String[] parts = contentType.split(";");
        if (!parts[0].strip().equalsIgnoreCase("application/json")) {
            return false;
        }
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv[0].strip().equalsIgnoreCase("charset")) {
                String charset = kv.length < 2 ? "" : kv[1].strip().replace("\"", "").toLowerCase(Locale.ROOT);
                if (!charset.equals("utf-8") && !charset.equals("utf8")) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Until the topic is first reached: readiness. Always: keeps the topic in the producer's metadata (a cached
     * lookup, no request to the broker), so a quiet hour does not drop it as idle and the next send wait for it.
     */
    private void probeTopic() {
        try {
            int partitions = producer.partitionsFor(Topics.MESSAGES.name()).size();
            if (!ready) {
                markReady("topic " + Topics.MESSAGES.name() + " reachable (" + partitions + " partitions)");
            }
        } catch (RuntimeException e) {
            if (ready) {
                return;
            }
            healthDetail = "broker or topic " + Topics.MESSAGES.name() + " unreachable: " + e.getClass().getSimpleName();
        }
    }

    private void markReady(String detail) {
        healthDetail = detail;
        if (!ready) {
            warmUp();
            ready = true;
            log.info("event=ingress_ready detail=\"{}\"", detail);
        }
    }

    /**
     * Runs a built-in activity through parsing, schema validation and normalisation once (nothing is produced), so
     * the first real message from Teams does not pay for loading the validator and the HTML parser.
     */
    private void warmUp() {
        byte[] sample = ("{\"type\":\"message\",\"id\":\"warm-up\",\"conversation\":{\"id\":\"warm-up\",\"tenantId\":\"warm-up\"},"
                + "\"from\":{\"id\":\"warm-up\"},\"text\":\"<at>tla</at> <b>warm-up</b>\"}").getBytes(StandardCharsets.UTF_8);
        try {
            ActivityNormalizer.normalize(ActivityParser.parse(sample), ActivityNormalizer.Defaults.NONE, clock.instant());
            HmacSignature.ofBase64Key("d2FybS11cA==").verify("HMAC d2FybS11cA==", sample);
        } catch (InvalidActivityException | RuntimeException e) {
            log.warn("event=ingress_warm_up_failed error={}", e.getClass().getName());
        }
    }

    /** Stops the probe, flushes and closes the producer. */
    @Override
    public void close() {
        if (syncReplies != null) {
            syncReplies.close(); // answers waiting calls with 202 before the producer goes
        }
        probe.shutdownNow();
        try {
            probe.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sends.shutdown();
        try {
            sends.awaitTermination(webhook.answerWithin().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producerMetrics.close();
        producer.close(Duration.ofSeconds(5)); // completes every send, so every waiting call gets its answer
        budget.shutdownNow();
        answers.shutdown();
        try {
            answers.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
