package io.tla.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.connectors.ingress.SyncReplies;
import io.tla.platform.config.SyncReplyConfig;
import io.tla.schemas.ConversationType;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Sender;
import io.tla.schemas.Topics;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What answering inside Teams' webhook window costs. Replies are produced to {@code teams.replies.v1} at a steady
 * rate, as the topology would; two ingress instances ({@link SyncReplies}) follow the whole topic, each holding
 * every other message as a pending sync-reply call. Measured: the time from a reply's send to its webhook answer
 * being ready (the follower's read, the answer's record on {@code tla.replies.answered.v1} and its
 * acknowledgement), against the baseline in the same run: the time from the same send until a plain consumer-group
 * consumer (what a reply connector is) has the reply. Also the CPU time of the followers' threads, the price every
 * ingress instance pays for following the topic whole.
 */
final class SyncReplyScenario {

    static final int DEFAULT_RATE = 500;
    private static final int INSTANCES = 2;

    private SyncReplyScenario() {
    }

    static BenchResult run(BenchEnvironment env, int messages, int ratePerS, BenchLog log) throws Exception {
        env.ensureTopics(List.copyOf(Topics.REQUIRED));
        SyncReplyConfig config = new SyncReplyConfig(Duration.ofMillis(SyncReplyConfig.MAX_DEADLINE_MS),
                SyncReplyConfig.defaults().handoffGrace());
        List<SyncReplies> ingresses = new ArrayList<>();
        for (int i = 0; i < INSTANCES; i++) {
            SyncReplies replies = env.register(new SyncReplies(env.clients(), config, new SimpleMeterRegistry(),
                    Clock.systemUTC()).start());
            if (!replies.awaitFollowing(Duration.ofSeconds(60))) {
                throw new IllegalStateException("the ingress did not start following " + Topics.REPLIES.name());
            }
            ingresses.add(replies);
        }
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        long[] answered = new long[messages];
        long[] seen = new long[messages];
        AtomicLong answeredCount = new AtomicLong();
        CountDownLatch allSeen = new CountDownLatch(messages);
        CountDownLatch joined = new CountDownLatch(1);
        Thread baseline = new Thread(() -> consumeAsAGroup(env, sentAt, seen, joined, allSeen), "bench-reply-group");
        baseline.setDaemon(true);
        baseline.start();
        if (!joined.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the baseline consumer did not join its group");
        }

        Map<String, Object> props = env.clients().properties("bench-replies-producer");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long followerCpuBefore = cpuNanos(threads, FOLLOWING);
        long answeringCpuBefore = cpuNanos(threads, ANSWERING);
        long gapNanos = TimeUnit.SECONDS.toNanos(1) / ratePerS;
        long missed;
        try (KafkaProducer<String, ReplyEvent> producer = new KafkaProducer<>(props,
                Topics.REPLIES.keySerde().serializer(), Topics.REPLIES.valueSerde().serializer());
             PhaseMeter meter = new PhaseMeter(log, () -> answeredCount.get() + " of " + messages + " answered")) {
            long next = System.nanoTime();
            for (int i = 0; i < messages; i++) {
                NormalizedMessage message = message(i, config);
                SyncReplies ingress = ingresses.get(i % INSTANCES);
                SyncReplies.Pending pending = ingress.expect(message);
                int index = i;
                ingress.answer(pending).thenAccept(answer -> {
                    if (answer.isPresent()) {
                        answered[index] = System.nanoTime() - sentAt.get(message.messageId());
                        answeredCount.incrementAndGet();
                    }
                });
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                next += gapNanos;
                sentAt.put(message.messageId(), System.nanoTime());
                producer.send(new ProducerRecord<>(Topics.REPLIES.name(), message.conversationId(), reply(message)));
            }
            producer.flush();
            if (!allSeen.await(2, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the baseline consumer did not see every reply");
            }
            Thread.sleep(config.deadline().toMillis()); // the last pending calls answer or time out
            meter.stop();
            missed = messages - answeredCount.get();
            long followerCpu = cpuNanos(threads, FOLLOWING) - followerCpuBefore;
            long answeringCpu = cpuNanos(threads, ANSWERING) - answeringCpuBefore;
            double seconds = (System.nanoTime() - meter.startNanos()) / 1e9;
            Latencies sync = Latencies.of(Arrays.stream(answered).filter(n -> n > 0).toArray());
            Latencies group = Latencies.of(seen);
            log.info("answered %d of %d in the window; reply seen by a group consumer p50 %.1f ms",
                    answeredCount.get(), messages, group.p50Ms());
            return BenchResult.of(BenchScenario.SYNC_REPLY, messages, answeredCount.get() / seconds, sync)
                    .put("offered_per_s", ratePerS)
                    .put("ingress_instances", INSTANCES)
                    .put("answered_in_window", answeredCount.get())
                    .put("missed_window", missed)
                    .put("baseline_group_consumer_p50_ms", BenchResult.round(group.p50Ms(), 3))
                    .put("baseline_group_consumer_p99_ms", BenchResult.round(group.p99Ms(), 3))
                    .put("added_p50_ms", BenchResult.round(sync.p50Ms() - group.p50Ms(), 3))
                    .put("added_p99_ms", BenchResult.round(sync.p99Ms() - group.p99Ms(), 3))
                    .put("follower_cpu_cores_per_instance",
                            BenchResult.round(followerCpu / (double) INSTANCES / (seconds * 1e9), 4))
                    .put("follower_cpu_us_per_reply_per_instance",
                            BenchResult.round(followerCpu / (double) INSTANCES / messages / 1e3, 1))
                    .put("answering_cpu_us_per_answer",
                            BenchResult.round(answeringCpu / (double) Math.max(1, answeredCount.get()) / 1e3, 1))
                    .put("replies_read_per_instance", ingresses.get(0).repliesRead())
                    .put("cpu_cores", meter.cpuCores())
                    .put("max_heap_mb", meter.heapMaxMb());
        } finally {
            baseline.interrupt();
        }
    }

    /** The thread that reads {@code teams.replies.v1} in each ingress instance. */
    private static final List<String> FOLLOWING = List.of("tla-ingress-replies-follower");
    /** The threads that record answers and send telemetry: the confirmation thread and that producer's I/O. */
    private static final List<String> ANSWERING = List.of("tla-sync-replies",
            "kafka-producer-network-thread | tla-ingress-replies-producer");

    /** CPU time of the threads whose name starts with one of {@code prefixes}, in all instances. */
    private static long cpuNanos(ThreadMXBean threads, List<String> prefixes) {
        long total = 0;
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            for (String prefix : prefixes) {
                if (thread.getName().startsWith(prefix)) {
                    total += Math.max(0, threads.getThreadCpuTime(thread.getId()));
                }
            }
        }
        return total;
    }

    private static void consumeAsAGroup(BenchEnvironment env, Map<String, Long> sentAt, long[] seen,
                                        CountDownLatch joined, CountDownLatch allSeen) {
        Map<String, Object> props = env.clients().properties("bench-reply-group");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-reply-group");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.REPLIES.name()), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    joined.countDown();
                }
            });
            while (allSeen.getCount() > 0 && !Thread.currentThread().isInterrupted()) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    long now = System.nanoTime();
                    String value = new String(record.value(), StandardCharsets.UTF_8);
                    int at = value.indexOf("\"replyToId\":\"") + 13;
                    String messageId = value.substring(at, value.indexOf('"', at));
                    Long sent = sentAt.get(messageId);
                    if (sent != null) {
                        seen[Integer.parseInt(messageId.substring(messageId.lastIndexOf('-') + 1))] = now - sent;
                        allSeen.countDown();
                    }
                }
            }
        } catch (org.apache.kafka.common.errors.InterruptException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static NormalizedMessage message(int i, SyncReplyConfig config) {
        Instant now = Instant.now();
        return new NormalizedMessage("bench-sync-" + i, "tenant-" + (i % 10), "19:bench-" + (i % 1_000) + "@thread.v2",
                ConversationType.GROUP_CHAT, new Sender("29:user-" + (i % 50), "User", null),
                "Kannst du das bitte übersetzen? Nachricht " + i, null, null, null, null, now, null,
                "bench", now.plus(config.deadline()));
    }

    private static ReplyEvent reply(NormalizedMessage m) {
        return ReplyEvent.answering(m, "reply-" + m.messageId(), ReplyKind.TRANSLATION, "de",
                List.of(new Translation("en", "Could you translate this, please? Message " + m.messageId())),
                "offline", null, Usage.NONE, Instant.now());
    }
}
