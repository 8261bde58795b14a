package io.tla.topology.preferences;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.config.StreamsSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.schemas.ConversationType;
import io.tla.schemas.LanguagePreference;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Sender;
import io.tla.schemas.Topics;
import io.tla.schemas.Translation;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationStreamsApp;
import io.tla.topology.TranslationTopology;
import io.tla.topology.model.OfflineModelProvider;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against a real broker, the whole topology under exactly-once: a language command sent to the bot is answered with
 * a confirmation and its record lands on {@code tla.languages.v1} (committed with the reply); the sender's next
 * message is translated into the union of the tenant's, the channel's (set beforehand through
 * {@link LanguagePreferencesTopic}, as {@code tla languages} does) and the sender's languages. The offline provider
 * answers every target with {@code [offline → LANG] text}.
 */
class LanguageCommandsBrokerTest {

    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final String CHANNEL = "19:d8a1c2e3f4b5a6978812ab34cd56ef78@thread.tacv2";
    private static final String CONVERSATION = CHANNEL + ";messageid=1700000000000";
    private static final String GERMAN = "Guten Morgen, wie geht es euch allen heute?";
    private static final Sender ANNA = new Sender("29:1anna", "Anna Müller", "aad-anna");

    @TempDir
    Path dir;

    @Test
    void aCommandLandsOnTheLanguagesTopicAndTheNextMessageIsTranslatedIntoTheUnion() throws Exception {
        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
             TlaMetrics metrics = new TlaMetrics()) {
            KafkaClients clients = new KafkaClients(broker.bootstrapServers(), Map.of());
            TopicAdmin.ensureTopics(clients, Topics.REQUIRED, 2, (short) 1, Duration.ofSeconds(30));
            // an administrator set the channel's languages with tla languages before the topology started
            LanguagePreference channel = new LanguagePreference(TENANT, LanguagePreference.Scope.CHANNEL, CHANNEL,
                    List.of("it"), Instant.now(), "cli:ops");
            LanguagePreferencesTopic.publish(clients, TENANT, channel.storeKey(), channel, Duration.ofSeconds(30));

            TopologySettings settings = TopologySettings.from(TlaConfig.of(Map.of(
                    "translation.target-languages", "en")));
            StreamsSettings streams = new StreamsSettings("languages-broker-test", StreamsConfig.EXACTLY_ONCE_V2, 1,
                    100);
            TranslationStreamsApp app = new TranslationStreamsApp(TranslationTopology.buildTopology(settings,
                    new OfflineModelProvider("offline"), Clock.systemUTC(), metrics.registry()), streams, clients,
                    dir.resolve("state"), metrics, new Health());
            try (KafkaProducer<String, NormalizedMessage> producer = new KafkaProducer<>(
                    clients.properties("languages-broker-test-producer"), new StringSerializer(),
                    Topics.MESSAGES.valueSerde().serializer());
                 KafkaConsumer<String, ReplyEvent> replies = consumer(clients, Topics.REPLIES.name(),
                         Topics.REPLIES.valueSerde().deserializer());
                 KafkaConsumer<String, LanguagePreference> languages = consumer(clients, Topics.LANGUAGES.name(),
                         Topics.LANGUAGES.valueSerde().deserializer())) {
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(60))).as("RUNNING within 60 s").isTrue();

                producer.send(new ProducerRecord<>(Topics.MESSAGES.name(), CONVERSATION, message("m-1", "languages add FR"))).get();
                ReplyEvent confirmation = await(replies, reply -> reply.replyToId().equals("m-1"));
                assertThat(confirmation.kind()).isEqualTo(ReplyKind.CONFIRMATION);
                assertThat(confirmation.translations().get(0).text()).startsWith("Done.")
                        .contains("This channel: Italian (it)").contains("You: French (fr)");

                LanguagePreference landed = await(languages, preference ->
                        preference != null && preference.scope() == LanguagePreference.Scope.USER);
                assertThat(landed.storeKey()).isEqualTo(TENANT + "/user/aad-anna");
                assertThat(landed.languages()).containsExactly("fr");

                producer.send(new ProducerRecord<>(Topics.MESSAGES.name(), CONVERSATION, message("m-2", GERMAN))).get();
                ReplyEvent translated = await(replies, reply -> reply.replyToId().equals("m-2"));
                assertThat(translated.kind()).isEqualTo(ReplyKind.TRANSLATION);
                assertThat(translated.translations()).extracting(Translation::language)
                        .containsExactly("en", "it", "fr");
                assertThat(translated.translations()).allSatisfy(t ->
                        assertThat(t.text()).isEqualTo("[offline → " + t.language() + "] " + GERMAN));
                assertThat(metrics.scrape()).contains("tla_language_commands_total{outcome=\"changed\"} 1.0")
                        .contains("tla_language_preferences{scope=\"channel\"} 1.0");
            } finally {
                app.close();
            }

            LanguagePreferencesTopic.Snapshot snapshot = LanguagePreferencesTopic.read(clients, Duration.ofSeconds(30));
            assertThat(snapshot.tenant(TENANT)).extracting(LanguagePreference::storeKey)
                    .containsExactly(TENANT + "/channel/" + CHANNEL, TENANT + "/user/aad-anna");
            assertThat(snapshot.invalidRecords()).isZero();
        }
    }

    private static NormalizedMessage message(String id, String text) {
        return new NormalizedMessage(id, TENANT, CONVERSATION, ConversationType.CHANNEL, ANNA, text, "team-aad-1",
                CHANNEL, "1700000000000", "https://smba.trafficmanager.net/emea/", Instant.now());
    }

    private static <V> KafkaConsumer<String, V> consumer(KafkaClients clients, String topic,
                                                         org.apache.kafka.common.serialization.Deserializer<V> values) {
        Map<String, Object> props = new HashMap<>(clients.properties("languages-broker-test-" + topic));
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values);
        List<TopicPartition> partitions = new ArrayList<>();
        consumer.partitionsFor(topic).forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    /** The first committed value that matches, waiting for it (a generous bound, never a fixed time). */
    private static <V> V await(KafkaConsumer<String, V> consumer, Predicate<V> wanted) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, V> record : consumer.poll(Duration.ofMillis(200))) {
                if (wanted.test(record.value())) {
                    return record.value();
                }
            }
        }
        throw new AssertionError("no matching record within 90 s");
    }
}
