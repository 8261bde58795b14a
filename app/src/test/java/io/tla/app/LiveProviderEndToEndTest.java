package io.tla.app;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.schemas.ConversationType;
import io.tla.schemas.Sender;
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
 * {@code ./tla run}'s runtime with {@code model.providers} pointing at two local OpenAI-compatible servers, the
 * first failing: the reply comes from the second, and the fallback shows in telemetry and metrics.
 */
class LiveProviderEndToEndTest {

    private static final String ANSWER = "{\"sourceLanguage\":\"de\",\"translations\":["
            + "{\"language\":\"en\",\"text\":\"Good morning, how are you?\"},"
            + "{\"language\":\"fr\",\"text\":\"Bonjour, comment allez-vous ?\"}]}";

    @TempDir
    Path dataDir;

    private final WireMockServer primary = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    private final WireMockServer backup = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));

    @AfterEach
    void stop() {
        primary.stop();
        backup.stop();
    }

    @Test
    void aFailingPrimaryServerIsPassedOverAndTheBackupServerTranslates() throws Exception {
        primary.start();
        backup.start();
        primary.stubFor(post(urlPathEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(500)));
        backup.stubFor(post(urlPathEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json")
                .withBody(io.tla.schemas.Json.mapper().writeValueAsString(Map.of("model", "backup-model",
                        "choices", List.of(Map.of("index", 0, "message", Map.of("role", "assistant", "content", ANSWER))),
                        "usage", Map.of("prompt_tokens", 200, "completion_tokens", 25))))));
        TlaConfig config = TlaConfig.of(Map.ofEntries(Map.entry("data.dir", dataDir.toString()),
                Map.entry("http.port", "0"), Map.entry("management.port", "0"), Map.entry("embedded.kafka.port", "0"),
                Map.entry("embedded.kafka.controller-port", "0"), Map.entry("topics.partitions", "1"),
                Map.entry("translation.target-languages", "en,fr"),
                Map.entry("model.providers", "primary,backup"),
                Map.entry("model.provider.primary.type", "openai"),
                Map.entry("model.provider.primary.base-url", "http://127.0.0.1:" + primary.port() + "/v1"),
                Map.entry("model.provider.primary.model", "primary-model"),
                Map.entry("model.provider.primary.max-attempts", "2"),
                Map.entry("model.provider.primary.retry-backoff-ms", "10"),
                Map.entry("model.provider.backup.type", "openai"),
                Map.entry("model.provider.backup.base-url", "http://127.0.0.1:" + backup.port() + "/v1"),
                Map.entry("model.provider.backup.model", "backup-model")));

        try (TlaRuntime runtime = new TlaRuntime()) {
            TlaRuntime.Started started = runtime.start(config, EnumSet.of(Role.TOPOLOGY), Map.of());
            assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
            String bootstrap = started.bootstrapServers();
            NormalizedMessage message = new NormalizedMessage("m-live-1", "tenant-live", "conv-live",
                    ConversationType.GROUP_CHAT, new Sender("29:1abc", "Anna Müller", "aad-anna"),
                    "Guten Morgen, wie geht es euch allen?", null, null, null, "https://smba.trafficmanager.net/emea/",
                    Instant.now());
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            try (KafkaProducer<String, NormalizedMessage> producer = new KafkaProducer<>(props, new StringSerializer(),
                    Topics.MESSAGES.valueSerde().serializer())) {
                producer.send(new ProducerRecord<>(Topics.MESSAGES.name(), message.conversationId(), message)).get();
            }

            List<ReplyEvent> replies = await().atMost(Duration.ofSeconds(60)).until(
                    () -> CommittedTopic.values(bootstrap, Topics.REPLIES.name(), ReplyEvent.class), list -> !list.isEmpty());
            ReplyEvent reply = replies.get(0);
            assertThat(reply.kind()).isEqualTo(ReplyKind.TRANSLATION);
            assertThat(reply.provider()).isEqualTo("backup");
            assertThat(reply.translations()).extracting(t -> t.text())
                    .containsExactly("Good morning, how are you?", "Bonjour, comment allez-vous ?");
            assertThat(reply.usage().inputTokens()).isEqualTo(200);
            assertThat(primary.getAllServeEvents()).as("a 500 is retried once").hasSize(2);

            List<TelemetryEvent> fallbacks = await().atMost(Duration.ofSeconds(30)).until(
                    () -> CommittedTopic.values(bootstrap, Topics.TELEMETRY.name(), TelemetryEvent.class).stream()
                            .filter(e -> e.type().equals(TelemetryEvent.Types.MODEL_FALLBACK)).toList(),
                    list -> !list.isEmpty());
            assertThat(fallbacks).singleElement().satisfies(e -> assertThat(e.attributes())
                    .containsEntry("from", "primary").containsEntry("to", "backup").containsEntry("reason", "http-500"));

            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + started.managementPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("tla_model_fallbacks_total{from=\"primary\",reason=\"http-500\",to=\"backup\"} 1.0");
        }
    }
}
