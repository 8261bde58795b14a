package io.tla.connectors.replay;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.platform.kafka.KafkaClients;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.Json;
import io.tla.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Re-publishes dead-letter records to their source topic. Reads the dead-letter topic from the beginning to the
 * end offsets it finds at start, selects records by tenant, time window and error code, and re-publishes each
 * selected record (same key and value bytes) with {@link ErrorHeaders#REPLAY_ATTEMPT} and
 * {@link ErrorHeaders#REPLAY_OF}. The replayed positions go to {@link Topics#REPLAY} in the same transaction as
 * the re-published records, so a second run skips them and a failed run leaves neither behind. Records whose next
 * attempt would exceed the maximum are parked: listed and counted, not re-published.
 */
public final class DeadLetterReplay {

    /** The dead-letter topics replay reads, and the source topic each one's records go back to. */
    public static final Map<String, String> SOURCES = Map.of(
            Topics.MESSAGES_DLQ.name(), Topics.MESSAGES.name(),
            Topics.REPLIES_DLQ.name(), Topics.REPLIES.name());

    public enum Action { REPLAY, PARK, SKIP }

    /**
     * What to replay. {@code tenant}, {@code since}, {@code until}, {@code error} are null when not filtering;
     * {@code limit} 0 means no limit.
     */
    public record Request(String from, String tenant, Instant since, Instant until, String error, int maxAttempts,
                          int limit, boolean dryRun) {
        public Request {
            if (!SOURCES.containsKey(from)) {
                throw new IllegalArgumentException("--from must be one of " + SOURCES.keySet().stream().sorted().toList()
                        + ", not " + from);
            }
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("--max-attempts must be at least 1");
            }
            if (limit < 0) {
                throw new IllegalArgumentException("--limit may not be negative");
            }
            if (since != null && until != null && until.isBefore(since)) {
                throw new IllegalArgumentException("--until is before --since");
            }
        }
    }

    /** One selected dead-letter record and what replay does with it; {@code attempt} is the attempt it would be. */
    public record Row(String position, long offset, int partition, String tenant, String stage, String error,
                      int attempt, Action action, String reason) {
    }

    /** The selected rows and the outcome; {@code failed}: the write failed and nothing was replayed. */
    public record Result(List<Row> rows, int replayed, int skipped, int parked, boolean failed, String failure) {
        public String summary() {
            return "replayed " + replayed + ", skipped " + skipped + ", parked " + parked;
        }
    }

    private static final String TRANSACTIONAL_PREFIX = "tla-replay-";

    private final KafkaClients clients;
    private final Duration timeout;
    private final Consumer<String> progress;

    /** {@code progress}: one line per step, for stderr. */
    public DeadLetterReplay(KafkaClients clients, Duration timeout, Consumer<String> progress) {
        this.clients = clients;
        this.timeout = timeout;
        this.progress = progress;
    }

    public Result run(Request request) {
        Set<String> replayed = new HashSet<>();
        readToEnd(Topics.REPLAY.name(), record -> {
            String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
            if (key != null && record.value() != null) {
                replayed.add(key);
            } else if (key != null) {
                replayed.remove(key);
            }
        });
        List<ConsumerRecord<byte[], byte[]>> selected = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        long read = readToEnd(request.from(), record -> {
            if (request.limit() > 0 && rows.size() >= request.limit()) {
                return;
            }
            Row row = select(request, record, replayed);
            if (row != null) {
                rows.add(row);
                if (row.action() == Action.REPLAY) {
                    selected.add(record);
                }
            }
        });
        progress.accept("read " + read + " record(s) from " + request.from() + ", " + rows.size() + " selected");
        int skipped = count(rows, Action.SKIP);
        int parked = count(rows, Action.PARK);
        if (request.dryRun() || selected.isEmpty()) {
            return new Result(rows, 0, skipped, parked, false, null);
        }
        try {
            publish(request.from(), selected, rows);
            return new Result(rows, selected.size(), skipped, parked, false, null);
        } catch (KafkaException e) {
            return new Result(rows, 0, skipped, parked, true, e.getMessage());
        }
    }

    private static int count(List<Row> rows, Action action) {
        return (int) rows.stream().filter(row -> row.action() == action).count();
    }

    /** The row for a record that passes the filters, null for one that does not. */
    private static Row select(Request request, ConsumerRecord<byte[], byte[]> record, Set<String> replayed) {
        Headers headers = record.headers();
        String tenant = tenantOf(record.value());
        if (request.tenant() != null && !request.tenant().equals(tenant)) {
            return null;
        }
        Instant at = instant(header(headers, ErrorHeaders.AT));
        if ((request.since() != null || request.until() != null) && at == null) {
            return null;
        }
        if (request.since() != null && at.isBefore(request.since())) {
            return null;
        }
        if (request.until() != null && at.isAfter(request.until())) {
            return null;
        }
        String reason = header(headers, ErrorHeaders.REASON);
        String className = header(headers, ErrorHeaders.CLASS);
        String simpleClass = className == null ? null : className.substring(className.lastIndexOf('.') + 1);
        String code = header(headers, ErrorHeaders.CODE);
        if (request.error() != null && !request.error().equals(reason) && !request.error().equals(simpleClass)
                && !request.error().equals(code)) {
            return null;
        }
        String error = reason != null ? reason : simpleClass;
        int attempt = previousAttempt(headers) + 1;
        String position = record.topic() + "/" + record.partition() + "/" + record.offset();
        Action action;
        String why;
        if (replayed.contains(position)) {
            action = Action.SKIP;
            why = "already replayed";
        } else if (attempt > request.maxAttempts()) {
            action = Action.PARK;
            why = "attempt " + attempt + " > max " + request.maxAttempts();
        } else {
            action = Action.REPLAY;
            why = "";
        }
        return new Row(position, record.offset(), record.partition(), tenant, header(headers, ErrorHeaders.STAGE),
                error, attempt, action, why);
    }

    private void publish(String from, List<ConsumerRecord<byte[], byte[]>> selected, List<Row> rows) {
        Map<String, Object> props = clients.properties("tla-replay");
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, TRANSACTIONAL_PREFIX + from);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        String source = SOURCES.get(from);
        Map<String, Integer> attempts = new HashMap<>();
        rows.forEach(row -> attempts.put(row.position(), row.attempt()));
        // The transactional id is per dead-letter topic: a second run started meanwhile fences the first.
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            try {
                String at = Instant.now().toString();
                int done = 0;
                for (ConsumerRecord<byte[], byte[]> record : selected) {
                    String position = record.topic() + "/" + record.partition() + "/" + record.offset();
                    int attempt = attempts.get(position);
                    Headers headers = new RecordHeaders();
                    headers.add(ErrorHeaders.REPLAY_ATTEMPT, Integer.toString(attempt).getBytes(StandardCharsets.UTF_8));
                    headers.add(ErrorHeaders.REPLAY_OF, position.getBytes(StandardCharsets.UTF_8));
                    producer.send(new ProducerRecord<>(source, null, record.key(), record.value(), headers));
                    String marker = Json.mapper().createObjectNode().put("at", at).put("attempt", attempt).toString();
                    producer.send(new ProducerRecord<>(Topics.REPLAY.name(), position.getBytes(StandardCharsets.UTF_8),
                            marker.getBytes(StandardCharsets.UTF_8)));
                    done++;
                    if (done % 100 == 0 || done == selected.size()) {
                        progress.accept(progressBar(done, selected.size()) + " replaying to " + source);
                    }
                }
                producer.commitTransaction();
            } catch (KafkaException e) {
                try {
                    producer.abortTransaction();
                } catch (KafkaException ignored) {
                    // A fenced or broken producer cannot abort; the broker aborts the open transaction itself.
                }
                throw e;
            }
        }
    }

    /** Reads every committed record of {@code topic} up to its end offsets at start; returns how many it read. */
    private long readToEnd(String topic, Consumer<ConsumerRecord<byte[], byte[]>> each) {
        Map<String, Object> props = clients.properties("tla-replay-reader");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                return 0;
            }
            List<TopicPartition> partitions = infos.stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // read_committed: the end offsets are the last stable offsets, so open transactions are not waited for.
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long read = 0;
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, timeout) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out reading " + topic + " to its end");
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))) {
                        each.accept(record);
                        read++;
                    }
                }
            }
            return read;
        }
    }

    private static String header(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static int previousAttempt(Headers headers) {
        String value = header(headers, ErrorHeaders.REPLAY_ATTEMPT);
        if (value == null) {
            return 0;
        }
        try {
            return Math.max(0, Integer.parseInt(value.trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Instant instant(String value) {
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** {@code [########------------]  40% 400/1000}: 20 cells, for a terminal that shows stderr line by line. */
    static String progressBar(int done, int total) {
        int cells = total == 0 ? 20 : (int) ((long) done * 20 / total);
        int percent = total == 0 ? 100 : (int) ((long) done * 100 / total);
        return "[" + "#".repeat(cells) + "-".repeat(20 - cells) + "] " + String.format("%3d%%", percent) + " " + done
                + "/" + total;
    }

    /** The value's {@code tenantId}; null when the value is not JSON or has none (e.g. a malformed record). */
    private static String tenantOf(byte[] value) {
        if (value == null) {
            return null;
        }
        try {
            JsonNode node = Json.mapper().readTree(value).get("tenantId");
            return node != null && node.isTextual() ? node.asText() : null;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }
}
