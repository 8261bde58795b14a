package io.tla.app;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.ConversationType;
import io.tla.schemas.Json;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.Sender;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verified output end to end: the pipeline on a real broker, two local OpenAI-compatible servers that answer one
 * message in the wrong language before correcting themselves and echo another one whatever they are told.
 */
class VerifiedTranslationEndToEndTest {

    private static final String MORNING = "Guten Morgen zusammen, wie geht es euch allen heute?";
    private static final String DELIVERY = "Die Lieferung kommt morgen früh an, bitte prüft danach die Rechnung.";
    private static final String CORRECTION = "rejected by an automatic check";

    @TempDir
    Path dataDir;

    private final WireMockServer primary = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    private final WireMockServer backup = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));

    @AfterEach
    void stop() {
        primary.stop();
        backup.stop();
    }

    private static ResponseDefinitionBuilder english(String model, String text) throws Exception {
        String content = Json.mapper().writeValueAsString(Map.of("sourceLanguage", "de",
                "translations", List.of(Map.of("language", "en", "text", text))));
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withBody(Json.mapper().writeValueAsString(Map.of("model", model,
                        "choices", List.of(Map.of("index", 0, "message", Map.of("role", "assistant", "content", content))),
                        "usage", Map.of("prompt_tokens", 150, "completion_tokens", 20))));
    }

    @Test
    void aWrongLanguageAnswerIsCorrectedAndAnAnswerNoProviderGetsRightIsMarkedUnverified() throws Exception {
        primary.start();
        backup.start();
        // the morning message: French first, English once told what was wrong
        primary.stubFor(post(urlPathEqualTo("/v1/chat/completions")).atPriority(5)
                .withRequestBody(containing("Guten Morgen"))
                .willReturn(english("primary-model", "Bonjour à tous, comment allez-vous aujourd'hui ?")));
        primary.stubFor(post(urlPathEqualTo("/v1/chat/completions")).atPriority(1)
                .withRequestBody(containing("Guten Morgen")).withRequestBody(containing(CORRECTION))
                .willReturn(english("primary-model", "Good morning everyone, how are you all today?")));
        // the delivery message: both servers return it unchanged, corrected or not
        primary.stubFor(post(urlPathEqualTo("/v1/chat/completions")).atPriority(5)
                .withRequestBody(containing("Die Lieferung")).willReturn(english("primary-model", DELIVERY)));
        backup.stubFor(post(urlPathEqualTo("/v1/chat/completions"))
                .withRequestBody(containing("Die Lieferung")).willReturn(english("backup-model", DELIVERY)));
        TlaConfig config = TlaConfig.of(Map.ofEntries(Map.entry("data.dir", dataDir.toString()),
                Map.entry("http.port", "0"), Map.entry("management.port", "0"), Map.entry("embedded.kafka.port", "0"),
                Map.entry("embedded.kafka.controller-port", "0"), Map.entry("topics.partitions", "1"),
                Map.entry("translation.target-languages", "en"),
                Map.entry("model.providers", "primary,backup"),
                Map.entry("model.provider.primary.type", "openai"),
                Map.entry("model.provider.primary.base-url", "http://127.0.0.1:" + primary.port() + "/v1"),
                Map.entry("model.provider.primary.model", "primary-model"),
                Map.entry("model.provider.backup.type", "openai"),
                Map.entry("model.provider.backup.base-url", "http://127.0.0.1:" + backup.port() + "/v1"),
                Map.entry("model.provider.backup.model", "backup-model")));

        try (TlaRuntime runtime = new TlaRuntime()) {
            TlaRuntime.Started started = runtime.start(config, EnumSet.of(Role.TOPOLOGY), Map.of());
            assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
            String bootstrap = started.bootstrapServers();
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            try (KafkaProducer<String, NormalizedMessage> producer = new KafkaProducer<>(props, new StringSerializer(),
                    Topics.MESSAGES.valueSerde().serializer())) {
                for (NormalizedMessage message : List.of(message("m-morning", "conv-morning", MORNING),
                        message("m-delivery", "conv-delivery", DELIVERY))) {
                    producer.send(new ProducerRecord<>(Topics.MESSAGES.name(), message.conversationId(), message)).get();
                }
            }

            List<ReplyEvent> replies = await().atMost(Duration.ofSeconds(60)).until(
                    () -> CommittedTopic.values(bootstrap, Topics.REPLIES.name(), ReplyEvent.class),
                    list -> list.size() >= 2);
            ReplyEvent morning = reply(replies, "m-morning");
            assertThat(morning.verification()).isEqualTo("verified");
            assertThat(morning.provider()).isEqualTo("primary");
            assertThat(morning.translations()).singleElement()
                    .satisfies(t -> assertThat(t.text()).isEqualTo("Good morning everyone, how are you all today?"));

            ReplyEvent delivery = reply(replies, "m-delivery");
            assertThat(delivery.verification()).isEqualTo("unverified");
            assertThat(delivery.provider()).as("the answer asked with a correction last").isEqualTo("backup");
            assertThat(delivery.translations()).singleElement().satisfies(t -> assertThat(t.text())
                    .startsWith(DELIVERY).endsWith("⚠ Not verified: this translation did not pass the automatic "
                            + "quality check."));
            assertThat(primary.countRequestsMatching(com.github.tomakehurst.wiremock.matching.RequestPatternBuilder
                    .allRequests().withRequestBody(containing("Die Lieferung")).build()).getCount())
                    .as("asked, then asked again with a correction").isEqualTo(2);
            assertThat(backup.getAllServeEvents()).hasSize(2);

            List<TelemetryEvent> telemetry = await().atMost(Duration.ofSeconds(30)).until(
                    () -> CommittedTopic.values(bootstrap, Topics.TELEMETRY.name(), TelemetryEvent.class),
                    list -> list.stream().filter(e -> e.type().equals(TelemetryEvent.Types.MESSAGE_PROCESSED)).count() >= 2);
            Map<?, ?> morningCall = modelCall(telemetry, "m-morning");
            assertThat(morningCall.get("verification")).isEqualTo("verified");
            assertThat(actions(morningCall)).containsExactly("retried", "accepted");
            assertThat(((Map<?, ?>) ((List<?>) morningCall.get("attempts")).get(0)).get("problems"))
                    .isEqualTo(List.of("wrong-language"));
            Map<?, ?> deliveryCall = modelCall(telemetry, "m-delivery");
            assertThat(actions(deliveryCall)).containsExactly("retried", "fell-back", "retried", "kept-unverified");
            assertThat(telemetry).filteredOn(e -> e.type().equals(TelemetryEvent.Types.MODEL_FALLBACK))
                    .singleElement().satisfies(e -> assertThat(e.attributes())
                            .containsEntry("from", "primary").containsEntry("to", "backup")
                            .containsEntry("reason", "unverified-unchanged"));

            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + started.managementPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics)
                    .contains("tla_model_answers_total{model=\"primary-model\",provider=\"primary\"} 4.0")
                    .contains("tla_model_answer_problems_total{model=\"primary-model\",problem=\"unchanged\",provider=\"primary\"} 2.0")
                    .contains("tla_model_answers_retried_total{model=\"backup-model\",provider=\"backup\"} 1.0")
                    .contains("tla_model_answers_fell_back_total{model=\"primary-model\",provider=\"primary\"} 1.0")
                    .contains("tla_model_answers_unverified_total{model=\"backup-model\",provider=\"backup\"} 1.0")
                    .contains("tla_model_quality_pass_rate{model=\"backup-model\",provider=\"backup\"}");
        }
    }

    private static NormalizedMessage message(String id, String conversation, String text) {
        return new NormalizedMessage(id, "tenant-verified", conversation, ConversationType.GROUP_CHAT,
                new Sender("29:1abc", "Anna Müller", "aad-anna"), text, null, null, null,
                "https://smba.trafficmanager.net/emea/", Instant.now());
    }

    private static List<Object> actions(Map<?, ?> modelCall) {
        return ((List<?>) modelCall.get("attempts")).stream().map(a -> (Object) ((Map<?, ?>) a).get("action")).toList();
    }

    private static ReplyEvent reply(List<ReplyEvent> replies, String messageId) {
        return replies.stream().filter(r -> r.replyToId().equals(messageId)).findFirst().orElseThrow();
    }

    private static Map<?, ?> modelCall(List<TelemetryEvent> telemetry, String messageId) {
        return telemetry.stream().filter(e -> e.type().equals(TelemetryEvent.Types.MESSAGE_PROCESSED)
                        && messageId.equals(e.messageId()))
                .map(e -> (Map<?, ?>) e.attributes().get(TelemetryEvent.Types.MODEL_CALL)).findFirst().orElseThrow();
    }
}
