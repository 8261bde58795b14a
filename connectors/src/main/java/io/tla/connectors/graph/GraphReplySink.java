package io.tla.connectors.graph;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.tla.connectors.replies.ReplySink;
import io.tla.connectors.teams.TeamDirectory;
import io.tla.platform.config.GraphConfig;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyLedgerEntry;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code graph} reply sink: posts each reply of {@code teams.replies.v1} to its Teams channel thread or chat
 * through Microsoft Graph, at most once.
 *
 * <p>Per poll batch: poison and unaddressable replies are dead-lettered; replies the ledger knows as posted are
 * skipped; for the others a {@code posting} entry is made durable in {@code tla.replies.ledger.v1} before the first
 * request. Posts then run on a bounded pool, each conversation's replies in order, at most
 * {@code graph.tenant.max-concurrency} conversations of a tenant at a time and {@code graph.tenant.requests-per-second}
 * posts per tenant, so one tenant's storm leaves room for the others. Confirmed replies get a {@code posted} entry
 * and {@code reply.posted} telemetry; replies that exhausted their attempts or were refused go to
 * {@code teams.replies.dlq.v1} with {@code tla.error.*} headers and {@code reply.failed} telemetry. Offsets are
 * committed after all of that. A channel reply carrying only the team's thread id gets the team's AAD group id
 * from the {@link TeamDirectory} first; one it cannot resolve is dead-lettered with reason {@code team-unresolved}.
 * A reply found {@code posting} (a crash or rebalance between post and confirmation)
 * or re-published by {@code tla replay} is first looked for in its thread or chat by its marker.
 */
public final class GraphReplySink extends ReplySink {

    public static final String STAGE = "graph-sink";
    public static final String SINK = "graph";
    /** Dead-letter reason of a channel reply whose team's AAD group id could not be resolved from its thread id. */
    public static final String TEAM_UNRESOLVED = "team-unresolved";
    /** The smallest part size a 413 may halve the limit to. */
    private static final int MIN_PART_BYTES = 2_000;

    private static final Logger log = LoggerFactory.getLogger(GraphReplySink.class);

    private final GraphConfig graph;
    private final GraphReplyClient client;
    private final TeamsReplyRenderer renderer;
    private final ReplyLedger ledger;
    private final KafkaClients clients;
    private final ExecutorService pool;
    /**
     * One pacing limiter per tenant seen recently: bounded and idle ones dropped (a dropped tenant starts with a
     * full second's allowance again, which the limit allows anyway), so tenant ids cannot grow it without end.
     */
    private final LoadingCache<String, RateLimiter> rateLimiters;
    static final int MAX_TENANT_LIMITERS = 10_000;
    private final TeamDirectory teams;

    /** One reply of the batch and what became of it. */
    private static final class Delivery {
        final ConsumerRecord<byte[], byte[]> record;
        final ReplyEvent reply;
        final ReplyAddress address;
        final boolean checkFirst;
        final List<String> messageIds = new ArrayList<>();
        int attempts;
        int parts;
        boolean foundExisting;
        long latencyMillis;
        GraphFailure failure;
        Instant firstFailureAt;

        Delivery(ConsumerRecord<byte[], byte[]> record, ReplyEvent reply, ReplyAddress address, boolean checkFirst) {
            this.record = record;
            this.reply = reply;
            this.address = address;
            this.checkFirst = checkFirst;
        }

        boolean posted() {
            return failure == null;
        }
    }

    /** Without a team directory: channel replies must carry the team's AAD group id. */
    public GraphReplySink(GraphConfig graph, GraphAuth auth, ReplyConfig config, KafkaClients clients,
                          TlaMetrics metrics, Health health) {
        this(graph, auth, config, clients, metrics, health, null);
    }

    /**
     * @param teams resolves a channel reply's team AAD group id from its thread id; started and closed by the
     *              caller; null to dead-letter such replies as unaddressable
     */
    public GraphReplySink(GraphConfig graph, GraphAuth auth, ReplyConfig config, KafkaClients clients,
                          TlaMetrics metrics, Health health, TeamDirectory teams) {
        this(graph, auth, config, clients, metrics, health, teams, Clock.systemUTC());
    }

    GraphReplySink(GraphConfig graph, GraphAuth auth, ReplyConfig config, KafkaClients clients, TlaMetrics metrics,
                   Health health, TeamDirectory teams, Clock clock) {
        super(SINK, STAGE, config, clients, metrics, health, clock);
        this.graph = graph;
        this.teams = teams;
        this.clients = clients;
        this.client = new GraphReplyClient(graph, auth, metrics.registry());
        this.renderer = new TeamsReplyRenderer(graph.replyFormat());
        this.ledger = new ReplyLedger(clients, "tla-replies-graph-ledger");
        AtomicInteger threads = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(graph.maxConcurrency(), runnable -> {
            Thread thread = new Thread(runnable, "tla-graph-post-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        RateLimiterConfig pacing = RateLimiterConfig.custom()
                .limitForPeriod(graph.tenantRequestsPerSecond()).limitRefreshPeriod(Duration.ofSeconds(1))
                .timeoutDuration(Duration.ofMinutes(5)).build();
        this.rateLimiters = Caffeine.newBuilder().maximumSize(MAX_TENANT_LIMITERS)
                .expireAfterAccess(Duration.ofMinutes(10)).build(tenant -> RateLimiter.of(tenant, pacing));
        if (!graph.productionAuth()) {
            log.warn("event=graph_auth_not_for_production mode={} detail=\"a static bearer token is for Graph"
                    + " emulators; use client-secret or obo against Microsoft Graph\"", graph.authMode());
        }
    }

    /** The ledger must be partitioned like the replies topic: partition p of one belongs with partition p of the other. */
    @Override
    protected void prepare() throws Exception {
        try (Admin admin = Admin.create(clients.properties("tla-replies-graph-admin"))) {
            Map<String, TopicDescription> topics = admin.describeTopics(
                    List.of(Topics.REPLIES.name(), Topics.REPLY_LEDGER.name())).allTopicNames().get(30, TimeUnit.SECONDS);
            int replies = topics.get(Topics.REPLIES.name()).partitions().size();
            int ledgerPartitions = topics.get(Topics.REPLY_LEDGER.name()).partitions().size();
            if (ledgerPartitions < replies) {
                throw new IllegalStateException(Topics.REPLY_LEDGER.name() + " has " + ledgerPartitions
                        + " partitions but " + Topics.REPLIES.name() + " has " + replies
                        + "; add partitions to the ledger so every replies partition has its own");
            }
        }
        // resolving a team before the directory is read would look up teams it already knows
        if (teams != null && !teams.awaitReady(Duration.ofSeconds(60))) {
            log.warn("event=team_directory_not_loaded detail=\"starting anyway; known teams may be looked up\"");
        }
        log.info("event=graph_sink_starting base_url={} auth_mode={} format={} max_concurrency={}"
                        + " tenant_max_concurrency={} tenant_rps={}", graph.baseUrl(), graph.authMode(),
                graph.replyFormat(), graph.maxConcurrency(), graph.tenantMaxConcurrency(),
                graph.tenantRequestsPerSecond());
    }

    @Override
    protected void partitionsAssigned(Collection<TopicPartition> partitions) {
        ledger.load(partitions);
    }

    @Override
    protected void partitionsLost(Collection<TopicPartition> partitions) {
        ledger.drop(partitions);
    }

    @Override
    protected String readyDetail() {
        return "posting " + Topics.REPLIES.name() + " to " + graph.baseUrl() + " (auth " + graph.authMode()
                + (graph.productionAuth() ? "" : ", not production-ready") + ")"
                + (teams == null ? "" : "; " + teams.size() + " teams in " + Topics.TEAM_DIRECTORY.name());
    }

    @Override
    protected void process(ConsumerRecords<byte[], byte[]> records) throws Exception {
        Instant now = clock.instant();
        List<Future<RecordMetadata>> deadLetters = new ArrayList<>();
        List<Future<RecordMetadata>> telemetry = new ArrayList<>();
        List<Future<RecordMetadata>> intents = new ArrayList<>();
        List<Delivery> deliveries = new ArrayList<>();
        Set<String> batchIds = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            ReplyEvent reply = readOrDeadLetter(record, deadLetters);
            if (reply == null) {
                continue;
            }
            Optional<ReplyLedgerEntry> known = ledger.get(record.partition(), reply.replyId());
            if (known.map(entry -> entry.state() == ReplyLedgerEntry.State.POSTED).orElse(false)
                    || !batchIds.add(reply.replyId())) {
                skipDuplicate(reply);
                continue;
            }
            String teamAadGroupId = reply.teamAadGroupId();
            if (teams != null && ReplyAddress.isChannel(reply) && blank(teamAadGroupId) && !blank(reply.teamId())) {
                TeamDirectory.Resolution team = teams.resolve(reply.teamId(), reply.serviceUrl(), reply.tenantId());
                if (!team.resolved()) {
                    refuse(record, reply, TEAM_UNRESOLVED, TeamDirectory.class.getName(),
                            "channel reply without the team's AAD group id: " + team.detail(), now, deadLetters,
                            telemetry);
                    continue;
                }
                teamAadGroupId = team.aadGroupId();
            }
            ReplyAddress address;
            try {
                address = ReplyAddress.of(reply, teamAadGroupId);
            } catch (ReplyAddress.UnaddressableException e) {
                refuse(record, reply, "graph-unaddressable", e.getClass().getName(), e.getMessage(), now, deadLetters,
                        telemetry);
                continue;
            }
            boolean replayed = record.headers().lastHeader(ErrorHeaders.REPLAY_ATTEMPT) != null;
            deliveries.add(new Delivery(record, reply, address, known.isPresent() || replayed));
            if (known.isEmpty()) {
                intents.add(ledger.record(producer, record.partition(), new ReplyLedgerEntry(reply.replyId(),
                        ReplyLedgerEntry.State.POSTING, now, 0, List.of())));
            }
        }
        producer.flush();
        for (Future<RecordMetadata> intent : intents) {
            intent.get(30, TimeUnit.SECONDS); // no request for a reply before its intent is durable
        }

        GraphFailure stalled = postAll(deliveries);

        List<Future<RecordMetadata>> confirmations = new ArrayList<>();
        Instant done = clock.instant();
        for (Delivery delivery : deliveries) {
            ReplyEvent reply = delivery.reply;
            if (delivery.posted() && delivery.parts > 0) {
                confirmations.add(ledger.record(producer, delivery.record.partition(), new ReplyLedgerEntry(
                        reply.replyId(), ReplyLedgerEntry.State.POSTED, done, delivery.parts, delivery.messageIds)));
                recordDelivered(reply, done);
                Map<String, Object> attributes = new LinkedHashMap<>();
                attributes.put("replyId", reply.replyId());
                attributes.put("sink", SINK);
                attributes.put("kind", reply.kind().wireName());
                attributes.put("status", delivery.foundExisting ? "found" : "201");
                attributes.put("attempts", delivery.attempts);
                attributes.put("parts", delivery.parts);
                attributes.put("latencyMs", delivery.latencyMillis);
                attributes.put("target", delivery.address instanceof ReplyAddress.Chat ? "chat" : "channel");
                if (!delivery.messageIds.isEmpty() && delivery.messageIds.get(0) != null) {
                    attributes.put("graphMessageId", delivery.messageIds.get(0));
                }
                telemetry.add(sendTelemetry(TelemetryEvent.Types.REPLY_POSTED, reply, done, attributes));
                log.info("event=reply_posted sink=graph tenant={} conversation={} reply_id={} target={} parts={}"
                                + " attempts={} found_existing={} millis={}", reply.tenantId(),
                        reply.conversationId(), reply.replyId(), attributes.get("target"), delivery.parts,
                        delivery.attempts, delivery.foundExisting, delivery.latencyMillis);
            } else if (delivery.failure != null && delivery.failure.kind() != GraphFailure.Kind.AUTHENTICATION) {
                deadLetters.add(deadLetter(delivery.record, errorHeaders(delivery)));
                Map<String, Object> attributes = new LinkedHashMap<>();
                attributes.put("replyId", reply.replyId());
                attributes.put("sink", SINK);
                attributes.put("kind", reply.kind().wireName());
                attributes.put("status", delivery.failure.status());
                attributes.put("reason", delivery.failure.reason());
                attributes.put("attempts", delivery.attempts);
                if (delivery.failure.code() != null) {
                    attributes.put("code", delivery.failure.code());
                }
                telemetry.add(sendTelemetry(failedEventId(delivery.record, reply), TelemetryEvent.Types.REPLY_FAILED,
                        reply, done, attributes));
            }
        }
        producer.flush();
        for (Future<RecordMetadata> confirmation : confirmations) {
            confirmation.get(30, TimeUnit.SECONDS);
        }
        awaitDeadLetters(deadLetters);
        awaitTelemetry(telemetry);
        if (stalled != null) {
            // nothing can be posted with this credential: re-read the batch later instead of dead-lettering it
            throw stalled;
        }
    }

    /** Dead-letters a reply that is not posted anywhere, with {@code reason}, and counts it as failed. */
    private void refuse(ConsumerRecord<byte[], byte[]> record, ReplyEvent reply, String reason, String errorClass,
                        String message, Instant now, List<Future<RecordMetadata>> deadLetters,
                        List<Future<RecordMetadata>> telemetry) {
        Map<String, String> error = new LinkedHashMap<>();
        error.put(ErrorHeaders.CLASS, errorClass);
        error.put(ErrorHeaders.MESSAGE, message);
        error.put(ErrorHeaders.REASON, reason);
        error.put(ErrorHeaders.STATUS, "0");
        error.put(ErrorHeaders.ATTEMPTS, "0");
        deadLetters.add(deadLetter(record, error));
        telemetry.add(sendTelemetry(failedEventId(record, reply), TelemetryEvent.Types.REPLY_FAILED, reply, now,
                Map.of("replyId", reply.replyId(), "sink", SINK, "kind", reply.kind().wireName(), "reason", reason,
                        "attempts", 0, "status", 0)));
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    /**
     * Posts every delivery: each conversation's replies in order on one worker, at most
     * {@code graph.tenant.max-concurrency} workers per tenant, on the shared pool. Returns the authentication
     * failure that stopped posting, if any.
     */
    private GraphFailure postAll(List<Delivery> deliveries) throws Exception {
        Map<String, Map<String, List<Delivery>>> byTenant = new LinkedHashMap<>();
        for (Delivery delivery : deliveries) {
            byTenant.computeIfAbsent(delivery.reply.tenantId(), t -> new LinkedHashMap<>())
                    .computeIfAbsent(delivery.reply.conversationId(), c -> new ArrayList<>()).add(delivery);
        }
        List<Future<?>> workers = new ArrayList<>();
        AtomicReference<GraphFailure> stalled = new AtomicReference<>();
        for (Map.Entry<String, Map<String, List<Delivery>>> tenant : byTenant.entrySet()) {
            Queue<List<Delivery>> conversations = new ConcurrentLinkedQueue<>(tenant.getValue().values());
            RateLimiter limiter = rateLimiters.get(tenant.getKey());
            Runnable pace = () -> RateLimiter.waitForPermission(limiter);
            int count = Math.min(graph.tenantMaxConcurrency(), conversations.size());
            for (int i = 0; i < count; i++) {
                workers.add(pool.submit(() -> {
                    for (List<Delivery> conversation; (conversation = conversations.poll()) != null; ) {
                        for (Delivery delivery : conversation) {
                            if (stalled.get() != null || !running()) {
                                return;
                            }
                            post(delivery, pace);
                            if (delivery.failure != null
                                    && delivery.failure.kind() == GraphFailure.Kind.AUTHENTICATION) {
                                stalled.compareAndSet(null, delivery.failure);
                            }
                        }
                    }
                }));
            }
        }
        for (Future<?> worker : workers) {
            while (true) {
                try {
                    worker.get(200, TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    if (!running()) {
                        workers.forEach(w -> w.cancel(true));
                        throw new InterruptedException("the graph sink is stopping; unconfirmed posts are checked"
                                + " by marker on the next start");
                    }
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception cause ? cause : e;
                }
            }
        }
        return stalled.get();
    }

    /** Posts every part of one reply; a 413 on the first part re-renders the reply in parts half the size. */
    private void post(Delivery delivery, Runnable pace) {
        long started = System.nanoTime();
        ReplyEvent reply = delivery.reply;
        int limit = graph.maxMessageBytes();
        List<TeamsReplyRenderer.Part> parts = renderer.render(reply, limit);
        boolean allFound = true;
        for (int i = 0; i < parts.size(); i++) {
            try {
                GraphReplyClient.Posted posted = client.post(delivery.address, reply.replyId(), parts.get(i),
                        new GraphAuth.User(reply.tenantId(), reply.senderAadObjectId()), delivery.checkFirst, pace);
                delivery.attempts += posted.attempts();
                delivery.messageIds.add(posted.messageId());
                allFound &= posted.foundExisting();
            } catch (GraphReplyClient.AttemptsExhausted e) {
                delivery.attempts += e.attempts();
                if (delivery.firstFailureAt == null) {
                    delivery.firstFailureAt = e.firstFailureAt();
                }
                if (e.failure().status() == 413 && i == 0 && limit / 2 >= MIN_PART_BYTES) {
                    limit /= 2;
                    parts = renderer.render(reply, limit);
                    log.info("event=reply_split_after_413 reply_id={} max_bytes={} parts={}", reply.replyId(), limit,
                            parts.size());
                    i = -1;
                    continue;
                }
                delivery.failure = e.failure();
                break;
            } catch (RuntimeException e) {
                delivery.failure = new GraphFailure(GraphFailure.Kind.FINAL, 0, null, null, null,
                        "graph-client-error", "posting failed: " + e.getClass().getSimpleName());
                break;
            }
        }
        delivery.parts = delivery.failure == null ? parts.size() : 0;
        delivery.foundExisting = delivery.failure == null && allFound;
        delivery.latencyMillis = (System.nanoTime() - started) / 1_000_000;
    }

    /** One {@code reply.failed} per delivery attempt: a replayed reply that fails again is counted again. */
    private static String failedEventId(ConsumerRecord<byte[], byte[]> record, ReplyEvent reply) {
        var attempt = record.headers().lastHeader(ErrorHeaders.REPLAY_ATTEMPT);
        return TelemetryEvent.Types.REPLY_FAILED + ":" + reply.replyId() + ":"
                + (attempt == null ? "0" : new String(attempt.value(), StandardCharsets.UTF_8));
    }

    private static Map<String, String> errorHeaders(Delivery delivery) {
        GraphFailure failure = delivery.failure;
        Map<String, String> error = new LinkedHashMap<>();
        error.put(ErrorHeaders.CLASS, GraphFailure.class.getName());
        error.put(ErrorHeaders.MESSAGE, failure.getMessage());
        error.put(ErrorHeaders.REASON, failure.reason());
        error.put(ErrorHeaders.STATUS, Integer.toString(failure.status()));
        if (failure.code() != null) {
            error.put(ErrorHeaders.CODE, failure.code());
        }
        if (failure.requestId() != null) {
            error.put(ErrorHeaders.REQUEST_ID, failure.requestId());
        }
        error.put(ErrorHeaders.ATTEMPTS, Integer.toString(delivery.attempts));
        if (delivery.firstFailureAt != null) {
            error.put(ErrorHeaders.FIRST_FAILURE_AT, delivery.firstFailureAt.toString());
        }
        return error;
    }

    @Override
    protected void closeResources() {
        pool.shutdownNow();
        closeQuietly(client);
        closeQuietly(ledger);
    }
}
