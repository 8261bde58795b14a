package io.tla.connectors.graph;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.connectors.replay.DeadLetterReplay;
import io.tla.connectors.teams.TeamDirectory;
import io.tla.platform.config.GraphConfig;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.config.TeamsBotConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.platform.secrets.SecretStore;
import io.tla.platform.testing.TrustingHttpClient;
import io.tla.schemas.ConversationType;
import io.tla.schemas.ErrorHeaders;
import io.tla.schemas.Json;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.ReplyLedgerEntry;
import io.tla.schemas.TeamDirectoryEntry;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Graph reply connector against a real broker and WireMock speaking Graph's paths (and, for the credential
 * modes, Microsoft Entra's token endpoint over HTTPS). Outcomes are read from the topics the connector writes:
 * the ledger ({@code posted}), the dead-letter topic and telemetry.
 */
class GraphReplySinkTest {

    private static final String TENANT = "6f1c2a9e-0000-4000-8000-00000000aaaa";
    private static final String ALICE = "a11ce000-0000-4000-8000-000000000001";
    /** Alice's stored user assertion: a token of tenant TENANT (Entra checks its signature in the exchange). */
    private static final String ALICE_ASSERTION = jwt("{\"tid\":\"" + TENANT + "\",\"oid\":\"" + ALICE + "\"}");
    private static final String TEAM = "0d9b8c7a-1111-4222-8333-444455556666";
    private static final String CHANNEL = "19:c0ffee00000000000000000000000000@thread.tacv2";
    private static final String TOKEN = "emulator-token";
    private static final String TOKEN_PATH = "/" + TENANT + "/oauth2/v2.0/token";

    @TempDir
    static Path brokerDir;

    private static EmbeddedKafkaBroker broker;
    private static KafkaClients clients;
    private static KafkaProducer<String, ReplyEvent> producer;

    private final WireMockServer graph = new WireMockServer(options().dynamicPort().dynamicHttpsPort());
    private final List<GraphReplySink> sinks = new ArrayList<>();
    private final List<TeamDirectory> directories = new ArrayList<>();
    private final String group = "graph-test-" + UUID.randomUUID();

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaBroker(brokerDir.resolve("kafka"), 0, 0).start();
        clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        TopicAdmin.ensureTopics(clients, Topics.REQUIRED, 3, (short) 1, Duration.ofSeconds(30));
        TopicAdmin.ensureTopics(clients, List.of(Topics.REPLAY), 3, (short) 1, Duration.ofSeconds(30));
        producer = new KafkaProducer<>(clients.properties("graph-test-producer"), Topics.REPLIES.keySerde().serializer(),
                Topics.REPLIES.valueSerde().serializer());
    }

    @AfterAll
    static void stopBroker() {
        if (producer != null) {
            producer.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void startGraph() {
        graph.start();
    }

    @AfterEach
    void stop() {
        sinks.forEach(GraphReplySink::close);
        directories.forEach(TeamDirectory::close);
        graph.stop();
    }

    @Test
    void channelReplyIsPostedOnceInTheRootMessagesThreadWithEveryLanguageAndTheBearerToken() throws Exception {
        String root = "1700000000001";
        stubCreated(repliesPath(root));
        start(Map.of());
        ReplyEvent reply = channelReply(root);
        send(reply);

        ReplyLedgerEntry posted = awaitPosted(reply.replyId());
        assertThat(posted.parts()).isEqualTo(1);
        List<LoggedRequest> posts = graph.findAll(postRequestedFor(urlPathEqualTo(repliesPath(root))));
        assertThat(posts).hasSize(1);
        LoggedRequest request = posts.get(0);
        assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + TOKEN);
        JsonNode body = Json.mapper().readTree(request.getBodyAsString());
        assertThat(body.at("/body/contentType").asText()).isEqualTo("html");
        String html = body.at("/body/content").asText();
        assertThat(html).contains("English (en)", "Can we discuss the release tomorrow?", "French (fr)",
                "Pouvons-nous parler de la version demain ?", "Translated by primary (gpt-4o-mini)",
                "tla-reply:" + reply.replyId() + ":1");
        TelemetryEvent event = awaitTelemetry(TelemetryEvent.Types.REPLY_POSTED, reply.replyId());
        assertThat(event.attributes()).containsEntry("sink", "graph").containsEntry("target", "channel")
                .containsEntry("status", "201").containsEntry("attempts", 1);

        // a second delivery of the same reply (a re-read after a failed commit, a replay) posts nothing
        send(reply);
        ReplyEvent next = channelReply(root);
        send(next);
        awaitPosted(next.replyId());
        assertThat(graph.findAll(postRequestedFor(urlPathEqualTo(repliesPath(root))))).hasSize(2);
    }

    @Test
    void groupChatReplyIsPostedToTheChatsMessages() throws Exception {
        String chat = "19:" + UUID.randomUUID().toString().replace("-", "") + "@thread.v2";
        String path = "/v1.0/chats/" + encoded(chat) + "/messages";
        stubCreated(path);
        start(Map.of());
        ReplyEvent reply = reply(chat, ConversationType.GROUP_CHAT, null, null, null);
        send(reply);

        awaitPosted(reply.replyId());
        assertThat(graph.findAll(postRequestedFor(urlPathEqualTo(path)))).hasSize(1);
    }

    @Test
    void throttledPostIsRetriedAfterRetryAfterAndPostedOnce() throws Exception {
        String root = "1700000000002";
        String path = repliesPath(root);
        graph.stubFor(post(urlPathEqualTo(path)).inScenario("throttle").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(throttled()).willSetStateTo("once"));
        graph.stubFor(post(urlPathEqualTo(path)).inScenario("throttle").whenScenarioStateIs("once")
                .willReturn(throttled()).willSetStateTo("twice"));
        graph.stubFor(post(urlPathEqualTo(path)).inScenario("throttle").whenScenarioStateIs("twice")
                .willReturn(created()));
        start(Map.of());
        ReplyEvent reply = channelReply(root);
        send(reply);

        awaitPosted(reply.replyId());
        List<LoggedRequest> posts = graph.findAll(postRequestedFor(urlPathEqualTo(path)));
        assertThat(posts).hasSize(3);
        // Retry-After: 1 was honoured between the attempts
        assertThat(Duration.between(posts.get(0).getLoggedDate().toInstant(), posts.get(2).getLoggedDate().toInstant()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(1900));
        TelemetryEvent event = awaitTelemetry(TelemetryEvent.Types.REPLY_POSTED, reply.replyId());
        assertThat(event.attributes()).containsEntry("attempts", 3);
    }

    @Test
    void forbiddenPostIsDeadLetteredWithoutRetryWithGraphsErrorInTheHeaders() throws Exception {
        String root = "1700000000003";
        String path = repliesPath(root);
        graph.stubFor(post(urlPathEqualTo(path)).willReturn(aResponse().withStatus(403)
                .withHeader("Content-Type", "application/json").withHeader("request-id", "5c3f-req")
                .withBody("{\"error\":{\"code\":\"Forbidden\",\"message\":\"Missing role permissions on the request.\","
                        + "\"innerError\":{\"request-id\":\"5c3f-req\",\"date\":\"2026-11-25T20:00:00\"}}}")));
        start(Map.of());
        ReplyEvent reply = channelReply(root);
        send(reply);

        ConsumerRecord<byte[], byte[]> dead = awaitDeadLetter(reply.replyId());
        assertThat(header(dead, ErrorHeaders.STATUS)).isEqualTo("403");
        assertThat(header(dead, ErrorHeaders.CODE)).isEqualTo("Forbidden");
        assertThat(header(dead, ErrorHeaders.REQUEST_ID)).isEqualTo("5c3f-req");
        assertThat(header(dead, ErrorHeaders.ATTEMPTS)).isEqualTo("1");
        assertThat(header(dead, ErrorHeaders.REASON)).isEqualTo("http-403");
        assertThat(header(dead, ErrorHeaders.STAGE)).isEqualTo(GraphReplySink.STAGE);
        assertThat(Instant.parse(header(dead, ErrorHeaders.FIRST_FAILURE_AT))).isBefore(Instant.now());
        assertThat(Json.mapper().readValue(dead.value(), ReplyEvent.class)).isEqualTo(reply); // unchanged for replay
        assertThat(header(dead, ErrorHeaders.MESSAGE)).doesNotContain(TOKEN, "Can we discuss");
        TelemetryEvent failed = awaitTelemetry(TelemetryEvent.Types.REPLY_FAILED, reply.replyId());
        assertThat(failed.attributes()).containsEntry("status", 403).containsEntry("code", "Forbidden");
        // one event per delivery attempt (0 = not replayed), so a replay that fails again is counted again
        assertThat(failed.eventId()).isEqualTo("reply.failed:" + reply.replyId() + ":0");
        assertThat(graph.findAll(postRequestedFor(urlPathEqualTo(path)))).hasSize(1);
    }

    @Test
    void replyGraphRefusesAsTooLargeIsPostedAgainAsSmallerOrderedParts() throws Exception {
        String root = "1700000000004";
        String path = repliesPath(root);
        graph.stubFor(post(urlPathEqualTo(path)).atPriority(1)
                .withRequestBody(matchingJsonPath("$.body.content", matching("(?s).{12000,}")))
                .willReturn(aResponse().withStatus(413).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"code\":\"RequestEntityTooLarge\",\"message\":\"too large\"}}")));
        graph.stubFor(post(urlPathEqualTo(path)).atPriority(5).willReturn(created()));
        start(Map.of());
        String english = sentences("The release train leaves on Thursday morning.", 180);
        String french = sentences("Le train de livraison part jeudi matin.", 180);
        ReplyEvent reply = reply(CHANNEL + ";messageid=" + root, ConversationType.CHANNEL, TEAM, CHANNEL, root,
                List.of(new Translation("en", english), new Translation("fr", french)));
        send(reply);

        ReplyLedgerEntry posted = awaitPosted(reply.replyId());
        List<String> accepted = graph.findAll(postRequestedFor(urlPathEqualTo(path))).stream()
                .map(request -> jsonText(request.getBodyAsString(), "/body/content"))
                .filter(content -> content.length() < 12000).toList();
        assertThat(posted.parts()).isEqualTo(accepted.size()).isGreaterThan(1);
        for (int i = 0; i < accepted.size(); i++) {
            assertThat(accepted.get(i)).contains("Part " + (i + 1) + " of " + accepted.size(),
                    "tla-reply:" + reply.replyId() + ":" + (i + 1));
        }
        String joined = String.join("", accepted);
        assertThat(count(joined, "The release train leaves on Thursday morning.")).isEqualTo(180);
        assertThat(count(joined, "Le train de livraison part jeudi matin.")).isEqualTo(180);
    }

    @Test
    void channelReplyWithoutTheTeamsAadGroupIdIsDeadLetteredWithTheReasonAndNeverPosted() throws Exception {
        start(Map.of());
        String root = "1700000000005";
        ReplyEvent reply = reply(CHANNEL + ";messageid=" + root, ConversationType.CHANNEL, TENANT, CHANNEL, root);
        send(reply);

        ConsumerRecord<byte[], byte[]> dead = awaitDeadLetter(reply.replyId());
        assertThat(header(dead, ErrorHeaders.REASON)).isEqualTo("graph-unaddressable");
        assertThat(header(dead, ErrorHeaders.MESSAGE)).contains("it is the tenant id");
        assertThat(graph.getAllServeEvents()).isEmpty();
    }

    @Test
    void repliesDeadLetteredDuringAnOutageArePostedOnceByReplayAndNotAgainByASecondReplay() throws Exception {
        String root = "1700000000006";
        String path = repliesPath(root);
        graph.stubFor(post(urlPathEqualTo(path)).willReturn(aResponse().withStatus(503)));
        graph.stubFor(get(urlPathEqualTo(path)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"value\":[]}")));
        // an outage longer than the retry budget: the reply keeps being retried, then is dead-lettered
        start(Map.of(GraphConfig.MAX_ATTEMPTS, "2", GraphConfig.INITIAL_BACKOFF_MS, "10",
                GraphConfig.THROTTLE_BUDGET_MS, "1500"));
        ReplyEvent reply = channelReply(root);
        send(reply);
        ConsumerRecord<byte[], byte[]> dead = awaitDeadLetter(reply.replyId());
        assertThat(Integer.parseInt(header(dead, ErrorHeaders.ATTEMPTS))).isGreaterThan(2);
        assertThat(header(dead, ErrorHeaders.REASON)).isEqualTo("http-503");
        assertThat(header(dead, ErrorHeaders.MESSAGE)).contains("graph.retry.throttle-budget-ms");

        // Graph recovers; the operator replays the dead letters
        graph.stubFor(post(urlPathEqualTo(path)).willReturn(created()));
        graph.resetRequests();
        DeadLetterReplay.Request request = new DeadLetterReplay.Request(Topics.REPLIES_DLQ.name(), TENANT, null, null,
                "http-503", 3, 0, false);
        DeadLetterReplay.Result first = new DeadLetterReplay(clients, Duration.ofSeconds(30), line -> { }).run(request);
        assertThat(first.replayed()).isGreaterThanOrEqualTo(1);
        awaitPosted(reply.replyId());
        DeadLetterReplay.Result second = new DeadLetterReplay(clients, Duration.ofSeconds(30), line -> { }).run(request);
        assertThat(second.replayed()).isZero();

        ReplyEvent later = channelReply(root); // proves the connector has read past anything the replay published
        send(later);
        awaitPosted(later.replyId());
        List<LoggedRequest> posts = graph.findAll(postRequestedFor(urlPathEqualTo(path)));
        assertThat(posts.stream().filter(p -> p.getBodyAsString().contains("tla-reply:" + reply.replyId())))
                .hasSize(1);
        // the replayed reply had an unconfirmed post before, so the thread was searched for its marker first
        assertThat(graph.findAll(getRequestedFor(
                urlPathEqualTo(path)))).isNotEmpty();
    }

    @Test
    void adaptiveCardFormatPostsTheCardAsAnAttachmentOfTheMessage() throws Exception {
        String root = "1700000000007";
        stubCreated(repliesPath(root));
        start(Map.of(GraphConfig.REPLY_FORMAT, GraphConfig.FORMAT_ADAPTIVE_CARD));
        ReplyEvent reply = channelReply(root);
        send(reply);

        awaitPosted(reply.replyId());
        JsonNode body = Json.mapper().readTree(graph.findAll(postRequestedFor(urlPathEqualTo(repliesPath(root))))
                .get(0).getBodyAsString());
        JsonNode attachment = body.at("/attachments/0");
        assertThat(attachment.get("contentType").asText()).isEqualTo(TeamsReplyRenderer.CARD_CONTENT_TYPE);
        assertThat(body.at("/body/content").asText()).contains("<attachment id=\"" + attachment.get("id").asText());
        JsonNode card = Json.mapper().readTree(attachment.get("content").asText());
        assertThat(card.get("type").asText()).isEqualTo("AdaptiveCard");
        assertThat(card.toString()).contains("Pouvons-nous parler de la version demain ?",
                "tla-reply:" + reply.replyId() + ":1");
    }

    @Test
    void clientSecretModePostsWithTheAppTokenFromTheAuthority() throws Exception {
        String root = "1700000000008";
        stubAuthority("grant_type=client_credentials", "app-token");
        graph.stubFor(post(urlPathEqualTo(repliesPath(root))).withHeader("Authorization", equalTo("Bearer app-token"))
                .willReturn(created()));
        start(Map.of(GraphConfig.AUTH_MODE, "client-secret", GraphConfig.TENANT_ID, TENANT,
                GraphConfig.CLIENT_ID, "11111111-2222-3333-4444-555555555555"));
        ReplyEvent reply = channelReply(root);
        send(reply);

        awaitPosted(reply.replyId());
        assertThat(graph.findAll(postRequestedFor(urlPathEqualTo(repliesPath(root))))).singleElement()
                .satisfies(request -> assertThat(request.getHeader("Authorization")).isEqualTo("Bearer app-token"));
        assertThat(graph.findAll(postRequestedFor(urlPathMatching(TOKEN_PATH))).get(0)
                .getBodyAsString()).contains("client_secret=app-secret");
    }

    @Test
    void oboModeExchangesTheSendersAssertionAndDeadLettersASenderWithoutOne() throws Exception {
        String root = "1700000000009";
        stubAuthority("assertion=" + ALICE_ASSERTION, "alice-token");
        graph.stubFor(post(urlPathEqualTo(repliesPath(root))).withHeader("Authorization", equalTo("Bearer alice-token"))
                .willReturn(created()));
        start(Map.of(GraphConfig.AUTH_MODE, "obo", GraphConfig.TENANT_ID, TENANT,
                GraphConfig.CLIENT_ID, "11111111-2222-3333-4444-555555555555"));
        ReplyEvent alice = withSender(channelReply(root), "a11ce000-0000-4000-8000-000000000001");
        ReplyEvent bob = withSender(channelReply(root), "b0b00000-0000-4000-8000-000000000002");
        send(alice);
        send(bob);

        awaitPosted(alice.replyId());
        ConsumerRecord<byte[], byte[]> dead = awaitDeadLetter(bob.replyId());
        assertThat(header(dead, ErrorHeaders.REASON)).isEqualTo("graph-no-user-assertion");
        assertThat(graph.findAll(postRequestedFor(urlPathMatching(TOKEN_PATH))).get(0)
                .getBodyAsString()).contains("urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer");
        assertThat(graph.findAll(postRequestedFor(urlPathEqualTo(repliesPath(root))))).hasSize(1);
    }

    @Test
    void oboReplyOfTenantBNeverPostsWithTenantAsUserAssertion() throws Exception {
        String root = "1700000000010";
        String tenantB = "0b0b0b0b-0000-4000-8000-00000000bbbb";
        stubAuthority("assertion=" + ALICE_ASSERTION, "alice-token");
        graph.stubFor(post(urlPathEqualTo(repliesPath(root))).willReturn(created()));
        start(Map.of(GraphConfig.AUTH_MODE, "obo", GraphConfig.TENANT_ID, TENANT,
                GraphConfig.CLIENT_ID, "11111111-2222-3333-4444-555555555555"));
        // tenant B's webhook accepted a body naming Alice's object id as its sender
        ReplyEvent r = withSender(channelReply(root), ALICE);
        ReplyEvent forged = new ReplyEvent(r.replyId(), tenantB, r.conversationId(), r.replyToId(), r.kind(),
                r.sourceLanguage(), r.translations(), r.provider(), r.model(), r.usage(), r.createdAt(),
                r.conversationType(), r.teamAadGroupId(), r.channelId(), r.rootMessageId(), r.serviceUrl(),
                r.messageReceivedAt(), ALICE);
        send(forged);

        ConsumerRecord<byte[], byte[]> dead = awaitDeadLetter(forged.replyId());
        assertThat(header(dead, ErrorHeaders.REASON)).isEqualTo("graph-no-user-assertion");
        assertThat(graph.findAll(postRequestedFor(urlPathMatching(TOKEN_PATH)))).isEmpty();
        assertThat(graph.findAll(postRequestedFor(urlPathEqualTo(repliesPath(root))))).isEmpty();

        // Alice's own tenant still posts as her, so the refusal was about the tenant, not the assertion
        ReplyEvent own = withSender(channelReply(root), ALICE);
        send(own);
        awaitPosted(own.replyId());
        assertThat(graph.findAll(postRequestedFor(urlPathEqualTo(repliesPath(root))))).singleElement()
                .satisfies(request -> assertThat(request.getHeader("Authorization")).isEqualTo("Bearer alice-token"));
    }

    @Test
    void userAssertionIsRefusedUnlessItsClaimsNameTheRepliesTenantAndSender() {
        GraphAuth.User alice = new GraphAuth.User(TENANT, ALICE);
        assertThat(GraphAuth.refusal(ALICE_ASSERTION, alice)).isNull();
        assertThat(GraphAuth.refusal(ALICE_ASSERTION, new GraphAuth.User(TENANT.toUpperCase(), ALICE))).isNull();
        assertThat(GraphAuth.refusal(ALICE_ASSERTION, new GraphAuth.User("0b0b0b0b-0000-4000-8000-00000000bbbb",
                ALICE))).isEqualTo("other-tenant");
        assertThat(GraphAuth.refusal(ALICE_ASSERTION, new GraphAuth.User(TENANT,
                "b0b00000-0000-4000-8000-000000000002"))).isEqualTo("other-user");
        assertThat(GraphAuth.refusal(jwt("{\"oid\":\"" + ALICE + "\"}"), alice)).isEqualTo("no-tenant-claim");
        assertThat(GraphAuth.refusal("opaque-assertion", alice)).isEqualTo("not-a-jwt");
        assertThat(GraphAuth.refusal(ALICE_ASSERTION, new GraphAuth.User(null, ALICE)))
                .isEqualTo("reply-without-tenant");
    }

    private static String jwt(String claims) {
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + ".c2lnbmF0dXJl";
    }

    @Test
    void channelRepliesCarryingOnlyTheTeamsThreadIdArePostedToTheTeamLookedUpOnce() throws Exception {
        String team = newTeamId();
        stubBotToken();
        graph.stubFor(get(urlPathEqualTo(teamsPath(team))).withHeader("Authorization", equalTo("Bearer bot-token"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"id\":\"" + team + "\",\"name\":\"Release\",\"aadGroupId\":\"" + TEAM + "\"}")));
        String root = "1700000000010";
        stubCreated(repliesPath(root));
        TeamDirectory teams = directory();
        start(Map.of(), teams);
        List<ReplyEvent> replies = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            replies.add(byThreadId(channelReply(root), team, botServiceUrl()));
        }
        for (ReplyEvent reply : replies) {
            send(reply);
        }

        for (ReplyEvent reply : replies) {
            awaitPosted(reply.replyId());
        }
        assertThat(graph.findAll(postRequestedFor(urlPathEqualTo(repliesPath(root))))).hasSize(6);
        graph.verify(1, getRequestedFor(urlPathEqualTo(teamsPath(team))));
        assertThat(teams.get(team)).map(TeamDirectoryEntry::source).contains(TeamDirectoryEntry.Source.BOT_FRAMEWORK);
    }

    @Test
    void channelReplyOfATeamLearnedFromAnActivityIsPostedWithoutAnyLookup() throws Exception {
        String team = newTeamId();
        String root = "1700000000011";
        stubCreated(repliesPath(root));
        TeamDirectory teams = directory();
        teams.learn(team, TENANT, TEAM, null, TeamDirectoryEntry.Source.ACTIVITY);
        start(Map.of(), teams);
        ReplyEvent reply = byThreadId(channelReply(root), team, botServiceUrl());
        send(reply);

        awaitPosted(reply.replyId());
        assertThat(graph.findAll(postRequestedFor(urlPathEqualTo(repliesPath(root))))).hasSize(1);
        assertThat(graph.findAll(getRequestedFor(urlPathMatching("/v3/teams/.*")))).isEmpty();
        assertThat(graph.findAll(postRequestedFor(urlPathMatching("/botframework.com/.*")))).isEmpty();
    }

    @Test
    void channelReplyWhoseTeamCannotBeResolvedIsDeadLetteredAsTeamUnresolvedAndNeverPosted() throws Exception {
        String team = newTeamId();
        stubBotToken();
        graph.stubFor(get(urlPathEqualTo(teamsPath(team))).willReturn(aResponse().withStatus(404)));
        TeamDirectory teams = directory();
        start(Map.of(), teams);
        ReplyEvent unknown = byThreadId(channelReply("1700000000012"), team, botServiceUrl());
        ReplyEvent elsewhere = byThreadId(channelReply("1700000000013"), newTeamId(), "https://attacker.example/");
        send(unknown);
        send(elsewhere);

        ConsumerRecord<byte[], byte[]> dead = awaitDeadLetter(unknown.replyId());
        assertThat(header(dead, ErrorHeaders.REASON)).isEqualTo(GraphReplySink.TEAM_UNRESOLVED);
        assertThat(header(dead, ErrorHeaders.MESSAGE)).contains(team, "/v3/teams/", "answered 404")
                .doesNotContain("bot-token", "bot-secret");
        assertThat(Json.mapper().readValue(dead.value(), ReplyEvent.class)).isEqualTo(unknown); // unchanged for replay
        ConsumerRecord<byte[], byte[]> refused = awaitDeadLetter(elsewhere.replyId());
        assertThat(header(refused, ErrorHeaders.REASON)).isEqualTo(GraphReplySink.TEAM_UNRESOLVED);
        assertThat(header(refused, ErrorHeaders.MESSAGE)).contains("no bot token is sent there");
        assertThat(awaitTelemetry(TelemetryEvent.Types.REPLY_FAILED, unknown.replyId()).attributes())
                .containsEntry("reason", GraphReplySink.TEAM_UNRESOLVED);
        graph.verify(1, getRequestedFor(urlPathEqualTo(teamsPath(team))));
        assertThat(graph.findAll(postRequestedFor(urlPathMatching("/v1.0/.*")))).isEmpty();
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    /** A team directory against this WireMock: token from its HTTPS port, Bot Framework on its HTTP port. */
    private TeamDirectory directory() throws InterruptedException {
        Map<String, String> values = Map.of(TeamsBotConfig.APP_ID, "b07b07b0-0000-4000-8000-000000000001",
                TeamsBotConfig.AUTHORITY_HOST, "https://localhost:" + graph.httpsPort(),
                TeamsBotConfig.SERVICE_URLS, botServiceUrl(), TeamsBotConfig.INITIAL_BACKOFF_MS, "10");
        TeamDirectory teams = new TeamDirectory(TeamsBotConfig.from(TlaConfig.of(values)),
                new EnvSecretStore(Map.of(EnvSecretStore.variableFor("teams-bot-app-secret"), "bot-secret")),
                clients, new TlaMetrics().registry(), java.time.Clock.systemUTC(), TrustingHttpClient.create());
        directories.add(teams);
        teams.start();
        assertThat(teams.awaitReady(Duration.ofSeconds(30))).isTrue();
        return teams;
    }

    private String botServiceUrl() {
        return "http://127.0.0.1:" + graph.port() + "/";
    }

    private void stubBotToken() {
        String authority = "https://localhost:" + graph.httpsPort() + "/botframework.com";
        graph.stubFor(get(urlPathEqualTo("/botframework.com/v2.0/.well-known/openid-configuration"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"token_endpoint\":\"" + authority + "/oauth2/v2.0/token\","
                                + "\"authorization_endpoint\":\"" + authority + "/oauth2/v2.0/authorize\","
                                + "\"issuer\":\"" + authority + "/v2.0\"}")));
        graph.stubFor(post(urlPathEqualTo("/botframework.com/oauth2/v2.0/token"))
                .withRequestBody(containing("https%3A%2F%2Fapi.botframework.com%2F.default")).willReturn(token("bot-token")));
    }

    private static String newTeamId() {
        return "19:" + UUID.randomUUID().toString().replace("-", "") + "@thread.tacv2";
    }

    private static String teamsPath(String team) {
        return "/v3/teams/" + encoded(team);
    }

    /** {@code r} as an activity without the team's AAD group id leaves it: only the team's thread id. */
    private static ReplyEvent byThreadId(ReplyEvent r, String teamThreadId, String serviceUrl) {
        return new ReplyEvent(r.replyId(), r.tenantId(), r.conversationId(), r.replyToId(), r.kind(),
                r.sourceLanguage(), r.translations(), r.provider(), r.model(), r.usage(), r.createdAt(),
                r.conversationType(), null, r.channelId(), r.rootMessageId(), serviceUrl, r.messageReceivedAt(),
                r.senderAadObjectId(), teamThreadId, null);
    }

    /** A connector whose group starts at the replies topic's current end, so other tests' replies stay out. */
    private GraphReplySink start(Map<String, String> overrides) throws Exception {
        return start(overrides, null);
    }

    private GraphReplySink start(Map<String, String> overrides, TeamDirectory teams) throws Exception {
        try (Admin admin = Admin.create(clients.properties("graph-test-admin"))) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < 3; p++) {
                latest.put(new TopicPartition(Topics.REPLIES.name(), p), OffsetSpec.latest());
            }
            Map<TopicPartition, OffsetAndMetadata> end = new HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) -> end.put(tp, new OffsetAndMetadata(info.offset())));
            admin.alterConsumerGroupOffsets(group, end).all().get();
        }
        Map<String, String> values = new HashMap<>();
        values.put(GraphConfig.BASE_URL, "http://127.0.0.1:" + graph.port() + "/v1.0");
        values.put(GraphConfig.AUTH_MODE, "static-token");
        values.put(GraphConfig.AUTHORITY_HOST, "https://localhost:" + graph.httpsPort());
        values.put(GraphConfig.INITIAL_BACKOFF_MS, "50");
        values.putAll(overrides);
        GraphConfig config = GraphConfig.from(TlaConfig.of(values));
        SecretStore secrets = new EnvSecretStore(Map.of(
                EnvSecretStore.variableFor("graph-token"), TOKEN,
                EnvSecretStore.variableFor("graph-client-secret"), "app-secret",
                EnvSecretStore.variableFor("graph-user-assertion-a11ce000-0000-4000-8000-000000000001"),
                ALICE_ASSERTION));
        GraphReplySink sink = new GraphReplySink(config, new GraphAuth(config, secrets, TrustingHttpClient.create()),
                new ReplyConfig("graph", group), clients, new TlaMetrics(), new Health(), teams);
        sinks.add(sink);
        sink.start();
        return sink;
    }

    /** The local Entra authority: its OpenID metadata, and a token for requests whose form contains {@code grant}. */
    private void stubAuthority(String grant, String accessToken) {
        graph.stubFor(post(urlPathMatching(TOKEN_PATH)).withRequestBody(containing(grant))
                .willReturn(token(accessToken)));
        stubOpenIdConfiguration();
    }

    private void stubOpenIdConfiguration() {
        String authority = "https://localhost:" + graph.httpsPort() + "/" + TENANT;
        graph.stubFor(get(urlPathMatching("/" + TENANT + "/v2.0/.well-known/openid-configuration"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"token_endpoint\":\"" + authority + "/oauth2/v2.0/token\","
                                + "\"authorization_endpoint\":\"" + authority + "/oauth2/v2.0/authorize\","
                                + "\"issuer\":\"" + authority + "/v2.0\"}")));
    }

    private static ResponseDefinitionBuilder token(String accessToken) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"token_type\":\"Bearer\",\"expires_in\":3600,\"ext_expires_in\":3600,"
                        + "\"access_token\":\"" + accessToken + "\"}");
    }

    private void stubCreated(String path) {
        graph.stubFor(post(urlPathEqualTo(path)).willReturn(created()));
    }

    private static ResponseDefinitionBuilder created() {
        return aResponse().withStatus(201).withHeader("Content-Type", "application/json")
                .withBody("{\"id\":\"" + System.nanoTime() + "\",\"messageType\":\"message\"}");
    }

    private static ResponseDefinitionBuilder throttled() {
        return aResponse().withStatus(429).withHeader("Retry-After", "1").withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"Too many requests\"}}");
    }

    private static String repliesPath(String root) {
        return "/v1.0/teams/" + TEAM + "/channels/" + encoded(CHANNEL) + "/messages/" + root + "/replies";
    }

    /** A Graph id as the SDK puts it in a path: colon and at-sign percent-encoded. */
    private static String encoded(String id) {
        return id.replace(":", "%3A").replace("@", "%40");
    }

    private static ReplyEvent channelReply(String root) {
        return reply(CHANNEL + ";messageid=" + root, ConversationType.CHANNEL, TEAM, CHANNEL, root);
    }

    private static ReplyEvent reply(String conversationId, ConversationType type, String team, String channel,
                                    String root) {
        return reply(conversationId, type, team, channel, root, List.of(
                new Translation("en", "Can we discuss the release tomorrow?"),
                new Translation("fr", "Pouvons-nous parler de la version demain ?")));
    }

    private static ReplyEvent reply(String conversationId, ConversationType type, String team, String channel,
                                    String root, List<Translation> translations) {
        String id = UUID.randomUUID().toString();
        return new ReplyEvent("reply-" + id, TENANT, conversationId, "msg-" + id, ReplyKind.TRANSLATION, "de",
                translations, "primary", "gpt-4o-mini", new Usage(41, 23, new BigDecimal("0.000021")),
                Instant.parse("2026-11-25T20:00:00Z"), type, team, channel, root, "https://smba.trafficmanager.net/emea/",
                Instant.parse("2026-11-25T19:59:59Z"), null);
    }

    private static ReplyEvent withSender(ReplyEvent r, String aadObjectId) {
        return new ReplyEvent(r.replyId(), r.tenantId(), r.conversationId(), r.replyToId(), r.kind(),
                r.sourceLanguage(), r.translations(), r.provider(), r.model(), r.usage(), r.createdAt(),
                r.conversationType(), r.teamAadGroupId(), r.channelId(), r.rootMessageId(), r.serviceUrl(),
                r.messageReceivedAt(), aadObjectId);
    }

    private static void send(ReplyEvent reply) throws Exception {
        producer.send(new ProducerRecord<>(Topics.REPLIES.name(), reply.conversationId(), reply)).get();
    }

    private static ReplyLedgerEntry awaitPosted(String replyId) {
        ConsumerRecord<byte[], byte[]> record = readUntil(Topics.REPLY_LEDGER.name(), r -> {
            ReplyLedgerEntry entry = Json.mapper().readValue(r.value(), ReplyLedgerEntry.class);
            return entry.replyId().equals(replyId) && entry.state() == ReplyLedgerEntry.State.POSTED;
        });
        return read(record.value(), ReplyLedgerEntry.class);
    }

    private static ConsumerRecord<byte[], byte[]> awaitDeadLetter(String replyId) {
        return readUntil(Topics.REPLIES_DLQ.name(),
                r -> Json.mapper().readTree(r.value()).path("replyId").asText().equals(replyId));
    }

    private static TelemetryEvent awaitTelemetry(String type, String replyId) {
        return read(readUntil(Topics.TELEMETRY.name(), r -> {
            TelemetryEvent event = Json.mapper().readValue(r.value(), TelemetryEvent.class);
            return event.type().equals(type) && replyId.equals(event.attributes().get("replyId"));
        }).value(), TelemetryEvent.class);
    }

    private interface RecordTest {
        boolean test(ConsumerRecord<byte[], byte[]> record) throws Exception;
    }

    /** Reads a topic from the start (read_committed) until a record matches, and returns that record. */
    private static ConsumerRecord<byte[], byte[]> readUntil(String topic, RecordTest test) {
        Predicate<ConsumerRecord<byte[], byte[]>> matches = record -> {
            try {
                return record.value() != null && test.test(record);
            } catch (Exception e) {
                return false;
            }
        };
        Map<String, Object> props = clients.properties("graph-test-reader-" + UUID.randomUUID());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map((PartitionInfo p) -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(record -> {
                    if (matches.test(record)) {
                        found.add(record);
                    }
                });
                return !found.isEmpty();
            });
            return found.get(0);
        }
    }

    private static <T> T read(byte[] value, Class<T> type) {
        try {
            return Json.mapper().readValue(value, type);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String jsonText(String json, String pointer) {
        try {
            return Json.mapper().readTree(json).at(pointer).asText();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String sentences(String sentence, int times) {
        return (sentence + " ").repeat(times).strip();
    }

    private static int count(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }
}
