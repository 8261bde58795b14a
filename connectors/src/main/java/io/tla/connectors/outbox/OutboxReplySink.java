package io.tla.connectors.outbox;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code outbox} reply sink: consumes {@code teams.replies.v1} (read_committed) and appends each reply as one
 * JSON line to {@code outboxDir/replies-YYYY-MM-DD.jsonl}. Per poll batch it writes, forces the file to disk,
 * and only then commits the offsets, so a crash re-reads rather than loses; a reply id already in the outbox is
 * skipped, so a re-read never writes a reply twice. Undeserialisable records go to {@code teams.replies.dlq.v1}.
 */
public final class OutboxReplySink extends ReplySink {

    public static final String STAGE = "outbox-sink";
    public static final String SINK = "outbox";
    /** How far back the duplicate index reaches on start. */
    static final int DEDUPE_DAYS = 7;
    static final int DEDUPE_MAX_IDS = 1_000_000;

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

    /** One poll batch: write new replies, force the file, dead-letter poison; the base class then commits. */
    @Override
    protected void process(ConsumerRecords<byte[], byte[]> records) throws Exception {
        Set<String> batchIds = new HashSet<>();
        List<ReplyEvent> toWrite = new ArrayList<>();
        List<Future<RecordMetadata>> deadLetters = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            ReplyEvent reply = readOrDeadLetter(record, deadLetters);
            if (reply == null) {
                continue;
            }
            if (index.contains(reply.replyId()) || !batchIds.add(reply.replyId())) {
                skipDuplicate(reply);
                continue;
            }
            writer.append(Json.mapper().writeValueAsBytes(reply));
            toWrite.add(reply);
        }
        Instant now = clock.instant();
        writer.commit(LocalDate.ofInstant(now, ZoneOffset.UTC)); // one write + force per batch
        batchIds.forEach(index::add);                           // only once durable

        List<Future<RecordMetadata>> telemetry = new ArrayList<>();
        for (ReplyEvent reply : toWrite) {
            recordDelivered(reply, now);
            telemetry.add(sendTelemetry(TelemetryEvent.Types.REPLY_POSTED, reply, now,
                    Map.of("replyId", reply.replyId(), "sink", SINK, "kind", reply.kind().wireName())));
            log.info("event=reply_written sink=outbox tenant={} conversation={} reply_id={} kind={}", reply.tenantId(),
                    reply.conversationId(), reply.replyId(), reply.kind().wireName());
        }
        producer.flush();
        awaitDeadLetters(deadLetters);
        awaitTelemetry(telemetry);
    }

    @Override
    protected void batchFailed() {
        writer.discardPending();
    }

    @Override
    protected boolean canCommitOnShutdown() {
        return !writer.hasPending(); // written and forced before shutdown
    }

    @Override
    protected void closeResources() {
        closeQuietly(writer);
    }

    private LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    }
}
