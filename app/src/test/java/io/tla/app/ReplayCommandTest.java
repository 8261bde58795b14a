package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tla replay}, called in-process against an embedded broker. */
class ReplayCommandTest {

    @TempDir
    static Path brokerDir;

    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaBroker(brokerDir.resolve("kafka"), 0, 0).start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private record Run(int exitCode, String out, String err) {
    }

    private static Run tla(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--set", "kafka.bootstrap.servers=" + broker.bootstrapServers(), "--set", "topics.partitions=2"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new TlaCommand()).setExecutionExceptionHandler(new TlaCommand.Errors());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void printsATableAndSummaryReplaysOnceAndCreatesTheCompactedReplayTopic() throws Exception {
        KafkaClients clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        TopicAdmin.ensureTopics(clients, Topics.ALL, 2, (short) 1, Duration.ofSeconds(30));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(clients.properties("replay-cli-test"),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            RecordHeaders headers = new RecordHeaders();
            headers.add(ErrorHeaders.CLASS, "java.io.IOException".getBytes(StandardCharsets.UTF_8));
            headers.add(ErrorHeaders.STAGE, "graph-sink".getBytes(StandardCharsets.UTF_8));
            headers.add(ErrorHeaders.REASON, "http-503".getBytes(StandardCharsets.UTF_8));
            headers.add(ErrorHeaders.AT, "2026-11-25T10:00:00Z".getBytes(StandardCharsets.UTF_8));
            producer.send(new ProducerRecord<>(Topics.REPLIES_DLQ.name(), null, "conv".getBytes(StandardCharsets.UTF_8),
                    "{\"tenantId\":\"contoso\"}".getBytes(StandardCharsets.UTF_8), headers)).get();
        }

        Run dry = tla("replay", "--from", "teams.replies.dlq.v1", "--dry-run");
        assertThat(dry.exitCode()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("PARTITION  OFFSET  TENANT   STAGE       ERROR     ATTEMPT  ACTION  REASON")
                .contains("contoso  graph-sink  http-503  1        replay")
                .contains("dry run, nothing written: replayed 0, skipped 0, parked 0");

        Run first = tla("replay", "--from", "teams.replies.dlq.v1", "--since", "2026-11-25T09:00:00Z");
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).endsWith("replayed 1, skipped 0, parked 0" + System.lineSeparator());
        assertThat(first.err()).contains("[####################] 100% 1/1 replaying to teams.replies.v1");

        Run second = tla("replay", "--from", "teams.replies.dlq.v1");
        assertThat(second.out()).contains("skip    already replayed").contains("replayed 0, skipped 1, parked 0");

        try (Admin admin = Admin.create(clients.properties("replay-cli-admin"))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, Topics.REPLAY.name());
            Config config = admin.describeConfigs(Set.of(resource)).all().get().get(resource);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
        }
    }

    @Test
    void refusesASourceTopicAndABadTime() {
        Run wrongTopic = tla("replay", "--from", "teams.replies.v1");
        assertThat(wrongTopic.exitCode()).isEqualTo(2);
        assertThat(wrongTopic.err()).contains("--from must be one of");

        Run badTime = tla("replay", "--from", "teams.replies.dlq.v1", "--since", "yesterday");
        assertThat(badTime.exitCode()).isEqualTo(2);
        assertThat(badTime.err()).contains("--since must be an ISO-8601 time");
    }
}
