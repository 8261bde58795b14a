package io.tla.connectors.teams;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.config.TeamsBotConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.secrets.EnvSecretStore;
import io.tla.platform.testing.TrustingHttpClient;
import io.tla.schemas.ConversationType;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Sender;
import io.tla.schemas.TeamDirectoryEntry;
import io.tla.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The team directory against a real broker (the compacted topic it follows and writes) and WireMock playing both
 * Microsoft Entra's token endpoint (HTTPS) and the Bot Framework connector's {@code /v3/teams/{id}}.
 */
class TeamDirectoryTest {

    private static final String TENANT = "6f1c2a9e-0000-4000-8000-00000000aaaa";
    private static final String APP_ID = "b07b07b0-0000-4000-8000-000000000001";
    private static final String BOT_SECRET = "bot-secret-value";
    private static final String BOT_TOKEN = "bot-token-value";
    private static final String TOKEN_PATH = "/botframework.com/oauth2/v2.0/token";

    @TempDir
    static Path brokerDir;

    private static EmbeddedKafkaBroker broker;
    private static KafkaClients clients;

    private final WireMockServer bot = new WireMockServer(options().dynamicPort().dynamicHttpsPort());
    private final List<TeamDirectory> directories = new ArrayList<>();
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-26T01:00:00Z"));
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaBroker(brokerDir.resolve("kafka"), 0, 0).start();
        clients = new KafkaClients(broker.bootstrapServers(), Map.of());
        TopicAdmin.ensureTopics(clients, Topics.REQUIRED, 3, (short) 1, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void startBot() {
        bot.start();
        stubToken();
    }

    @AfterEach
    void stop() {
        directories.forEach(TeamDirectory::close);
        bot.stop();
    }

    @Test
    void teamIsLookedUpOnceWithTheBotTokenForManyResolvesAndStoredInTheTopic() throws Exception {
        String team = newTeamId();
        String group = UUID.randomUUID().toString();
        stubTeam(team, group, "Release team");
        TeamDirectory directory = directory(Map.of());

        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<TeamDirectory.Resolution>> resolutions = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            resolutions.add(pool.submit(() -> directory.resolve(team, serviceUrl(), TENANT)));
        }
        for (Future<TeamDirectory.Resolution> resolution : resolutions) {
            assertThat(resolution.get().aadGroupId()).isEqualTo(group);
        }
        pool.shutdown();

        bot.verify(1, getRequestedFor(urlPathEqualTo(teamsPath(team)))
                .withHeader("Authorization", equalTo("Bearer " + BOT_TOKEN)));
        assertThat(bot.findAll(postRequestedFor(urlPathEqualTo(TOKEN_PATH))).get(0).getBodyAsString())
                .contains("grant_type=client_credentials", "client_id=" + APP_ID, "client_secret=" + BOT_SECRET,
                        "https%3A%2F%2Fapi.botframework.com%2F.default");
        TeamDirectoryEntry stored = awaitEntry(team);
        assertThat(stored).extracting(TeamDirectoryEntry::aadGroupId, TeamDirectoryEntry::tenantId,
                        TeamDirectoryEntry::teamName, TeamDirectoryEntry::source)
                .containsExactly(group, TENANT, "Release team", TeamDirectoryEntry.Source.BOT_FRAMEWORK);
    }

    @Test
    void restartedDirectoryKnowsAResolvedTeamFromTheTopicWithoutLookingItUpAgain() throws Exception {
        String team = newTeamId();
        String group = UUID.randomUUID().toString();
        stubTeam(team, group, "Support");
        TeamDirectory first = directory(Map.of());
        assertThat(first.resolve(team, serviceUrl(), TENANT).aadGroupId()).isEqualTo(group);
        awaitEntry(team);
        first.close();
        directories.remove(first);

        TeamDirectory restarted = directory(Map.of());
        assertThat(restarted.get(team)).map(TeamDirectoryEntry::aadGroupId).contains(group);
        TeamDirectory.Resolution resolution = restarted.resolve(team, serviceUrl(), TENANT);
        assertThat(resolution.aadGroupId()).isEqualTo(group);
        assertThat(resolution.detail()).contains(Topics.TEAM_DIRECTORY.name(), "bot-framework");
        bot.verify(1, getRequestedFor(urlPathEqualTo(teamsPath(team))));
    }

    @Test
    void directoryStartedAfterHundredsOfWritesKnowsEveryTeamWrittenBeforeItOnceReady() throws Exception {
        for (int round = 0; round < 4; round++) {
            int teams = 150 + 100 * round;
            TeamDirectory writer = directory(Map.of());
            Map<String, String> expected = new HashMap<>();
            for (int i = 0; i < teams; i++) {
                String team = newTeamId();
                String group = UUID.randomUUID().toString();
                assertThat(writer.learn(team, TENANT, group, null, TeamDirectoryEntry.Source.ACTIVITY)).isTrue();
                expected.put(team, group);
            }
            // some keys written again with another group: the latest one counts
            List<String> written = new ArrayList<>(expected.keySet());
            for (int i = 0; i < teams / 5; i++) {
                String group = UUID.randomUUID().toString();
                writer.learn(written.get(i), TENANT, group, null, TeamDirectoryEntry.Source.ACTIVITY);
                expected.put(written.get(i), group);
            }
            writer.close(); // flushes its producer: every write above is on the topic
            directories.remove(writer);

            TeamDirectory restarted = directory(Map.of()); // ready: read up to the end it found at start
            Map<String, String> known = new HashMap<>();
            expected.keySet().forEach(team -> restarted.get(team).ifPresent(e -> known.put(team, e.aadGroupId())));
            assertThat(known).as("round %d: %d teams", round, teams).containsExactlyInAnyOrderEntriesOf(expected);
            restarted.close();
            directories.remove(restarted);
        }
    }

    @Test
    void mappingLearnedFromAnActivityIsUsedHereAndByAnotherInstanceWithoutAnyLookup() throws Exception {
        TeamDirectory ingress = directory(Map.of());
        TeamDirectory replies = directory(Map.of());
        String team = newTeamId();
        String group = UUID.randomUUID().toString();

        ingress.seen(channelMessage(team, group), null);

        assertThat(ingress.resolve(team, serviceUrl(), TENANT).aadGroupId()).isEqualTo(group);
        await().atMost(Duration.ofSeconds(30)).until(() -> replies.get(team).isPresent());
        assertThat(replies.resolve(team, serviceUrl(), TENANT).aadGroupId()).isEqualTo(group);
        assertThat(awaitEntry(team).source()).isEqualTo(TeamDirectoryEntry.Source.ACTIVITY);
        assertThat(bot.getAllServeEvents()).isEmpty();
    }

    @Test
    void registrationsMappingIsLearnedButNeverReplacesOneAnActivityGave() throws Exception {
        TeamDirectory directory = directory(Map.of());
        String fromRegistration = newTeamId();
        String group = UUID.randomUUID().toString();
        directory.seen(channelMessage(fromRegistration, group), group);
        assertThat(directory.get(fromRegistration)).map(TeamDirectoryEntry::source)
                .contains(TeamDirectoryEntry.Source.REGISTRATION);

        String team = newTeamId();
        String fromActivity = UUID.randomUUID().toString();
        directory.seen(channelMessage(team, fromActivity), null);
        String misconfigured = UUID.randomUUID().toString();
        directory.seen(channelMessage(team, misconfigured), misconfigured);
        assertThat(directory.resolve(team, serviceUrl(), TENANT).aadGroupId()).isEqualTo(fromActivity);
    }

    @Test
    void serviceUrlOutsideTheAllowListGetsNoTokenAndNoRequest() throws Exception {
        TeamDirectory directory = directory(Map.of());
        String team = newTeamId();
        stubTeam(team, UUID.randomUUID().toString(), "x");
        for (String serviceUrl : List.of("https://attacker.example/", "http://127.0.0.1:" + bot.port() + "/../v3/",
                "http://user@127.0.0.1:" + bot.port() + "/", "http://127.0.0.1:" + bot.httpsPort() + "/",
                "https://127.0.0.1:" + bot.port() + "/")) {
            TeamDirectory.Resolution resolution = directory.resolve(team, serviceUrl, TENANT);
            assertThat(resolution.resolved()).isFalse();
            assertThat(resolution.detail()).contains(team, "not under " + TeamsBotConfig.SERVICE_URLS,
                    "no bot token is sent there");
        }
        assertThat(bot.getAllServeEvents()).isEmpty();
    }

    @Test
    void defaultAllowListAcceptsBotFrameworkServiceUrlsOnly() {
        List<String> defaults = TeamsBotConfig.DEFAULT_SERVICE_URLS;
        assertThat(BotFrameworkTeams.allowed("https://smba.trafficmanager.net/emea/", defaults)).isTrue();
        assertThat(BotFrameworkTeams.allowed("https://smba.trafficmanager.net/amer", defaults)).isTrue();
        assertThat(BotFrameworkTeams.allowed("https://SMBA.infra.gov.teams.microsoft.us/", defaults)).isTrue();
        assertThat(BotFrameworkTeams.allowed("https://smba.trafficmanager.net.attacker.example/", defaults)).isFalse();
        assertThat(BotFrameworkTeams.allowed("http://smba.trafficmanager.net/emea/", defaults)).isFalse();
        assertThat(BotFrameworkTeams.allowed("https://smba.trafficmanager.net:8443/emea/", defaults)).isFalse();
        assertThat(BotFrameworkTeams.allowed("https://x@smba.trafficmanager.net/emea/", defaults)).isFalse();
        assertThat(BotFrameworkTeams.allowed("https://smba.trafficmanager.net/emea/?u=https://a.example", defaults))
                .isFalse();
        assertThat(BotFrameworkTeams.allowed(null, defaults)).isFalse();
    }

    @Test
    void teamTheBotFrameworkDoesNotKnowIsNotLookedUpAgainUntilItsFailureExpires() throws Exception {
        TeamDirectory directory = directory(Map.of(TeamsBotConfig.NEGATIVE_TTL_MS, "60000"));
        String team = newTeamId();
        bot.stubFor(get(urlPathEqualTo(teamsPath(team))).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"code\":\"NotFound\",\"message\":\"Team not found\"}}")));

        TeamDirectory.Resolution first = directory.resolve(team, serviceUrl(), TENANT);
        assertThat(first.resolved()).isFalse();
        assertThat(first.detail()).contains(team, "/v3/teams/", "answered 404")
                .doesNotContain(BOT_TOKEN, BOT_SECRET);
        for (int i = 0; i < 10; i++) {
            assertThat(directory.resolve(team, serviceUrl(), TENANT).detail()).contains("not looked up again before");
        }
        bot.verify(1, getRequestedFor(urlPathEqualTo(teamsPath(team))));

        now.set(now.get().plusSeconds(61));
        directory.resolve(team, serviceUrl(), TENANT);
        bot.verify(2, getRequestedFor(urlPathEqualTo(teamsPath(team))));
    }

    @Test
    void throttledLookupIsRetriedAndResolves() throws Exception {
        String team = newTeamId();
        String group = UUID.randomUUID().toString();
        bot.stubFor(get(urlPathEqualTo(teamsPath(team))).inScenario("throttle").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "0")).willSetStateTo("once"));
        bot.stubFor(get(urlPathEqualTo(teamsPath(team))).inScenario("throttle").whenScenarioStateIs("once")
                .willReturn(aResponse().withStatus(503)).willSetStateTo("twice"));
        bot.stubFor(get(urlPathEqualTo(teamsPath(team))).inScenario("throttle").whenScenarioStateIs("twice")
                .willReturn(team(team, group, "Ops")));
        TeamDirectory directory = directory(Map.of());

        assertThat(directory.resolve(team, serviceUrl(), TENANT).aadGroupId()).isEqualTo(group);
        bot.verify(3, getRequestedFor(urlPathEqualTo(teamsPath(team))));
    }

    @Test
    void entryOfAnotherTenantIsNotUsed() throws Exception {
        TeamDirectory directory = directory(Map.of());
        String team = newTeamId();
        directory.learn(team, TENANT, UUID.randomUUID().toString(), null, TeamDirectoryEntry.Source.ACTIVITY);

        TeamDirectory.Resolution resolution = directory.resolve(team, serviceUrl(),
                "11111111-0000-4000-8000-00000000bbbb");
        assertThat(resolution.resolved()).isFalse();
        assertThat(resolution.detail()).contains("for tenant " + TENANT);
        assertThat(bot.getAllServeEvents()).isEmpty();
    }

    @Test
    void withoutABotAppIdNothingIsLookedUp() throws Exception {
        Map<String, String> noBot = new HashMap<>();
        noBot.put(TeamsBotConfig.APP_ID, "");
        TeamDirectory directory = directory(noBot);
        TeamDirectory.Resolution resolution = directory.resolve(newTeamId(), serviceUrl(), TENANT);
        assertThat(resolution.resolved()).isFalse();
        assertThat(resolution.detail()).contains(TeamsBotConfig.APP_ID + " is not set");
        assertThat(bot.getAllServeEvents()).isEmpty();
    }

    @Test
    void directoryNeverLetsATenantReplaceAnotherTenantsTeam() throws Exception {
        String other = "11111111-0000-4000-8000-00000000bbbb";
        TeamDirectory ingress = directory(Map.of());
        TeamDirectory replies = directory(Map.of());
        String team = newTeamId();
        String owners = UUID.randomUUID().toString();
        ingress.seen(channelMessage(TENANT, team, owners), null);
        await().atMost(Duration.ofSeconds(30)).until(() -> replies.get(team).isPresent());

        // tenant B's signed activity names tenant A's team with its own group: learned nowhere
        String hijack = UUID.randomUUID().toString();
        ingress.seen(channelMessage(other, team, hijack), null);
        replies.seen(channelMessage(other, team, hijack), hijack);
        assertThat(ingress.learn(team, other, hijack, null, TeamDirectoryEntry.Source.BOT_FRAMEWORK)).isFalse();

        for (TeamDirectory directory : List.of(ingress, replies)) {
            assertThat(directory.get(team)).map(TeamDirectoryEntry::tenantId).contains(TENANT);
            assertThat(directory.resolve(team, serviceUrl(), TENANT).aadGroupId()).isEqualTo(owners);
            TeamDirectory.Resolution forOther = directory.resolve(team, serviceUrl(), other);
            assertThat(forOther.resolved()).isFalse();
            assertThat(forOther.detail()).contains("for tenant " + TENANT);
        }
        assertThat(awaitEntry(team).tenantId()).isEqualTo(TENANT);
        assertThat(bot.getAllServeEvents()).isEmpty();
    }

    @Test
    void teamsLearnedFromTrafficAreBoundedWhileLookedUpTeamsStay() throws Exception {
        TeamDirectory directory = directory(Map.of(TeamsBotConfig.MAX_LEARNED_TEAMS, "5"));
        String lookedUp = newTeamId();
        String lookedUpGroup = UUID.randomUUID().toString();
        stubTeam(lookedUp, lookedUpGroup, "Finance");
        assertThat(directory.resolve(lookedUp, serviceUrl(), TENANT).aadGroupId()).isEqualTo(lookedUpGroup);

        String first = newTeamId();
        directory.seen(channelMessage(first, UUID.randomUUID().toString()), null);
        for (int i = 0; i < 200; i++) {
            directory.seen(channelMessage(newTeamId(), UUID.randomUUID().toString()), null);
        }

        // confirmed teams other tests left on the topic are loaded and kept: only the learned part is bounded
        assertThat(directory.learnedTeams()).isLessThanOrEqualTo(5);
        assertThat(directory.get(first)).isEmpty();
        assertThat(directory.resolve(lookedUp, serviceUrl(), TENANT).aadGroupId()).isEqualTo(lookedUpGroup);
        bot.verify(1, getRequestedFor(urlPathEqualTo(teamsPath(lookedUp))));
    }

    @Test
    void lookupFailuresAreRememberedPerTenantAndBounded() throws Exception {
        TeamDirectory directory = directory(Map.of(TeamsBotConfig.NEGATIVE_TTL_MS, "60000",
                TeamsBotConfig.MAX_MISSES, "3"));
        String team = newTeamId();
        bot.stubFor(get(urlPathMatching("/v3/teams/.*")).willReturn(aResponse().withStatus(404)));

        assertThat(directory.resolve(team, serviceUrl(), TENANT).resolved()).isFalse();
        assertThat(directory.resolve(team, serviceUrl(), TENANT).detail()).contains("not looked up again before");
        // another tenant's failure is its own: tenant A's miss does not answer for it
        assertThat(directory.resolve(team, serviceUrl(), "11111111-0000-4000-8000-00000000bbbb").detail())
                .doesNotContain("not looked up again before");
        bot.verify(2, getRequestedFor(urlPathEqualTo(teamsPath(team))));

        for (int i = 0; i < 30; i++) {
            directory.resolve(newTeamId(), serviceUrl(), TENANT);
        }
        assertThat(directory.misses()).isLessThanOrEqualTo(3);
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    private TeamDirectory directory(Map<String, String> overrides) throws InterruptedException {
        Map<String, String> values = new HashMap<>(botSettings(bot));
        values.putAll(overrides);
        TeamDirectory directory = new TeamDirectory(TeamsBotConfig.from(TlaConfig.of(values)),
                new EnvSecretStore(Map.of(EnvSecretStore.variableFor("teams-bot-app-secret"), BOT_SECRET)), clients,
                new SimpleMeterRegistry(), clock, TrustingHttpClient.create());
        directories.add(directory);
        directory.start();
        assertThat(directory.awaitReady(Duration.ofSeconds(30))).isTrue();
        return directory;
    }

    /** Bot settings against {@code server}: its HTTPS port as the authority, its HTTP port as the service URL. */
    static Map<String, String> botSettings(WireMockServer server) {
        return Map.of(TeamsBotConfig.APP_ID, APP_ID,
                TeamsBotConfig.AUTHORITY_HOST, "https://localhost:" + server.httpsPort(),
                TeamsBotConfig.SERVICE_URLS, "http://127.0.0.1:" + server.port() + "/",
                TeamsBotConfig.INITIAL_BACKOFF_MS, "10");
    }

    /** The local authority: OpenID metadata, and the bot token for client credentials with the bot's scope. */
    static void stubToken(WireMockServer server, String token) {
        String authority = "https://localhost:" + server.httpsPort() + "/botframework.com";
        server.stubFor(get(urlPathMatching("/botframework.com/v2.0/.well-known/openid-configuration"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"token_endpoint\":\"" + authority + "/oauth2/v2.0/token\","
                                + "\"authorization_endpoint\":\"" + authority + "/oauth2/v2.0/authorize\","
                                + "\"issuer\":\"" + authority + "/v2.0\"}")));
        server.stubFor(post(urlPathEqualTo(TOKEN_PATH))
                .withRequestBody(containing("https%3A%2F%2Fapi.botframework.com%2F.default"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"token_type\":\"Bearer\",\"expires_in\":3600,\"ext_expires_in\":3600,"
                                + "\"access_token\":\"" + token + "\"}")));
    }

    private void stubToken() {
        stubToken(bot, BOT_TOKEN);
    }

    private void stubTeam(String team, String group, String name) {
        bot.stubFor(get(urlPathEqualTo(teamsPath(team))).withHeader("Authorization", equalTo("Bearer " + BOT_TOKEN))
                .willReturn(team(team, group, name)));
    }

    static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder team(String team, String group,
                                                                                  String name) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"id\":\"" + team + "\",\"name\":\"" + name + "\",\"aadGroupId\":\"" + group + "\"}");
    }

    /** The connector's path for a team: the thread id percent-encoded. */
    static String teamsPath(String team) {
        return "/v3/teams/" + team.replace(":", "%3A").replace("@", "%40");
    }

    static String newTeamId() {
        return "19:" + UUID.randomUUID().toString().replace("-", "") + "@thread.tacv2";
    }

    private String serviceUrl() {
        return "http://127.0.0.1:" + bot.port() + "/";
    }

    private static NormalizedMessage channelMessage(String team, String group) {
        return channelMessage(TENANT, team, group);
    }

    private static NormalizedMessage channelMessage(String tenant, String team, String group) {
        String channel = "19:" + UUID.randomUUID().toString().replace("-", "") + "@thread.tacv2";
        return new NormalizedMessage("m-" + UUID.randomUUID(), tenant, channel + ";messageid=1700000000001",
                ConversationType.CHANNEL, new Sender("29:user", "User", null), "hello", group, channel,
                "1700000000001", "https://smba.trafficmanager.net/emea/", Instant.now(), team, null, null);
    }

    /** The latest entry for {@code team} on the topic, read from the start. */
    private static TeamDirectoryEntry awaitEntry(String team) {
        AtomicReference<TeamDirectoryEntry> found = new AtomicReference<>();
        try (KafkaConsumer<String, TeamDirectoryEntry> consumer = new KafkaConsumer<>(
                clients.properties("team-directory-test-" + UUID.randomUUID()),
                Topics.TEAM_DIRECTORY.keySerde().deserializer(), Topics.TEAM_DIRECTORY.valueSerde().deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.TEAM_DIRECTORY.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, TeamDirectoryEntry> record : consumer.poll(Duration.ofMillis(200))) {
                    if (team.equals(record.key())) {
                        found.set(record.value());
                    }
                }
                return found.get() != null;
            });
        }
        return found.get();
    }
}
