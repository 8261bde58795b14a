package io.tla.bench;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.tla.connectors.graph.GraphAuth;
import io.tla.connectors.graph.GraphReplySink;
import io.tla.connectors.outbox.OutboxReplySink;
import io.tla.connectors.replies.ReplySink;
import io.tla.platform.config.DataConfig;
import io.tla.platform.config.GraphConfig;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.schemas.ConversationType;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code graph-sink}: the Microsoft Graph reply connector ({@code reply.sink=graph}, {@link GraphReplySink}) against
 * a Graph in the same JVM that answers at once ({@link GraphStub}), so what is measured is the connector: its
 * Kafka consumer, the reply ledger's intents and confirmations, the Graph SDK's HTTP stack, pacing and telemetry.
 * Replies are pre-loaded into {@code teams.replies.v1}, spread over many tenants and conversations (half channel
 * threads, half group chats); throughput is replies divided by the time from the sink's start until the stub has
 * seen every one of them. The baseline is the outbox sink ({@link OutboxReplySink}) on the same replies, in a
 * consumer group of its own: the same consumer loop, writing JSON lines to a file instead. Both sinks are first
 * warmed up, in the same JVM and consumer groups, on {@code --warmup} replies of their own (see
 * {@link PipelineScenario} for why); the measured instances then resume from the offsets the warm-up committed,
 * and the graph sink reloads its ledger, as a restarted instance would.
 *
 * <p>The connector's tunables ({@code graph.max-concurrency}, {@code graph.tenant.max-concurrency},
 * {@code graph.tenant.requests-per-second}, ...) come from the user's configuration ({@code --set}), so a run can
 * try other values; only the endpoint, the auth mode and the consumer groups are the benchmark's.
 */
final class GraphSinkScenario {

    static final int TENANTS = 100;
    static final int CONVERSATIONS = 2_000;
    static final String RUN_PREFIX = "bench-graph-run-";
    static final String WARMUP_PREFIX = "bench-graph-warmup-";
    static final String GRAPH_GROUP = "tla-bench-graph-sink";
    static final String OUTBOX_GROUP = "tla-bench-outbox-sink";
    static final int STUB_THREADS = 64;
    private static final Duration PHASE_TIMEOUT = Duration.ofSeconds(150);
    /** How long the sink may take to confirm (ledger, telemetry) the last batch after its posts arrived. */
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(30);

    private static final String[] TEXTS = {
        "Good morning everyone, could you please review the revised roadmap for the third quarter by Thursday?",
        "The customer called yesterday and asked whether we can bring the delivery forward by one week.",
        "Tomorrow's meeting moves to 2 pm, Confluence room on the second floor.",
        "The deployment to production finished without errors and the dashboards show normal values.",
    };

    private GraphSinkScenario() {
    }

    static BenchResult run(BenchEnvironment env, int messages, int warmupMessages, BenchLog log) throws Exception {
        GraphPhase warmGraph = null;
        OutboxPhase warmOutbox = null;
        if (warmupMessages > 0) {
            log.info("warming up on %d replies of their own (both sinks, same consumer groups), not measured",
                    warmupMessages);
            loadReplies(env.clients(), WARMUP_PREFIX, warmupMessages);
            warmGraph = runGraph(env, WARMUP_PREFIX, warmupMessages, "warm-up graph", log);
            warmOutbox = runOutbox(env, warmupMessages, "warm-up baseline (outbox)", log);
        }
        log.info("loading %d replies (%d tenants, %d conversations, half channel threads, half group chats) into "
                + "%s (%d partitions)", messages, TENANTS, CONVERSATIONS, Topics.REPLIES.name(), env.partitions());
        long loadStart = System.nanoTime();
        loadReplies(env.clients(), RUN_PREFIX, messages);
        log.info("loaded in %.1f s", (System.nanoTime() - loadStart) / 1e9);

        GraphPhase graph = runGraph(env, RUN_PREFIX, messages, "graph", log);
        graph.latencies = Latencies.of(postedLatencies(env.clients(), messages));
        log.info("graph: p50 %.1f ms, p99 %.1f ms (reply.posted latencyMs)", graph.latencies.p50Ms(),
                graph.latencies.p99Ms());
        OutboxPhase outbox = runOutbox(env, messages, "baseline (outbox)", log);

        GraphConfig settings = graph.settings;
        return BenchResult.of(BenchScenario.GRAPH_SINK, messages, graph.throughputPerS(), graph.latencies)
                .baseline(outbox.throughputPerS())
                .put("p95_ms", graph.latencies.p95Ms())
                .put("max_ms", graph.latencies.maxMs())
                .put("latency", "per reply, from the start of its post (tenant rate limiter's wait and retries "
                        + "included) to Graph's 201, as the connector reports it in reply.posted latencyMs "
                        + "(whole milliseconds)")
                .put("latency_samples", graph.latencies.count())
                .put("completed", graph.distinct)
                .put("confirmed", graph.confirmed)
                .put("duplicates", graph.duplicates)
                .put("posted_channel", graph.channelPosts)
                .put("posted_chat", graph.chatPosts)
                .put("stub_refused", graph.refused)
                .put("stub_unexpected", graph.unexpected)
                .put("dead_lettered", graph.deadLettered)
                .put("timed_out", graph.timedOut)
                .put("duration_s", graph.elapsedS())
                .put("first_post_s", graph.firstS())
                .put("steady_per_s", graph.steadyPerS())
                .put("http_request_mean_ms", graph.httpMeanMs)
                .put("http_requests", graph.httpRequests)
                .put("rss_before_mb", graph.rssBeforeMb)
                .put("rss_mb", graph.rssAfterMb)
                .put("rss_peak_mb", graph.rssPeakMb)
                .put("cpu_cores", graph.cpuCores)
                .put("heap_max_mb", graph.heapMaxMb)
                .put("baseline", "outbox sink (JSON lines, one fsync per group of replies written together) on the same replies, own consumer group")
                .put("baseline_completed", outbox.completed)
                .put("baseline_duration_s", outbox.elapsedS())
                .put("baseline_first_write_s", outbox.firstS())
                .put("baseline_timed_out", outbox.timedOut)
                .put("graph_stub", "JDK HttpServer in this JVM, " + STUB_THREADS + " threads, answers 201 at once")
                .put("warmup_messages", warmupMessages)
                .put("warmup_per_s", warmGraph == null ? null : warmGraph.throughputPerS())
                .put("warmup_duplicates", warmGraph == null ? null : warmGraph.duplicates)
                .put("warmup_baseline_per_s", warmOutbox == null ? null : warmOutbox.throughputPerS())
                .put("graph_max_concurrency", settings.maxConcurrency())
                .put("graph_tenant_max_concurrency", settings.tenantMaxConcurrency())
                .put("graph_tenant_requests_per_second", settings.tenantRequestsPerSecond())
                .put("graph_reply_format", settings.replyFormat())
                .put("auth_mode", settings.authMode())
                .put("tenants", TENANTS)
                .put("conversations", CONVERSATIONS)
                .put("partitions", env.partitions())
                .put("max_poll_records", ReplySink.consumerProperties(env.clients(),
                        new ReplyConfig(GraphReplySink.SINK, GRAPH_GROUP), GraphReplySink.SINK)
                        .get(ConsumerConfig.MAX_POLL_RECORDS_CONFIG));
    }

    /** The index of a reply id of the measured run, -1 for another one. */
    static int indexOf(String replyId) {
        return indexOf(RUN_PREFIX, replyId);
    }

    private static int indexOf(String prefix, String replyId) {
        if (!replyId.startsWith(prefix)) {
            return -1;
        }
        try {
            return Integer.parseInt(replyId.substring(prefix.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Reply {@code i}: conversation {@code i % CONVERSATIONS}, which belongs to tenant {@code conversation %
     * TENANTS}; even conversations are channel threads (team AAD group id, channel {@code 19:...@thread.tacv2},
     * root message), odd ones group chats ({@code 19:...@thread.v2}).
     */
    static ReplyEvent reply(String prefix, int i, Instant now) {
        int conversation = i % CONVERSATIONS;
        int tenant = conversation % TENANTS;
        String tenantId = guid(1, tenant);
        String text = TEXTS[i % TEXTS.length];
        List<Translation> translations = List.of(new Translation("en", text),
                new Translation("ja", "（訳）" + text.substring(0, Math.min(40, text.length()))));
        String replyId = prefix + i;
        String replyTo = Long.toString(1_700_000_000_000L + i);
        if (conversation % 2 == 0) {
            String channelId = String.format(Locale.ROOT, "19:bench%032x@thread.tacv2", conversation);
            String root = Long.toString(1_600_000_000_000L + conversation);
            return new ReplyEvent(replyId, tenantId, channelId + ";messageid=" + root, replyTo, ReplyKind.TRANSLATION,
                    "de", translations, "offline", "offline", Usage.NONE, now, ConversationType.CHANNEL,
                    guid(2, tenant), channelId, root, "https://smba.trafficmanager.net/emea/", now, guid(3, i));
        }
        String chatId = String.format(Locale.ROOT, "19:bench%032x@thread.v2", conversation);
        return new ReplyEvent(replyId, tenantId, chatId, replyTo, ReplyKind.TRANSLATION, "de", translations,
                "offline", "offline", Usage.NONE, now, ConversationType.GROUP_CHAT, null, null, null,
                "https://smba.trafficmanager.net/emea/", now, guid(3, i));
    }

    private static String guid(int kind, int n) {
        return String.format(Locale.ROOT, "%08x-0000-4000-8000-%012x", kind, n);
    }

    private static void loadReplies(KafkaClients clients, String prefix, int count) {
        Map<String, Object> props = clients.properties("tla-bench-reply-loader");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (KafkaProducer<String, ReplyEvent> producer = new KafkaProducer<>(props, new StringSerializer(),
                Topics.REPLIES.valueSerde().serializer())) {
            for (int i = 0; i < count; i++) {
                Instant now = Instant.now();
                ReplyEvent reply = reply(prefix, i, now);
                producer.send(new ProducerRecord<>(Topics.REPLIES.name(), null, now.toEpochMilli(),
                        reply.conversationId(), reply), (metadata, e) -> {
                            if (e != null) {
                                failure.compareAndSet(null, e);
                            }
                        });
            }
            producer.flush();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("loading benchmark replies failed: " + failure.get(), failure.get());
        }
    }

    /** When a phase started, delivered its first reply and its last. */
    private abstract static class Span {
        long startNanos;
        long firstNanos = -1;
        long lastNanos;

        double elapsedS() {
            return Math.max(1, lastNanos - startNanos) / 1e9;
        }

        /** Seconds from the sink's start to its first delivered reply: joining the group, loading the ledger. */
        double firstS() {
            return firstNanos < 0 ? 0 : (firstNanos - startNanos) / 1e9;
        }
    }

    /** What the Graph side measured. */
    private static final class GraphPhase extends Span {
        GraphConfig settings;
        int distinct;
        long confirmed;
        long duplicates;
        long channelPosts;
        long chatPosts;
        long refused;
        long unexpected;
        long deadLettered;
        boolean timedOut;
        Latencies latencies;
        double httpMeanMs;
        long httpRequests;
        Long rssBeforeMb;
        Long rssAfterMb;
        Long rssPeakMb;
        double cpuCores;
        double heapMaxMb;

        double throughputPerS() {
            return distinct / elapsedS();
        }

        /** From the first post to the last: the rate once the consumer has joined and the ledger is loaded. */
        double steadyPerS() {
            return distinct > 1 && lastNanos > firstNanos ? (distinct - 1) / ((lastNanos - firstNanos) / 1e9) : 0;
        }
    }

    /**
     * Runs the graph sink (consumer group {@value #GRAPH_GROUP}) from the group's committed offsets against a fresh
     * stub until the stub has seen all {@code messages} replies of {@code prefix}.
     */
    private static GraphPhase runGraph(BenchEnvironment env, String prefix, int messages, String name, BenchLog log)
            throws Exception {
        String token = UUID.randomUUID().toString();
        try (GraphStub stub = new GraphStub(token, STUB_THREADS, id -> indexOf(prefix, id) >= 0)) {
            TlaConfig config = env.config(Map.of(
                    ReplyConfig.SINK, GraphReplySink.SINK,
                    ReplyConfig.CONSUMER_GROUP, GRAPH_GROUP,
                    GraphConfig.BASE_URL, stub.baseUrl(),
                    GraphConfig.AUTH_MODE, "static-token"));
            return runGraph(env, config, stub, token, messages, name, log);
        }
    }

    private static GraphPhase runGraph(BenchEnvironment env, TlaConfig config, GraphStub stub, String token,
                                       int messages, String name, BenchLog log) throws Exception {
        GraphPhase phase = new GraphPhase();
        GraphConfig graph = GraphConfig.from(config);
        phase.settings = graph;
        // the token lives in an in-process store only: the stub checks it, nothing logs it
        EnvSecretStore secrets = new EnvSecretStore(Map.of(EnvSecretStore.variableFor(graph.staticTokenSecret()), token));
        log.info("%s: sink posting to %s, max-concurrency %d, tenant max-concurrency %d, tenant %d requests/s",
                name, stub.baseUrl(), graph.maxConcurrency(), graph.tenantMaxConcurrency(), graph.tenantRequestsPerSecond());
        phase.rssBeforeMb = ProcStatus.kb("VmRSS") == null ? null : ProcStatus.kb("VmRSS") / 1024;
        try (TlaMetrics metrics = new TlaMetrics()) {
            GraphReplySink sink = new GraphReplySink(graph, new GraphAuth(graph, secrets, null),
                    ReplyConfig.from(config), env.clients(), metrics, new Health());
            Counter delivered = counter(metrics, "tla.replies.written", GraphReplySink.SINK);
            Counter deadLettered = counter(metrics, "tla.replies.dead.lettered", GraphReplySink.SINK);
            try (sink; PhaseMeter meter = new PhaseMeter(log, () -> String.format(Locale.ROOT,
                    "%s: posted %d/%d (channel %d, chat %d), confirmed %.0f, dead-lettered %.0f",
                    name, stub.distinctReplies(), messages, stub.channelPosts(), stub.chatPosts(), delivered.count(),
                    deadLettered.count()))) {
                phase.startNanos = System.nanoTime();
                sink.start();
                phase.timedOut = !await(() -> stub.distinctReplies() + (long) deadLettered.count(), messages,
                        phase.startNanos + PHASE_TIMEOUT.toNanos());
                phase.lastNanos = stub.lastNewNanos() > 0 ? stub.lastNewNanos() : System.nanoTime();
                phase.firstNanos = stub.firstNanos();
                meter.stop();
                phase.cpuCores = meter.cpuCores();
                phase.heapMaxMb = meter.heapMaxMb();
                phase.rssAfterMb = ProcStatus.kb("VmRSS") == null ? null : ProcStatus.kb("VmRSS") / 1024;
                phase.rssPeakMb = ProcStatus.kb("VmHWM") == null ? null : ProcStatus.kb("VmHWM") / 1024;
                // let the last batch's confirmations and telemetry land before the sink stops
                await(() -> (long) (delivered.count() + deadLettered.count()), messages,
                        System.nanoTime() + CONFIRM_TIMEOUT.toNanos());
            }
            // closed: offsets committed, no more posts; now the stub's counts are final
            phase.confirmed = (long) delivered.count();
            phase.deadLettered = (long) deadLettered.count();
            Timer requests = metrics.registry().find("tla.graph.request").tag("operation", "post").timer();
            if (requests != null) {
                phase.httpRequests = requests.count();
                phase.httpMeanMs = requests.mean(TimeUnit.MILLISECONDS);
            }
        }
        phase.distinct = stub.distinctReplies();
        phase.duplicates = stub.duplicates();
        phase.channelPosts = stub.channelPosts();
        phase.chatPosts = stub.chatPosts();
        phase.refused = stub.refused();
        phase.unexpected = stub.unexpected();
        log.info("%s: %d/%d posted in %.1f s (%.1f/s), %d duplicates, %d unexpected", name, phase.distinct,
                messages, phase.elapsedS(), phase.throughputPerS(), phase.duplicates, phase.unexpected);
        return phase;
    }

    /** What the outbox side measured. */
    private static final class OutboxPhase extends Span {
        long completed;
        boolean timedOut;

        double throughputPerS() {
            return completed / elapsedS();
        }
    }

    /** Runs the outbox sink (consumer group {@value #OUTBOX_GROUP}) until it has written {@code messages} replies. */
    private static OutboxPhase runOutbox(BenchEnvironment env, int messages, String name, BenchLog log)
            throws Exception {
        TlaConfig config = env.config(Map.of(ReplyConfig.SINK, OutboxReplySink.SINK,
                ReplyConfig.CONSUMER_GROUP, OUTBOX_GROUP));
        OutboxPhase phase = new OutboxPhase();
        Path outboxDir = DataConfig.from(config).outboxDir();
        try (TlaMetrics metrics = new TlaMetrics()) {
            OutboxReplySink sink = new OutboxReplySink(outboxDir, ReplyConfig.from(config), env.clients(), metrics,
                    new Health());
            Counter written = counter(metrics, "tla.replies.written", OutboxReplySink.SINK);
            try (sink; PhaseMeter meter = new PhaseMeter(log, () -> String.format(Locale.ROOT,
                    "%s: written %.0f/%d", name, written.count(), messages))) {
                phase.startNanos = System.nanoTime();
                sink.start();
                long deadline = phase.startNanos + PHASE_TIMEOUT.toNanos();
                phase.timedOut = !await(() -> {
                    long count = (long) written.count();
                    if (count > 0 && phase.firstNanos < 0) {
                        phase.firstNanos = System.nanoTime();
                    }
                    return count;
                }, messages, deadline);
                phase.lastNanos = System.nanoTime();
                phase.completed = (long) written.count();
                meter.stop();
            }
        }
        log.info("%s: %d/%d written in %.1f s (%.1f/s)", name, phase.completed, messages, phase.elapsedS(),
                phase.throughputPerS());
        return phase;
    }

    private static Counter counter(TlaMetrics metrics, String name, String sink) {
        return metrics.registry().get(name).tag("sink", sink).counter();
    }

    /** Polls every millisecond until {@code value} reaches {@code target}; false on the deadline. */
    private static boolean await(LongSupplier value, long target, long deadlineNanos) throws InterruptedException {
        while (value.getAsLong() < target) {
            if (System.nanoTime() > deadlineNanos) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    /**
     * The {@code latencyMs} of every {@code reply.posted} event of the graph sink on {@code tla.telemetry.v1}, in
     * nanoseconds; -1 for replies without one.
     */
    private static long[] postedLatencies(KafkaClients clients, int messages) {
        long[] nanos = new long[messages];
        java.util.Arrays.fill(nanos, -1);
        Map<String, Object> props = clients.properties("tla-bench-telemetry-reader");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        try (KafkaConsumer<String, TelemetryEvent> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                Topics.TELEMETRY.valueSerde().deserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(Topics.TELEMETRY.name(), Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline
                    && partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, TelemetryEvent> record : consumer.poll(Duration.ofMillis(200))) {
                    TelemetryEvent event = record.value();
                    if (event == null || !TelemetryEvent.Types.REPLY_POSTED.equals(event.type())
                            || !GraphReplySink.SINK.equals(event.attributes().get("sink"))) {
                        continue;
                    }
                    int index = indexOf(String.valueOf(event.attributes().get("replyId")));
                    if (index >= 0 && index < messages && event.attributes().get("latencyMs") instanceof Number ms) {
                        nanos[index] = ms.longValue() * 1_000_000L;
                    }
                }
            }
        }
        return nanos;
    }

    /** Lines of {@code /proc/self/status} (Linux); null elsewhere. */
    static final class ProcStatus {
        private ProcStatus() {
        }

        /** The value of field {@code name} in kB, null when it cannot be read. */
        static Long kb(String name) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith(name + ":")) {
                        return Long.parseLong(line.substring(name.length() + 1).replace("kB", "").trim());
                    }
                }
            } catch (IOException | RuntimeException e) {
                return null;
            }
            return null;
        }
    }
}
