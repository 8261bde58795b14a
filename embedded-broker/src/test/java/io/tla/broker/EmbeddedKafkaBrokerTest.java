package io.tla.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerTest {

    private static final String TOPIC = "broker.test.v1";

    @TempDir
    Path dataDir;

    @Test
    void keepsTopicsAndRecordsAcrossARestartOnTheSameLogDirectory() throws Exception {
        Path logDir = dataDir.resolve("kafka");
        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(logDir, 0, 0).start()) {
            assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + broker.port());
            try (Admin admin = Admin.create(props(broker))) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1))).all().get();
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(props(broker),
                    new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(TOPIC, "conversation-1", "kept")).get();
            }
        }

        // fresh ports: the data, not the listener, is what a restart keeps
        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(logDir, 0, 0).start()) {
            try (Admin admin = Admin.create(props(broker))) {
                assertThat(admin.describeTopics(Set.of(TOPIC)).allTopicNames().get().get(TOPIC).partitions())
                        .hasSize(3);
            }
            Properties consumerProps = props(broker);
            consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "broker-test");
            consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps,
                    new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(TOPIC));
                List<ConsumerRecord<String, String>> records = new ArrayList<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (records.isEmpty() && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                }
                assertThat(records).extracting(ConsumerRecord::key, ConsumerRecord::value)
                        .containsExactly(tuple("conversation-1", "kept"));
            }
        }
    }

    @Test
    void refusesAClientPortInUseAndNamesTheKeyThatMovesIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dataDir.resolve("kafka"), taken.getLocalPort(), 0);

            assertThatThrownBy(broker::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("port " + taken.getLocalPort() + " (embedded.kafka.port) is in use")
                    .hasMessageContaining("set embedded.kafka.port to a free port");
        }
    }

    private static Properties props(EmbeddedKafkaBroker broker) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        return props;
    }
}
