package io.tla.app.reliability;

import io.tla.schemas.Json;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * An independent reader of {@code teams.replies.v1} with {@code read_committed}, as any outside client: every
 * partition from the beginning, no consumer group, in the background for the whole scenario. Each reply is kept
 * with the time it became visible.
 */
final class RepliesReader implements AutoCloseable {

    /** A committed reply and when this reader saw it. */
    record Seen(ReplyEvent reply, long seenNanos, int partition, long offset) {
    }

    private final String bootstrap;
    private final List<Seen> seen = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Exception failure;

    RepliesReader(String bootstrap) {
        this.bootstrap = bootstrap;
        this.thread = new Thread(this::read, "replies-reader");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void read() {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.CLIENT_ID_CONFIG, "reliability-replies-reader");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            String topic = Topics.REPLIES.name();
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(60)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (running) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    ReplyEvent reply = Json.mapper().readValue(record.value(), ReplyEvent.class);
                    synchronized (seen) {
                        seen.add(new Seen(reply, System.nanoTime(), record.partition(), record.offset()));
                    }
                }
            }
        } catch (org.apache.kafka.common.errors.InterruptException e) {
            // closing
        } catch (Exception e) {
            failure = e;
        }
    }

    List<Seen> seen() {
        if (failure != null) {
            throw new IllegalStateException("replies reader failed", failure);
        }
        synchronized (seen) {
            return List.copyOf(seen);
        }
    }

    int count() {
        synchronized (seen) {
            return seen.size();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
    }
}
