package io.tla.topology;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.tla.platform.config.StreamsSettings;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.topology.errors.DeadLetterHandler;
import io.tla.topology.language.LanguageDetection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link TranslationTopology} as a Kafka Streams application: configuration, metrics, readiness and a clean
 * shutdown. Instances that share {@code streams.application-id} split the partitions between them.
 */
public final class TranslationStreamsApp implements AutoCloseable {

    /**
     * 1 while the Kafka Streams client is RUNNING, else 0. Kafka's own {@code kafka_stream_client_state} is an enum
     * ordinal and disappears with the client's metrics; this one stays registered for the process's life, so an
     * alert sees a topology that stopped or never started, not an absent series.
     */
    public static final String RUNNING_METER = "tla.streams.running";

    /** Streams' own value for "the brokers' default.replication.factor". */
    public static final short BROKER_DEFAULT_REPLICATION = -1;

    private static final Logger log = LoggerFactory.getLogger(TranslationStreamsApp.class);

    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final CountDownLatch running = new CountDownLatch(1);

    /** An application whose internal topics get the brokers' default replication factor. */
    public TranslationStreamsApp(Topology topology, StreamsSettings settings, KafkaClients clients, Path stateDir,
                                 TlaMetrics metrics, Health health) {
        this(topology, settings, clients, stateDir, metrics, health, BROKER_DEFAULT_REPLICATION);
    }

    /**
     * @param replicationFactor replication factor of the internal (changelog and repartition) topics: the
     *                          process's {@code topics.replication-factor}, so they survive what the contract topics
     *                          survive; {@value #BROKER_DEFAULT_REPLICATION} leaves it to the brokers' default
     */
    public TranslationStreamsApp(Topology topology, StreamsSettings settings, KafkaClients clients, Path stateDir,
                                 TlaMetrics metrics, Health health, short replicationFactor) {
        this.streams = new KafkaStreams(topology, properties(settings, clients, stateDir, metrics, replicationFactor));
        streams.setStateListener((newState, oldState) -> {
            log.info("event=streams_state from={} to={}", oldState, newState);
            if (newState == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
        });
        // A bug that escapes the dead-letter handlers must not stop translation: restart the thread, keep going.
        streams.setUncaughtExceptionHandler(e -> {
            log.error("event=stream_thread_failed action=replace_thread error={}", e.getClass().getName(), e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        Gauge.builder(RUNNING_METER, streams, s -> s.state() == KafkaStreams.State.RUNNING ? 1 : 0)
                .description("1 while the Kafka Streams client is RUNNING, else 0").register(metrics.registry());
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics.registry());
        health.register("topology", () -> {
            KafkaStreams.State state = streams.state();
            return state == KafkaStreams.State.RUNNING
                    ? Health.Check.ready("RUNNING")
                    : Health.Check.notReady(state.name());
        });
    }

    static Properties properties(StreamsSettings settings, KafkaClients clients, Path stateDir, TlaMetrics metrics,
                                 short replicationFactor) {
        Properties props = new Properties();
        for (Map.Entry<String, Object> entry : clients.properties(settings.applicationId()).entrySet()) {
            props.put(entry.getKey(), entry.getValue());
        }
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, settings.applicationId());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, settings.processingGuarantee());
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, settings.threads());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, settings.commitIntervalMs());
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        // Internal topics replicated like the contract topics (TopicAdmin), with the same min.insync.replicas.
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replicationFactor);
        if (replicationFactor > 1) {
            props.put(StreamsConfig.topicPrefix(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG), "2");
        }
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        props.put(DeadLetterHandler.METER_REGISTRY_CONFIG, metrics.registry());
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // Under exactly-once a reply becomes visible only when its transaction commits, and the commit flushes
        // whatever is still lingering: batching for a few milliseconds costs a waiting user nothing.
        props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 10);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 50);
        // An idle stream thread blocks in poll for at most this long before it runs the model stage's drain
        // punctuator, so a finished model call waits no longer than this for its reply to leave.
        props.put(StreamsConfig.POLL_MS_CONFIG, 20L);
        // Each task reads one partition (messages, or messages-by-tenant), so there is nothing to align by
        // timestamp; without this, every record pays for the idling check's bookkeeping.
        props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
        // every store of the process within one block cache, however many tasks this instance owns
        BoundedRocksDBMemory.configure(props, settings);
        return props;
    }

    public TranslationStreamsApp start() {
        // Load the language models (seconds) before any stream thread could wait for them inside a transaction.
        LanguageDetection.warmUp();
        streams.start();
        return this;
    }

    /** Waits until the application is RUNNING; false on timeout. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** The Kafka Streams client's own metrics (tests read the stores' RocksDB figures from them). */
    Map<org.apache.kafka.common.MetricName, ? extends org.apache.kafka.common.Metric> streamsMetrics() {
        return streams.metrics();
    }

    @Override
    public void close() {
        // Leave the group: a restarted instance gets its tasks at once instead of after the old member's session
        // timeout (45 s), and the other instances take over this one's partitions without waiting either.
        streams.close(CloseOptions.timeout(Duration.ofSeconds(8))
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        streamsMetrics.close();
    }
}
