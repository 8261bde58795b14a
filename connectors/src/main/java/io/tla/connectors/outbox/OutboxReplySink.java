package io.tla.connectors.outbox;

import io.tla.connectors.replies.ConversationLanes;
import io.tla.connectors.replies.ReplySink;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.schemas.Json;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import java.io.IOException;
import io.tla.platform.files.PrivateFiles;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code outbox} reply sink: consumes {@code teams.replies.v1} (read_committed) and appends each reply as one
 * JSON line to {@code outboxDir/replies-YYYY-MM-DD.jsonl}. Each reply is written and the file forced to disk
 * before its offset may be committed, so a crash re-reads rather than loses; replies delivered at the same time
 * share one force ({@link OutboxWriter}'s group commit). A reply id already in the outbox is skipped, so a re-read
 * never writes a reply twice. A conversation's replies are delivered one at a time, so its lines are in order in
 * the file; lines of different conversations interleave. Undeserialisable records go to
 * {@code teams.replies.dlq.v1}.
 */
public final class OutboxReplySink extends ReplySink {

    public static final String STAGE = "outbox-sink";
    public static final String SINK = "outbox";
    /** How far back the duplicate index reaches on start. */
    static final int DEDUPE_DAYS = 7;
    static final int DEDUPE_MAX_IDS = 1_000_000;
    /**
     * Replies being written at once: every delivery waiting for a force adds its line to the next one, so on a disk
     * with slow forces more threads mean fewer forces per reply (on the reference machine the sink is bound by CPU
     * first, about 1.4 replies a force: docs/benchmarks.md). There is no service to protect, so one tenant may use
     * them all.
     */
    static final int DELIVERY_THREADS = 8;

    private static final Logger log = LoggerFactory.getLogger(OutboxReplySink.class);

    private final Path outboxDir;
    private final OutboxWriter writer;
    private ReplyIdIndex index;

    public OutboxReplySink(Path outboxDir, ReplyConfig config, KafkaClients clients, TlaMetrics metrics, Health health) {
        this(outboxDir, config, clients, metrics, health, Clock.systemUTC());
    }

    OutboxReplySink(Path outboxDir, ReplyConfig config, KafkaClients clients, TlaMetrics metrics, Health health,
                    Clock clock) {
        super(SINK, STAGE, config, clients, metrics, health, clock);
        this.outboxDir = Objects.requireNonNull(outboxDir, "outboxDir");
        this.writer = new OutboxWriter(outboxDir);
    }

    @Override
    protected void prepare() throws IOException {
        PrivateFiles.directory(outboxDir);
        PrivateFiles.tighten(outboxDir); // files an older release wrote world-readable
        long started = System.nanoTime();
        index = ReplyIdIndex.load(outboxDir, today(), DEDUPE_DAYS, DEDUPE_MAX_IDS);
        log.info("event=outbox_index_loaded dir={} reply_ids={} millis={}", outboxDir, index.size(),
                (System.nanoTime() - started) / 1_000_000);
    }

    @Override
    protected String readyDetail() {
        return "consuming " + Topics.REPLIES.name() + " into " + outboxDir;
    }

    @Override
    protected int deliveryThreads() {
        return DELIVERY_THREADS;
    }

    @Override
    protected int tenantConcurrency() {
        return DELIVERY_THREADS;
    }

    /**
     * Appends the reply and waits until a force has covered its line before the reply counts as delivered; a reply
     * id already there is skipped. A failed write or force throws: the line is gone from the file, and the reply is
     * tried again.
     */
    @Override
    protected ConversationLanes.Outcome deliver(Pending pending) throws Exception {
        ReplyEvent reply = pending.reply();
        if (index.contains(reply.replyId())) {
            skipDuplicate(reply);
            return ConversationLanes.DONE;
        }
        Instant now = clock.instant();
        byte[] line = Json.mapper().writeValueAsBytes(reply);
        writer.awaitDurable(writer.append(line, LocalDate.ofInstant(now, ZoneOffset.UTC)));
        index.add(reply.replyId()); // only once durable
        recordDelivered(reply, now);
        sendTelemetry(TelemetryEvent.Types.REPLY_POSTED, reply, now,
                Map.of("replyId", reply.replyId(), "sink", SINK, "kind", reply.kind().wireName()));
        log.info("event=reply_written sink=outbox tenant={} conversation={} reply_id={} kind={}", reply.tenantId(),
                reply.conversationId(), reply.replyId(), reply.kind().wireName());
        return ConversationLanes.DONE;
    }

    @Override
    protected void closeResources() {
        closeQuietly(writer);
    }

    private LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    }
}
