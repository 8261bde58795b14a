package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.schemas.ConversationType;
import io.tla.schemas.Json;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Sender;
import io.tla.schemas.Topics;
import io.tla.topology.budget.TenantSpend;
import io.tla.topology.serde.CompactSerdes;
import java.io.File;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once under crashes: the topology runs in a child JVM ({@code tla run --role topology}) that is killed
 * with SIGKILL twice while 2 000 messages over 50 conversations flow, and restarted each time. Read with
 * read_committed, every message is answered exactly once, in order per conversation, and each tenant's budget
 * spend equals the sum of the usage its replies report.
 */
class CrashRecoveryTest {

    private static final int CONVERSATIONS = 50;
    private static final int MESSAGES = 2_000;
    private static final List<String> TENANTS = List.of("tenant-a", "tenant-b");

    @TempDir
    Path dir;

    @Test
    void everyMessageIsAnsweredExactlyOnceInConversationOrderAcrossTwoSigkills() throws Exception {
        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start()) {
            KafkaClients clients = new KafkaClients(broker.bootstrapServers(), Map.of());
            TopicAdmin.ensureTopics(clients, Topics.REQUIRED, 6, (short) 1, Duration.ofSeconds(30));

            Process topology = startTopology(broker.bootstrapServers(), 1);
            AtomicInteger sent = new AtomicInteger();
            Map<String, List<String>> sentOrder = new LinkedHashMap<>();
            Thread producer = new Thread(() -> produce(broker.bootstrapServers(), sent, sentOrder), "test-producer");
            producer.start();
            try {
                // Kill mid-run, twice, once a good part of the messages has been sent (and partly answered).
                // Each generation must have answered messages of its own before it is killed, so the kills land
                // while the topology is running with work in flight.
                await().atMost(Duration.ofSeconds(60)).until(() -> sent.get() >= MESSAGES / 4);
                awaitAnswered(broker.bootstrapServers(), 100);
                topology = kill(topology, broker.bootstrapServers(), 2);
                await().atMost(Duration.ofSeconds(60)).until(() -> sent.get() >= MESSAGES * 3 / 5);
                int beforeSecondKill = CommittedTopic.records(broker.bootstrapServers(), Topics.REPLIES.name()).size();
                awaitAnswered(broker.bootstrapServers(), beforeSecondKill + 100);
                topology = kill(topology, broker.bootstrapServers(), 3);
                producer.join(120_000);
                assertThat(sent.get()).isEqualTo(MESSAGES);

                List<ConsumerRecord<String, String>> replies = await().atMost(Duration.ofSeconds(150))
                        .pollInterval(Duration.ofSeconds(2))
                        .until(() -> CommittedTopic.records(broker.bootstrapServers(), Topics.REPLIES.name()),
                                records -> records.size() >= MESSAGES);

                Map<String, Integer> answers = new HashMap<>();
                Map<String, List<String>> answeredOrder = new LinkedHashMap<>();
                Map<String, BigDecimal> costByTenant = new TreeMap<>();
                for (ConsumerRecord<String, String> record : replies) {
                    ReplyEvent reply = Json.mapper().readValue(record.value(), ReplyEvent.class);
                    assertThat(reply.kind()).isEqualTo(ReplyKind.TRANSLATION);
                    answers.merge(reply.replyToId(), 1, Integer::sum);
                    answeredOrder.computeIfAbsent(reply.conversationId(), c -> new ArrayList<>()).add(reply.replyToId());
                    costByTenant.merge(reply.tenantId(), reply.usage().costUsd(), BigDecimal::add);
                }
                assertThat(answers).hasSize(MESSAGES);
                assertThat(answers.values()).allMatch(count -> count == 1);
                assertThat(answeredOrder).isEqualTo(sentOrder);

                Map<String, BigDecimal> spentByTenant = budgetSpend(broker.bootstrapServers());
                assertThat(spentByTenant.keySet()).containsExactlyInAnyOrderElementsOf(costByTenant.keySet());
                costByTenant.forEach((tenant, cost) ->
                        assertThat(spentByTenant.get(tenant)).as(tenant).isEqualByComparingTo(cost));
            } finally {
                producer.interrupt();
                topology.destroyForcibly().waitFor();
                keepChildLogs();
            }
        }
    }

    private static void awaitAnswered(String bootstrap, int replies) {
        // generous: a restarted generation first restores its stores, which a loaded 2-core machine makes slow
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                .until(() -> CommittedTopic.records(bootstrap, Topics.REPLIES.name()).size() >= replies);
    }

    /** The child processes' logs, kept under target/ for whoever reads a failure. */
    private void keepChildLogs() throws java.io.IOException {
        Path target = Path.of("target", "crash-recovery-logs");
        java.nio.file.Files.createDirectories(target);
        try (var logs = java.nio.file.Files.list(dir)) {
            for (Path log : logs.filter(p -> p.getFileName().toString().endsWith(".log")).toList()) {
                java.nio.file.Files.copy(log, target.resolve(log.getFileName()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private Process startTopology(String bootstrap, int generation) throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1536m", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run",
                "--role", "topology",
                "--set", "kafka.bootstrap.servers=" + bootstrap,
                "--set", "kafka.session.timeout.ms=6000",
                "--set", "kafka.heartbeat.interval.ms=1000",
                "--set", "data.dir=" + dir.resolve("data"),
                "--set", "http.port=0",
                "--set", "management.port=0",
                // calls stay in flight for a while, so kills find requests pending in the model stage
                "--set", "model.provider.offline.offline-latency-ms=150",
                "--set", "model.provider.offline.input-usd-per-1k-tokens=0.5",
                "--set", "model.provider.offline.output-usd-per-1k-tokens=1.5",
                "--set", "budget.daily-usd=1000000",
                "--set", "budget.monthly-usd=1000000",
                "--set", "budget.daily-tokens=1000000000");
        File log = dir.resolve("topology-" + generation + ".log").toFile();
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
    }

    /** SIGKILL (destroyForcibly on Linux), then a new process on the same data directory. */
    private Process kill(Process process, String bootstrap, int nextGeneration) throws Exception {
        process.destroyForcibly();
        process.waitFor();
        return startTopology(bootstrap, nextGeneration);
    }

    private static void produce(String bootstrap, AtomicInteger sent, Map<String, List<String>> sentOrder) {
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<String, NormalizedMessage> producer = new KafkaProducer<>(props, new StringSerializer(),
                Topics.MESSAGES.valueSerde().serializer())) {
            for (int i = 0; i < MESSAGES; i++) {
                String tenant = TENANTS.get(i % TENANTS.size());
                String conversation = "19:conv-" + (i % CONVERSATIONS) + "@thread.v2";
                String id = "m-" + i;
                NormalizedMessage message = new NormalizedMessage(id, tenant, conversation, ConversationType.GROUP_CHAT,
                        new Sender("29:u" + (i % 7), "User " + (i % 7), null),
                        "Nachricht Nummer " + i + " in einer Unterhaltung über das Projekt.", null, null, null,
                        "https://smba.trafficmanager.net/emea/", Instant.now());
                producer.send(new ProducerRecord<>(Topics.MESSAGES.name(), conversation, message)).get();
                synchronized (sentOrder) {
                    sentOrder.computeIfAbsent(conversation, c -> new ArrayList<>()).add(id);
                }
                sent.incrementAndGet();
                if (i % 20 == 19) {
                    Thread.sleep(100);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The latest committed value of every day record ({@code tenant|yyyy-MM-dd}) of the budget store's changelog,
     * summed per tenant. (Month records, {@code tenant|yyyy-MM}, hold the same spend again.)
     */
    private static Map<String, BigDecimal> budgetSpend(String bootstrap) throws Exception {
        // the store keeps its values in the topology's binary form (CompactSerdes), as its changelog does
        Map<String, TenantSpend> latest = new HashMap<>();
        for (ConsumerRecord<String, TenantSpend> record : CommittedTopic.records(bootstrap,
                "tla-streams-tenant-budget-store-changelog", CompactSerdes.TENANT_SPEND.deserializer())) {
            if (record.value() == null) {
                latest.remove(record.key());
            } else {
                latest.put(record.key(), record.value());
            }
        }
        Map<String, BigDecimal> spent = new TreeMap<>();
        latest.forEach((key, value) -> {
            if (key.matches(".*\\|\\d{4}-\\d{2}-\\d{2}")) {
                spent.merge(key.substring(0, key.indexOf('|')), value.spentUsd(), BigDecimal::add);
            }
        });
        return spent;
    }
}
