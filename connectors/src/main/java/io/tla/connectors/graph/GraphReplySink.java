package io.tla.connectors.graph;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.tla.connectors.replies.ConversationLanes;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code graph} reply sink: posts each reply of {@code teams.replies.v1} to its Teams channel thread or chat
 * through Microsoft Graph, at most once.
 *
 * <p>Per reply, in its conversation's lane (see {@link ReplySink}): replies the ledger knows as posted are
 * skipped; unaddressable ones are dead-lettered; for the others a {@code posting} entry is made durable in
 * {@code tla.replies.ledger.v1} before the first request. At most {@code graph.max-concurrency} posts run at once,
 * at most {@code graph.tenant.max-concurrency} conversations of a tenant and {@code graph.tenant.requests-per-second}
 * posts per tenant, so one tenant's storm leaves room for the others. A throttled tenant waits out its
 * {@code Retry-After} without holding anyone else, and its replies keep their places, for up to
 * {@code graph.retry.throttle-budget-ms}. Confirmed replies get a {@code posted} entry and {@code reply.posted}
 * telemetry; replies refused by Graph (400, 403, 404...) or past the budget go to {@code teams.replies.dlq.v1} with
 * {@code tla.error.*} headers and {@code reply.failed} telemetry. A reply's offset is committed after all of that.
 * A channel reply carrying only the team's thread id gets the team's AAD group id
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
    private final Counter throttled;
    /**
     * One pacing limiter per tenant seen recently: bounded and idle ones dropped (a dropped tenant starts with a
     * full second's allowance again, which the limit allows anyway), so tenant ids cannot grow it without end.
     */
    private final LoadingCache<String, RateLimiter> rateLimiters;
    static final int MAX_TENANT_LIMITERS = 10_000;
    private final TeamDirectory teams;

    /** A reply's {@code posting} intent, sent as the reply was read. */
    private record Intent(Future<RecordMetadata> sent) {
    }

    /** What the sink has done so far for one reply, kept across its attempts. */
    private static final class Delivery {
        final ReplyAddress address;
        boolean checkFirst;
        int maxPartBytes;
        final List<String> messageIds = new ArrayList<>();
        int postedParts;
        boolean allFound = true;
        int attempts;
        int waits;
        final long started = System.nanoTime();
        Instant firstFailureAt;

        Delivery(ReplyAddress address, boolean checkFirst, int maxPartBytes) {
            this.address = address;
            this.checkFirst = checkFirst;
            this.maxPartBytes = maxPartBytes;
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
        this.throttled = Counter.builder("tla.graph.replies.throttled")
                .description("Times a reply was scheduled again because Graph throttled it (429) or was unavailable"
                        + " (503, 504, network); it kept its place in its conversation")
                .register(metrics.registry());
        this.ledger = new ReplyLedger(clients, "tla-replies-graph-ledger", graph.ledgerMaxIdsPerPartition());
        Gauge.builder("tla.graph.ledger.ids", ledger, ReplyLedger::size)
                .description("Reply ids of tla.replies.ledger.v1 this instance holds in memory for its partitions")
                .register(metrics.registry());
        FunctionCounter.builder("tla.graph.ledger.forgotten", ledger, ReplyLedger::forgotten)
                .description("Reply ids forgotten because a partition's memory was full"
                        + " (graph.ledger.max-ids-per-partition); a forgotten reply read again is looked for in Teams"
                        + " before it is posted").register(metrics.registry());
        // never waited on: a tenant over its rate is scheduled again, its thread goes to another tenant
        RateLimiterConfig pacing = RateLimiterConfig.custom()
                .limitForPeriod(graph.tenantRequestsPerSecond()).limitRefreshPeriod(Duration.ofSeconds(1))
                .timeoutDuration(Duration.ZERO).build();
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

    /**
     * Sends the {@code posting} intent of a reply the ledger does not know as it is read, so that it is usually
     * durable by the time the reply's turn comes and its conversation does not wait for the broker. A sync-reply
     * reply (the ingress may still answer it) gets its intent only when it is delivered.
     */
    @Override
    protected void read(Pending pending) {
        ReplyEvent reply = pending.reply();
        if (reply.replyDeadline() != null) {
            return;
        }
        int partition = pending.record().partition();
        if (ledger.get(partition, reply.replyId(), producedAt(pending.record())) == ReplyLedger.Known.ABSENT) {
            pending.state = new Intent(ledger.record(producer, partition, new ReplyLedgerEntry(reply.replyId(),
                    ReplyLedgerEntry.State.POSTING, clock.instant(), 0, List.of())));
        }
    }

    @Override
    protected int deliveryThreads() {
        return graph.maxConcurrency();
    }

    @Override
    protected int tenantConcurrency() {
        return graph.tenantMaxConcurrency();
    }

    /**
     * One attempt at one reply. The first attempt checks the ledger (posted: skipped), resolves the team and the
     * address (unaddressable: dead-lettered) and makes the {@code posting} intent durable; then each part not yet
     * posted is posted. Throttling (429 with Retry-After) and unavailability (503, 504, network) schedule the reply
     * again, keeping its place, for as long as {@code graph.retry.throttle-budget-ms} allows since its first failure;
     * a 429 or a Retry-After makes the tenant's other replies wait too. 400, 403, 404 and the like are dead-lettered
     * at once; a rejected credential waits and retries without dead-lettering anything.
     */
    @Override
    protected ConversationLanes.Outcome deliver(Pending pending) throws Exception {
        ConsumerRecord<byte[], byte[]> record = pending.record();
        ReplyEvent reply = pending.reply();
        Instant now = clock.instant();
        if (!(pending.state instanceof Delivery)) {
            Intent intent = (Intent) pending.state;
            ReplyLedger.Known known = intent != null ? ReplyLedger.Known.ABSENT
                    : ledger.get(record.partition(), reply.replyId(), producedAt(record));
            if (known == ReplyLedger.Known.POSTED) {
                skipDuplicate(reply);
                return ConversationLanes.DONE;
            }
            String teamAadGroupId = reply.teamAadGroupId();
            if (teams != null && ReplyAddress.isChannel(reply) && blank(teamAadGroupId) && !blank(reply.teamId())) {
                TeamDirectory.Resolution team = teams.resolve(reply.teamId(), reply.serviceUrl(), reply.tenantId());
                if (!team.resolved()) {
                    return refuse(record, reply, TEAM_UNRESOLVED, TeamDirectory.class.getName(),
                            "channel reply without the team's AAD group id: " + team.detail(), now);
                }
                teamAadGroupId = team.aadGroupId();
            }
            ReplyAddress address;
            try {
                address = ReplyAddress.of(reply, teamAadGroupId);
            } catch (ReplyAddress.UnaddressableException e) {
                return refuse(record, reply, "graph-unaddressable", e.getClass().getName(), e.getMessage(), now);
            }
            boolean replayed = record.headers().lastHeader(ErrorHeaders.REPLAY_ATTEMPT) != null;
            // no request for a reply before its intent is durable
            if (intent != null) {
                intent.sent().get(30, TimeUnit.SECONDS);
            } else if (known != ReplyLedger.Known.POSTING) {
                ledger.record(producer, record.partition(), new ReplyLedgerEntry(reply.replyId(),
                        ReplyLedgerEntry.State.POSTING, now, 0, List.of())).get(30, TimeUnit.SECONDS);
            }
            // a post started and not confirmed, or one the memory may have forgotten: look before posting
            pending.state = new Delivery(address, known == ReplyLedger.Known.POSTING
                    || known == ReplyLedger.Known.MAYBE_FORGOTTEN || replayed, graph.maxMessageBytes());
        }
        Delivery delivery = (Delivery) pending.state;
        RateLimiter limiter = rateLimiters.get(reply.tenantId());
        List<TeamsReplyRenderer.Part> parts = renderer.render(reply, delivery.maxPartBytes);
        for (int i = delivery.postedParts; i < parts.size(); i++) {
            if (!limiter.acquirePermission()) {
                // over the tenant's rate: this conversation waits its turn, the thread serves others
                return later(clock.instant().plusMillis(Math.max(1, 1_000 / graph.tenantRequestsPerSecond())), false);
            }
            try {
                GraphReplyClient.Posted posted = client.post(delivery.address, reply.replyId(), parts.get(i),
                        new GraphAuth.User(reply.tenantId(), reply.senderAadObjectId()), delivery.checkFirst, () -> { });
                delivery.attempts += posted.attempts();
                delivery.messageIds.add(posted.messageId());
                delivery.allFound &= posted.foundExisting();
                delivery.postedParts = i + 1;
            } catch (GraphReplyClient.AttemptsExhausted e) {
                now = clock.instant(); // waits count from Graph's answer, not from the start of the attempt
                delivery.attempts += e.attempts();
                if (delivery.firstFailureAt == null) {
                    delivery.firstFailureAt = e.firstFailureAt() != null ? e.firstFailureAt() : now;
                }
                GraphFailure failure = e.failure();
                if (failure.ambiguous()) {
                    delivery.checkFirst = true; // Graph may have created it: look before posting again
                }
                switch (failure.kind()) {
                    case AUTHENTICATION -> {
                        failing("graph authentication: " + failure.reason());
                        log.error("event=graph_auth_failed tenant={} status={} detail=\"{}\" action=wait_and_retry",
                                reply.tenantId(), failure.status(), failure.getMessage());
                        return later(now.plus(backoff(delivery.waits++)), true);
                    }
                    case RETRIABLE -> {
                        Duration wait = failure.retryAfter() != null ? failure.retryAfter() : backoff(delivery.waits);
                        delivery.waits++;
                        Duration spent = Duration.between(delivery.firstFailureAt, now);
                        if (spent.plus(wait).compareTo(graph.throttleBudget()) > 0) {
                            return fail(pending, delivery, failure.asFinal("still failing after " + spent.toSeconds()
                                    + " s of retries; graph.retry.throttle-budget-ms is "
                                    + graph.throttleBudget().toMillis()), now);
                        }
                        throttled.increment();
                        log.info("event=reply_throttled tenant={} conversation={} reply_id={} status={}"
                                        + " wait_ms={} retried_for_ms={}", reply.tenantId(), reply.conversationId(),
                                reply.replyId(), failure.status(), wait.toMillis(), spent.toMillis());
                        return later(now.plus(wait), failure.status() == 429 || failure.retryAfter() != null);
                    }
                    default -> {
                        if (failure.status() == 413 && i == 0 && delivery.maxPartBytes / 2 >= MIN_PART_BYTES) {
                            delivery.maxPartBytes /= 2;
                            parts = renderer.render(reply, delivery.maxPartBytes);
                            log.info("event=reply_split_after_413 reply_id={} max_bytes={} parts={}", reply.replyId(),
                                    delivery.maxPartBytes, parts.size());
                            i = -1;
                            continue;
                        }
                        return fail(pending, delivery, failure, now);
                    }
                }
            } catch (RuntimeException e) {
                return fail(pending, delivery, new GraphFailure(GraphFailure.Kind.FINAL, 0, null, null, null,
                        "graph-client-error", "posting failed: " + e.getClass().getSimpleName()), now);
            }
        }
        return confirm(pending, delivery, parts.size());
    }

    private static Instant producedAt(ConsumerRecord<byte[], byte[]> record) {
        return Instant.ofEpochMilli(record.timestamp());
    }

    /** Wait before another try when Graph gave no Retry-After: the initial back-off doubled per wait, at most 60 s. */
    private Duration backoff(int waits) {
        long ms = graph.initialBackoff().toMillis() << Math.min(16, waits);
        return Duration.ofMillis(Math.max(100, Math.min(60_000, ms)));
    }

    /** Every part is in Graph: the {@code posted} entry, the count, the telemetry. */
    private ConversationLanes.Outcome confirm(Pending pending, Delivery delivery, int parts) throws Exception {
        ReplyEvent reply = pending.reply();
        Instant done = clock.instant();
        ledger.record(producer, pending.record().partition(), new ReplyLedgerEntry(reply.replyId(),
                ReplyLedgerEntry.State.POSTED, done, parts, delivery.messageIds)).get(30, TimeUnit.SECONDS);
        recordDelivered(reply, done);
        long millis = (System.nanoTime() - delivery.started) / 1_000_000;
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("replyId", reply.replyId());
        attributes.put("sink", SINK);
        attributes.put("kind", reply.kind().wireName());
        attributes.put("status", delivery.allFound ? "found" : "201");
        attributes.put("attempts", delivery.attempts);
        attributes.put("parts", parts);
        attributes.put("latencyMs", millis);
        attributes.put("target", delivery.address instanceof ReplyAddress.Chat ? "chat" : "channel");
        if (!delivery.messageIds.isEmpty() && delivery.messageIds.get(0) != null) {
            attributes.put("graphMessageId", delivery.messageIds.get(0));
        }
        sendTelemetry(TelemetryEvent.Types.REPLY_POSTED, reply, done, attributes);
        log.info("event=reply_posted sink=graph tenant={} conversation={} reply_id={} target={} parts={}"
                        + " attempts={} found_existing={} millis={}", reply.tenantId(), reply.conversationId(),
                reply.replyId(), attributes.get("target"), parts, delivery.attempts, delivery.allFound, millis);
        return ConversationLanes.DONE;
    }

    /** The reply cannot be posted: dead-lettered with the failure's headers, counted as failed. */
    private ConversationLanes.Outcome fail(Pending pending, Delivery delivery, GraphFailure failure, Instant now)
            throws Exception {
        ReplyEvent reply = pending.reply();
        awaitDeadLetter(deadLetter(pending.record(), errorHeaders(failure, delivery)));
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("replyId", reply.replyId());
        attributes.put("sink", SINK);
        attributes.put("kind", reply.kind().wireName());
        attributes.put("status", failure.status());
        attributes.put("reason", failure.reason());
        attributes.put("attempts", delivery.attempts);
        if (failure.code() != null) {
            attributes.put("code", failure.code());
        }
        sendTelemetry(failedEventId(pending.record(), reply), TelemetryEvent.Types.REPLY_FAILED, reply, now,
                attributes);
        return ConversationLanes.DONE;
    }

    /** Dead-letters a reply that is not posted anywhere, with {@code reason}, and counts it as failed. */
    private ConversationLanes.Outcome refuse(ConsumerRecord<byte[], byte[]> record, ReplyEvent reply, String reason,
                                             String errorClass, String message, Instant now) throws Exception {
        Map<String, String> error = new LinkedHashMap<>();
        error.put(ErrorHeaders.CLASS, errorClass);
        error.put(ErrorHeaders.MESSAGE, message);
        error.put(ErrorHeaders.REASON, reason);
        error.put(ErrorHeaders.STATUS, "0");
        error.put(ErrorHeaders.ATTEMPTS, "0");
        awaitDeadLetter(deadLetter(record, error));
        sendTelemetry(failedEventId(record, reply), TelemetryEvent.Types.REPLY_FAILED, reply, now,
                Map.of("replyId", reply.replyId(), "sink", SINK, "kind", reply.kind().wireName(), "reason", reason,
                        "attempts", 0, "status", 0));
        return ConversationLanes.DONE;
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    /** One {@code reply.failed} per delivery attempt: a replayed reply that fails again is counted again. */
    private static String failedEventId(ConsumerRecord<byte[], byte[]> record, ReplyEvent reply) {
        var attempt = record.headers().lastHeader(ErrorHeaders.REPLAY_ATTEMPT);
        return TelemetryEvent.Types.REPLY_FAILED + ":" + reply.replyId() + ":"
                + (attempt == null ? "0" : new String(attempt.value(), StandardCharsets.UTF_8));
    }

    private static Map<String, String> errorHeaders(GraphFailure failure, Delivery delivery) {
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
        closeQuietly(client);
        closeQuietly(ledger);
    }
}
