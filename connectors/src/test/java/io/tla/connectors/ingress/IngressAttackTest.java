package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.SyncReplyConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.config.WebhookConfig.Registration;
import io.tla.platform.http.Health;
import io.tla.platform.http.HttpServer;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.Secret;
import io.tla.schemas.Json;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Topics;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a holder of one webhook key (or of a captured request) tries, against the real ingress, HTTP server and
 * broker. "Nothing stored" is proven without timing: after the attempt a valid sentinel goes through the same
 * producer, and nothing but the sentinel may have reached any topic in between.
 */
class IngressAttackTest {

    private static final String HOME = "11111111-1111-4111-8111-111111111111";
    private static final String VICTIM = "22222222-2222-4222-8222-222222222222";
    private static final String TEAM = "19:0d5e2c1b8a7f4e3d9c6b5a4f3e2d1c0b@thread.tacv2";
    private static final String OTHER_TEAM = "19:ffffffffffffffffffffffffffffffff@thread.tacv2";
    private static final String DEFAULT_KEY = Fixtures.randomKey();
    private static final Map<String, String> KEYS = Map.of(
            "alpha-hmac", Fixtures.randomKey(), "beta-hmac", Fixtures.randomKey(), "team-hmac", Fixtures.randomKey());
    private static final HttpConfig HTTP = new HttpConfig("127.0.0.1", 0, 256 * 1024);
    private static final SyncReplyConfig SYNC = new SyncReplyConfig(Duration.ofMillis(2_500), Duration.ofMillis(700));

    @TempDir
    static Path dir;

    private static EmbeddedKafkaBroker broker;
    private static KafkaClients clients;
    private static TlaMetrics metrics;
    private static TeamsIngress ingress;
    private static HttpServer server;
    private static KafkaConsumer<byte[], byte[]> reader;
    private static KafkaProducer<String, ReplyEvent> topology;
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0, 0).start();
        clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        TopicAdmin.ensureTopics(clients, Topics.REQUIRED, 1, (short) 1, Duration.ofSeconds(30));
        metrics = new TlaMetrics();
        // alpha and beta: two teams' webhooks of the same tenant, both answering in the call; team: bound to one team
        WebhookConfig webhook = new WebhookConfig("teams-webhook-hmac", Map.of(
                "alpha", new Registration("alpha", "alpha-hmac", HOME, null, null, true, null),
                "beta", new Registration("beta", "beta-hmac", HOME, null, null, true, null),
                "team", new Registration("team", "team-hmac", HOME, TEAM, null, false, null)))
                .withTenant(HOME);
        ingress = new TeamsIngress(HTTP, webhook, new Secret("teams-webhook-hmac", DEFAULT_KEY, null), clients,
                metrics, new Health(), Clock.systemUTC(),
                name -> Optional.ofNullable(KEYS.get(name)).map(value -> new Secret(name, value, null)), SYNC);
        server = HttpServer.webhook(HTTP, new Health()).routes(ingress::routes).start();
        assertThat(ingress.syncReplies().orElseThrow().awaitFollowing(Duration.ofSeconds(30))).isTrue();

        Map<String, Object> props = clients.properties("attack-test-reader");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
        reader = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (var topic : Topics.REQUIRED) {
            partitions.add(new TopicPartition(topic.name(), 0));
        }
        reader.assign(partitions);
        topology = new KafkaProducer<>(clients.properties("attack-test-topology"),
                Topics.REPLIES.keySerde().serializer(), Topics.REPLIES.valueSerde().serializer());
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {topology, reader, server, ingress, broker}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // closing what is left
            }
        }
    }

    // --- the attacks -------------------------------------------------------------------------------------------

    @Test
    void aBodyNamingAnotherTenantUnderARegistrationKeyIsRefused403AndReachesNoTopic() throws Exception {
        ObjectNode activity = activity("charge it to them", VICTIM);

        assertNothingStored(() -> {
            HttpResponse<String> response = post("alpha", activity);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
            assertThat(json(response).path("reason").asText()).isEqualTo("tenant-mismatch");
            assertThat(response.body()).doesNotContain(VICTIM, "charge it to them");
        });
        assertThat(metrics.registry().get("tla.ingress.binding.refused").tag("registration", "alpha")
                .tag("reason", "tenant-mismatch").counter().count()).isGreaterThanOrEqualTo(1.0);
    }

    @Test
    void aBodyNamingAnotherTenantUnderTheDefaultKeyIsRefused403AndReachesNoTopic() throws Exception {
        ObjectNode activity = activity("and under the default key", VICTIM);

        assertNothingStored(() -> {
            HttpResponse<String> response = post(null, activity);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
            assertThat(json(response).path("reason").asText()).isEqualTo("tenant-mismatch");
        });
    }

    @Test
    void aTenantNamedOnlyInChannelDataIsCheckedToo() throws Exception {
        ObjectNode activity = activity("hidden in channel data", null);
        ((ObjectNode) activity.withObjectProperty("channelData")).putObject("tenant").put("id", VICTIM);

        assertNothingStored(() -> assertThat(post("alpha", activity).statusCode()).isEqualTo(403));
    }

    @Test
    void anAcceptedMessageCarriesTheKeysTenantWhateverCaseTheBodyUsed() throws Exception {
        ObjectNode activity = activity("same tenant, upper case", HOME.toUpperCase());
        HttpResponse<String> response = post("team", channel(activity, TEAM));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        NormalizedMessage stored = storedMessage(activity.path("id").asText());
        assertThat(stored.tenantId()).isEqualTo(HOME);
        assertThat(stored.teamId()).isEqualTo(TEAM);
        assertThat(stored.registration()).isEqualTo("team");
    }

    @Test
    void aTeamBoundKeyRefusesAnotherTeamAndAnyChatWith403() throws Exception {
        ObjectNode otherTeam = channel(activity("from another team", HOME), OTHER_TEAM);
        ObjectNode chat = activity("from a group chat", HOME);

        assertNothingStored(() -> {
            HttpResponse<String> response = post("team", otherTeam);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
            assertThat(json(response).path("reason").asText()).isEqualTo("team-mismatch");
            assertThat(json(post("team", chat)).path("reason").asText()).isEqualTo("team-mismatch");
        });
    }

    @Test
    void aCapturedRequestReplayedAfterTheSkewWindowIs401Stale() throws Exception {
        ObjectNode old = activity("captured an hour ago", HOME);
        old.put("timestamp", Instant.now().minusSeconds(301).toString());
        ObjectNode future = activity("dated ahead", HOME);
        future.put("timestamp", Instant.now().plusSeconds(301).toString());

        assertNothingStored(() -> {
            for (ObjectNode activity : List.of(old, future)) {
                HttpResponse<String> response = post("alpha", activity);
                assertThat(response.statusCode()).as(response.body()).isEqualTo(401);
                assertThat(json(response).path("reason").asText()).isEqualTo("stale");
            }
        });
    }

    @Test
    void aBodyWithoutTimestampIs400NamingTheField() throws Exception {
        ObjectNode activity = activity("no timestamp", HOME);
        activity.remove("timestamp");

        assertNothingStored(() -> {
            HttpResponse<String> response = post("alpha", activity);
            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(json(response).path("field").asText()).isEqualTo("/timestamp");
        });
    }

    @Test
    void theSameDeliveryAgainGetsTheSameAnswerAndIsStoredOnce() throws Exception {
        ObjectNode activity = activity("delivered twice", HOME);
        long before = endOffset(Topics.MESSAGES.name());

        HttpResponse<String> first = post(null, activity);
        HttpResponse<String> again = post(null, activity);

        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(endOffset(Topics.MESSAGES.name()) - before).isEqualTo(1);
    }

    @Test
    void anotherBodyUnderAnActivityIdAlreadySeenIs409AndNotStored() throws Exception {
        ObjectNode original = activity("the original", HOME);
        assertThat(post(null, original).statusCode()).isEqualTo(202);
        ObjectNode forged = original.deepCopy();
        forged.put("text", "<at>TranslateBot</at> something else under the same id");

        assertNothingStored(() -> {
            HttpResponse<String> response = post(null, forged);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(409);
            assertThat(json(response).path("reason").asText()).isEqualTo("activity-id-reused");
        });
    }

    @Test
    void theSameActivityIdInAnotherConversationIsAnotherMessageNotAConflict() throws Exception {
        // Teams activity ids are millisecond timestamps: two conversations can share one
        ObjectNode here = activity("in one chat", HOME);
        ObjectNode there = activity("in another chat", HOME);
        there.put("id", here.path("id").asText());
        long before = endOffset(Topics.MESSAGES.name());

        assertThat(post(null, here).statusCode()).isEqualTo(202);
        assertThat(post(null, there).statusCode()).isEqualTo(202);
        assertThat(endOffset(Topics.MESSAGES.name()) - before).isEqualTo(2);
    }

    @Test
    void aSyncReplyCallCannotObtainTheAnswerToAnotherRegistrationsMessage() throws Exception {
        // the victim's team (beta) and the attacker's team (alpha) are webhooks of the same tenant; the attacker
        // copies the victim's conversation and activity id, hoping to be answered with the victim's translation
        String conversation = "19:" + UUID.randomUUID().toString().replace("-", "") + "@thread.v2";
        String messageId = Long.toString(System.currentTimeMillis());
        ObjectNode victim = activity("the victim's confidential text", HOME);
        victim.put("id", messageId);
        victim.withObjectProperty("conversation").put("id", conversation);
        ObjectNode attacker = activity("the attacker's text", HOME);
        attacker.put("id", messageId);
        attacker.withObjectProperty("conversation").put("id", conversation);

        CompletableFuture<HttpResponse<String>> victimCall = postAsync("beta", victim);
        CompletableFuture<HttpResponse<String>> attackerCall = postAsync("alpha", attacker);
        NormalizedMessage victimMessage = storedMessage(messageId, "beta");
        storedMessage(messageId, "alpha");
        // the topology answers the victim's message (its registration rides along on the reply)
        topology.send(new ProducerRecord<>(Topics.REPLIES.name(), conversation, ReplyEvent.answering(victimMessage,
                "reply-" + messageId, ReplyKind.TRANSLATION, "en",
                List.of(new Translation("de", "VERTRAULICH: the victim's translation")), "primary", "gpt-test",
                Usage.NONE, Instant.now()))).get();

        HttpResponse<String> victimResponse = victimCall.get();
        HttpResponse<String> attackerResponse = attackerCall.get();
        assertThat(victimResponse.statusCode()).isEqualTo(200);
        assertThat(victimResponse.body()).contains("VERTRAULICH");
        assertThat(attackerResponse.statusCode()).isEqualTo(202); // its own reply did not come in time
        assertThat(attackerResponse.body()).doesNotContain("VERTRAULICH");
    }

    @Test
    void aSyncReplyCallIsNotAnsweredWithAReplyOfAnotherTenant() throws Exception {
        String conversation = "19:" + UUID.randomUUID().toString().replace("-", "") + "@thread.v2";
        ObjectNode mine = activity("my question", HOME);
        mine.withObjectProperty("conversation").put("id", conversation);

        CompletableFuture<HttpResponse<String>> call = postAsync("alpha", mine);
        NormalizedMessage stored = storedMessage(mine.path("id").asText(), "alpha");
        ReplyEvent foreign = ReplyEvent.answering(stored.withIdentity(VICTIM, null, null),
                "reply-foreign", ReplyKind.TRANSLATION, "en", List.of(new Translation("de", "FREMD")), "primary",
                "gpt-test", Usage.NONE, Instant.now());
        topology.send(new ProducerRecord<>(Topics.REPLIES.name(), conversation, foreign)).get();

        HttpResponse<String> response = call.get();
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.body()).doesNotContain("FREMD");
    }

    @Test
    void anUnknownRegistrationGetsTheSame401AsAWrongSignature() throws Exception {
        ObjectNode activity = activity("probing names", HOME);
        byte[] body = Fixtures.bytes(activity);
        String wrong = HmacSignature.ofBase64Key(Fixtures.randomKey()).authorizationHeader(body);

        HttpResponse<String> unknown = post("?id=nosuchteam", body, wrong);
        HttpResponse<String> known = post("?id=alpha", body, wrong);

        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(known.statusCode()).isEqualTo(401);
        assertThat(unknown.body()).isEqualTo(known.body()).doesNotContain("nosuchteam", "alpha", "registration");
    }

    @Test
    void aKeyShorterThan16BytesRefusesToStartWithoutShowingIt() {
        String shortKey = "c2hvcnQta2V5"; // "short-key": 9 bytes
        WebhookConfig webhook = new WebhookConfig("teams-webhook-hmac", Map.of(
                "alpha", new Registration("alpha", "alpha-hmac", HOME, null, false))).withTenant(HOME);

        assertThatThrownBy(() -> new TeamsIngress(HTTP, webhook, new Secret("teams-webhook-hmac", shortKey, null),
                clients, new TlaMetrics(), new Health(), Clock.systemUTC(), name -> Optional.empty()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("teams-webhook-hmac").hasMessageContaining("at least 16")
                .hasMessageNotContaining(shortKey);
        assertThatThrownBy(() -> new TeamsIngress(HTTP, webhook, new Secret("teams-webhook-hmac", DEFAULT_KEY, null),
                clients, new TlaMetrics(), new Health(), Clock.systemUTC(),
                name -> Optional.of(new Secret(name, shortKey, null))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("alpha-hmac");
    }

    @Test
    void pastTheInFlightBoundTheIngressAnswers429WithRetryAfterAndStoresNothing() throws Exception {
        // a producer that holds each record 1.5 s before sending it keeps the first message in flight
        KafkaClients lingering = new KafkaClients(broker.bootstrapServers(), Map.of(ProducerConfig.LINGER_MS_CONFIG, 1_500));
        TlaMetrics shedMetrics = new TlaMetrics();
        WebhookConfig webhook = new WebhookConfig("teams-webhook-hmac", Map.of()).withTenant(HOME)
                .withLimits(WebhookConfig.DEFAULT_MAX_CLOCK_SKEW, 10_000, 1);
        try (TeamsIngress shedding = new TeamsIngress(HTTP, webhook, new Secret("teams-webhook-hmac", DEFAULT_KEY, null),
                lingering, shedMetrics, new Health(), Clock.systemUTC());
             HttpServer shedServer = HttpServer.webhook(HTTP, new Health()).routes(shedding::routes).start()) {
            ObjectNode first = activity("first, lingering", HOME);
            ObjectNode second = activity("second, shed", HOME);
            CompletableFuture<HttpResponse<String>> firstCall = http.sendAsync(request(shedServer, "", first, DEFAULT_KEY),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> shedMetrics.registry().get("tla.ingress.in.flight").gauge().value() == 1.0);

            HttpResponse<String> shed = http.send(request(shedServer, "", second, DEFAULT_KEY),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(shed.statusCode()).as(shed.body()).isEqualTo(429);
            assertThat(shed.headers().firstValue("Retry-After")).contains("1");
            assertThat(json(shed).path("reason").asText()).isEqualTo("overloaded");
            assertThat(firstCall.get().statusCode()).isEqualTo(202);
            // shed, not remembered: the retry is stored
            assertThat(http.send(request(shedServer, "", second, DEFAULT_KEY), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(202);
        }
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    /** A group-chat activity as Teams sends it now, naming {@code tenant} (null: none). */
    private static ObjectNode activity(String text, String tenant) {
        ObjectNode activity = Fixtures.json(Fixtures.GROUP_CHAT, Instant.now());
        activity.put("id", "msg-" + UUID.randomUUID());
        ObjectNode conversation = activity.withObjectProperty("conversation");
        conversation.put("id", "19:" + UUID.randomUUID().toString().replace("-", "") + "@thread.v2");
        conversation.remove("tenantId");
        if (tenant != null) {
            conversation.put("tenantId", tenant);
        }
        activity.remove("channelData");
        activity.put("text", "<at>TranslateBot</at> " + text);
        return activity;
    }

    /** The activity moved into a channel thread of {@code team}. */
    private static ObjectNode channel(ObjectNode activity, String team) {
        ObjectNode conversation = activity.withObjectProperty("conversation");
        conversation.put("conversationType", "channel");
        conversation.put("id", "19:" + UUID.randomUUID().toString().replace("-", "") + "@thread.tacv2;messageid=1");
        ObjectNode channelData = activity.withObjectProperty("channelData");
        channelData.putObject("team").put("id", team);
        channelData.putObject("channel").put("id", "19:" + UUID.randomUUID().toString().replace("-", "") + "@thread.tacv2");
        return activity;
    }

    private static String keyOf(String registration) {
        return registration == null ? DEFAULT_KEY : KEYS.get(registration + "-hmac");
    }

    private static HttpRequest request(HttpServer target, String query, ObjectNode activity, String key) {
        byte[] body = Fixtures.bytes(activity);
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.port() + "/api/messages" + query))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .header("Authorization", HmacSignature.ofBase64Key(key).authorizationHeader(body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    private static HttpResponse<String> post(String registration, ObjectNode activity) throws Exception {
        return http.send(request(server, registration == null ? "" : "?id=" + registration, activity,
                keyOf(registration)), HttpResponse.BodyHandlers.ofString());
    }

    private static CompletableFuture<HttpResponse<String>> postAsync(String registration, ObjectNode activity) {
        return http.sendAsync(request(server, "?id=" + registration, activity, keyOf(registration)),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String query, byte[] body, String authorization) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/messages" + query))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .header("Authorization", authorization).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return Json.mapper().readTree(response.body());
    }

    private static long endOffset(String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        return reader.endOffsets(List.of(partition)).get(partition);
    }

    interface Attempt {
        void run() throws Exception;
    }

    /**
     * Runs the attempt, then stores a sentinel through the same ingress: every topic's end offset may have moved
     * only by the sentinel's record on {@code teams.messages.v1}.
     */
    private static void assertNothingStored(Attempt attempt) throws Exception {
        Map<String, Long> before = new HashMap<>();
        for (var topic : Topics.REQUIRED) {
            before.put(topic.name(), endOffset(topic.name()));
        }
        attempt.run();
        ObjectNode sentinel = activity("sentinel", HOME);
        assertThat(post(null, sentinel).statusCode()).isEqualTo(202);
        for (var topic : Topics.REQUIRED) {
            long grown = endOffset(topic.name()) - before.get(topic.name());
            assertThat(grown).as(topic.name()).isEqualTo(topic.name().equals(Topics.MESSAGES.name()) ? 1 : 0);
        }
    }

    private static NormalizedMessage storedMessage(String messageId) {
        return storedMessage(messageId, null);
    }

    /** The record of {@code messageId} (for {@code registration}, when given) on {@code teams.messages.v1}. */
    private static NormalizedMessage storedMessage(String messageId, String registration) {
        TopicPartition partition = new TopicPartition(Topics.MESSAGES.name(), 0);
        NormalizedMessage[] found = new NormalizedMessage[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            reader.seek(partition, 0);
            for (int polls = 0; polls < 20 && found[0] == null; polls++) {
                var records = reader.poll(Duration.ofMillis(50));
                if (records.isEmpty()) {
                    break;
                }
                for (ConsumerRecord<byte[], byte[]> r : records.records(partition)) {
                    NormalizedMessage m = Topics.MESSAGES.valueSerde().deserializer().deserialize(r.topic(), r.value());
                    if (m.messageId().equals(messageId)
                            && (registration == null || registration.equals(m.registration()))) {
                        found[0] = m;
                    }
                }
            }
            return found[0] != null;
        });
        return found[0];
    }
}
