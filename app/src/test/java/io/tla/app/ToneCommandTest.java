package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.schemas.ContractSchema;
import io.tla.schemas.Json;
import io.tla.schemas.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tla tone set}, {@code list} and {@code remove}, called in-process against an embedded broker. */
class ToneCommandTest {

    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final String CHANNEL = "19:d8a1c2e3f4b5a6978812ab34cd56ef78@thread.tacv2";

    @TempDir
    static Path brokerDir;

    @TempDir
    Path files;

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
        all.addAll(List.of("--set", "kafka.bootstrap.servers=" + broker.bootstrapServers(), "--set", "topics.partitions=3"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new TlaCommand()).setExecutionExceptionHandler(new TlaCommand.Errors());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    private Path file(String name, byte[] content) throws Exception {
        Path file = files.resolve(name);
        Files.write(file, content);
        return file;
    }

    @Test
    void setsListsAndRemovesTenantAndChannelTemplates() throws Exception {
        String tenant = TENANT;
        Run tenantWide = tla("tone", "set", "--tenant", tenant, "--text",
                "  Address readers formally; keep product names in English; sign-offs short.  ");
        assertThat(tenantWide.exitCode()).as(tenantWide.err()).isZero();
        assertThat(tenantWide.out()).isEqualTo("set the tone template of tenant " + tenant
                + ": 73 characters, in tla.tones.v1" + System.lineSeparator());

        String channelText = "\uFEFFDu-Form, Vornamen.\r\nProduktnamen auf Englisch lassen.\r\n\tKurze Grüße; 敬語は不要です。";
        Path channelFile = file("channel.txt", channelText.getBytes(StandardCharsets.UTF_8));
        Run channel = tla("tone", "set", "--tenant", tenant, "--channel", CHANNEL, "--file", channelFile.toString());
        assertThat(channel.exitCode()).as(channel.err()).isZero();
        assertThat(channel.out()).contains("tenant " + tenant + ", channel " + CHANNEL).contains("75 characters");

        Run list = tla("tone", "list", "--tenant", tenant);
        assertThat(list.exitCode()).as(list.err()).isZero();
        List<String> lines = list.out().lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).matches("TENANT +SCOPE +LENGTH +UPDATED +TEXT");
        assertThat(lines.get(1)).matches(Pattern.quote(tenant) + " +tenant +73 +\\d{4}-\\d\\d-\\d\\dT\\S+Z +"
                + Pattern.quote("Address readers formally; keep product names in English; sig…"));
        assertThat(lines.get(2)).matches(Pattern.quote(tenant) + " +channel " + Pattern.quote(CHANNEL) + " +75 +\\S+ +"
                + Pattern.quote("Du-Form, Vornamen.⏎Produktnamen auf Englisch lassen.⏎ Kurze …"));
        assertThat(lines.get(3)).isEqualTo("2 template(s)");
        assertThat(tla("tone", "list").out()).contains(CHANNEL).contains("2 template(s)");
        assertThat(tla("tone", "list", "--tenant", "another-tenant").out())
                .isEqualTo("no tone templates for tenant another-tenant" + System.lineSeparator());

        // what went on the topic: the record of the schema, the file's text with plain line breaks, no BOM
        Map<String, JsonNode> onTopic = latestRecords();
        JsonNode channelRecord = onTopic.get(tenant + "/" + CHANNEL);
        assertThat(ContractSchema.load("tone-template").violations(channelRecord)).isEmpty();
        assertThat(channelRecord.get("text").asText())
                .isEqualTo("Du-Form, Vornamen.\nProduktnamen auf Englisch lassen.\n\tKurze Grüße; 敬語は不要です。");
        assertThat(channelRecord.get("channelId").asText()).isEqualTo(CHANNEL);
        assertThat(onTopic.get(tenant + "/*").has("channelId")).isFalse();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.TONES.name());
            Config config = admin.describeConfigs(Set.of(topic)).all().get().get(topic);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
        }

        Run removed = tla("tone", "remove", "--tenant", tenant, "--channel", CHANNEL);
        assertThat(removed.exitCode()).as(removed.err()).isZero();
        assertThat(removed.out()).contains("removed the tone template of tenant " + tenant + ", channel " + CHANNEL);
        assertThat(latestRecords()).containsKey(tenant + "/" + CHANNEL).extractingByKey(tenant + "/" + CHANNEL).isNull();
        assertThat(tla("tone", "list", "--tenant", tenant).out()).doesNotContain(CHANNEL).contains("1 template(s)");
        assertThat(tla("tone", "remove", "--tenant", tenant, "--channel", CHANNEL).out())
                .contains("no tone template for tenant " + tenant + ", channel " + CHANNEL + "; nothing removed");

        assertThat(tla("tone", "remove", "--tenant", tenant).exitCode()).isZero();
        assertThat(tla("tone", "list", "--tenant", tenant).out()).startsWith("no tone templates for tenant " + tenant);
    }

    @Test
    void setReplacesTheTemplateOfTheSameScope() {
        String tenant = "tenant-replace";
        assertThat(tla("tone", "set", "--tenant", tenant, "--text", "Formal.").exitCode()).isZero();
        assertThat(tla("tone", "set", "--tenant", tenant, "--text", "Informal.").exitCode()).isZero();
        String list = tla("tone", "list", "--tenant", tenant).out();
        assertThat(list).contains("  Informal.").doesNotContain("  Formal.").contains("1 template(s)");
    }

    @Test
    void setRefusesAnEmptyTooLongOrControlCharacterTextAndWritesNothing() throws Exception {
        String tenant = "tenant-refused";
        Run empty = tla("tone", "set", "--tenant", tenant, "--text", "  \n ");
        assertThat(empty.exitCode()).isEqualTo(1);
        assertThat(empty.err()).contains("nothing written: the template text is empty");

        Run tooLong = tla("tone", "set", "--tenant", tenant, "--text", "x".repeat(21), "--set", "tone.template-max-chars=20");
        assertThat(tooLong.exitCode()).isEqualTo(1);
        assertThat(tooLong.err()).contains("nothing written: the template is 21 characters long; "
                + "tone.template-max-chars allows at most 20");
        assertThat(tla("tone", "set", "--tenant", tenant, "--text", "x".repeat(1001)).err())
                .as("the default limit is 1000").contains("at most 1000");

        Run bell = tla("tone", "set", "--tenant", tenant, "--file",
                file("bell.txt", "Formal.\u0007".getBytes(StandardCharsets.UTF_8)).toString());
        assertThat(bell.exitCode()).isEqualTo(1);
        assertThat(bell.err()).contains("control character U+0007 at character 8");

        Run notUtf8 = tla("tone", "set", "--tenant", tenant, "--file",
                file("latin1.txt", "Grüße".getBytes(StandardCharsets.ISO_8859_1)).toString());
        assertThat(notUtf8.exitCode()).isEqualTo(2);
        assertThat(notUtf8.err()).contains("is not UTF-8 text");

        assertThat(tla("tone", "list", "--tenant", tenant).out()).startsWith("no tone templates for tenant " + tenant);
        assertThat(latestRecords().keySet()).noneMatch(key -> key.startsWith(tenant + "/"));
    }

    @Test
    void optionsAreCheckedBeforeAnythingIsWritten() {
        Run star = tla("tone", "set", "--tenant", TENANT, "--channel", "*", "--text", "Formal.");
        assertThat(star.exitCode()).isEqualTo(2);
        assertThat(star.err()).contains("--channel may not be '*'");
        Run slash = tla("tone", "remove", "--tenant", "a/b");
        assertThat(slash.exitCode()).isEqualTo(2);
        assertThat(slash.err()).contains("--tenant may not be empty or contain '/'");
        Run both = tla("tone", "set", "--tenant", TENANT, "--text", "a", "--file", "b.txt");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
        Run neither = tla("tone", "set", "--tenant", TENANT);
        assertThat(neither.exitCode()).isEqualTo(2);
        assertThat(neither.err()).contains("Missing required argument");
        Run noFile = tla("tone", "set", "--tenant", TENANT, "--file", "/nonexistent/tone.txt");
        assertThat(noFile.exitCode()).isEqualTo(2);
        assertThat(noFile.err()).contains("no such file: /nonexistent/tone.txt");
    }

    @Test
    void listWarnsAboutTemplatesOverTheLimitAndRecordsThatAreNotTemplates() throws Exception {
        String tenant = "tenant-warned";
        assertThat(tla("tone", "set", "--tenant", tenant, "--text", "A rather long style guide.").exitCode()).isZero();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.TONES.name(), tenant + "/19:bad@thread.tacv2", "{not json")).get();
        }

        Run list = tla("tone", "list", "--tenant", tenant, "--set", "tone.template-max-chars=10");
        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).contains("A rather long style guide.").contains("1 template(s)");
        assertThat(list.err()).contains("the template of tenant " + tenant + " is 26 characters long, over "
                + "tone.template-max-chars (10): the topology does not use it")
                .contains("1 key(s) on tla.tones.v1 end in a record that is not a valid tone template");
    }

    @Test
    void listOnAClusterWithoutTheTonesTopicFindsNoneAndCreatesNothing() throws Exception {
        try (EmbeddedKafkaBroker fresh = new EmbeddedKafkaBroker(files.resolve("fresh"), 0, 0).start()) {
            StringWriter out = new StringWriter();
            CommandLine cli = new CommandLine(new TlaCommand()).setExecutionExceptionHandler(new TlaCommand.Errors());
            cli.setOut(new PrintWriter(out, true));
            int exit = cli.execute("tone", "list", "--set", "kafka.bootstrap.servers=" + fresh.bootstrapServers());
            assertThat(exit).isZero();
            assertThat(out.toString()).isEqualTo("no tone templates" + System.lineSeparator());
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, fresh.bootstrapServers()))) {
                assertThat(admin.listTopics().names().get()).doesNotContain(Topics.TONES.name());
            }
        }
    }

    /** The latest record per key on {@code tla.tones.v1}: the JSON value, or null for a tombstone. */
    private static Map<String, JsonNode> latestRecords() throws Exception {
        Map<String, JsonNode> latest = new java.util.HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers(), ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.TONES.name()).stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    JsonNode value = null;
                    if (record.value() != null) {
                        try {
                            value = Json.mapper().readTree(record.value());
                        } catch (Exception e) {
                            continue; // not JSON: not one of ours
                        }
                    }
                    latest.put(record.key(), value);
                }
            }
        }
        return latest;
    }
}
