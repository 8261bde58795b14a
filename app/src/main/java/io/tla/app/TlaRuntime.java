package io.tla.app;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.connectors.ingress.TeamsIngress;
import io.tla.connectors.ingress.WebhookKeys;
import io.tla.connectors.graph.GraphAuth;
import io.tla.connectors.graph.GraphReplySink;
import io.tla.connectors.outbox.OutboxReplySink;
import io.tla.connectors.replies.ReplySink;
import io.tla.connectors.teams.TeamDirectory;
import io.tla.dashboard.DashboardFeed;
import io.tla.platform.config.BudgetConfig;
import io.tla.platform.config.ComplianceConfig;
import io.tla.platform.config.DashboardConfig;
import io.tla.platform.config.DataConfig;
import io.tla.platform.config.GraphConfig;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.KafkaSettings;
import io.tla.platform.config.ManagementConfig;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.QualityConfig;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.config.SecretsConfig;
import io.tla.platform.config.StreamsSettings;
import io.tla.platform.config.SyncReplyConfig;
import io.tla.platform.config.TeamsBotConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.TranslationConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.http.Health;
import io.tla.platform.http.HttpServer;
import io.tla.platform.http.ManagementAuth;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.ConfiguredSecrets;
import io.tla.platform.secrets.FileSecretStore;
import io.tla.platform.secrets.Secret;
import io.tla.platform.secrets.SecretExpiryGauges;
import io.tla.platform.secrets.SecretLookup;
import io.tla.platform.secrets.SecretStore;
import io.tla.platform.secrets.SecretStores;
import io.tla.schemas.Topics;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationStreamsApp;
import io.tla.topology.TranslationTopology;
import io.tla.topology.language.LanguageDetection;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ModelProviders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tla process: starts the embedded broker when no external cluster is configured, creates the contract's
 * topics, then the named roles and the two HTTP listeners (webhook and management); closes everything in reverse
 * order.
 */
public final class TlaRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TlaRuntime.class);

    /** What the banner and the tests need to know about a started runtime. */
    public record Started(String bootstrapServers, boolean embeddedBroker, int httpPort, int managementPort,
                          String managementHost, String managementAuth, Set<Role> roles,
                          Optional<SecretStores.ResolvedKey> webhookKey, long startMillis, java.nio.file.Path dataDir) {
    }

    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
    private Started started;
    private TranslationStreamsApp streamsApp;

    /** Starts the roles. On failure everything already started is closed before the exception propagates. */
    public Started start(TlaConfig config, Set<Role> roles, Map<String, String> env) {
        long begin = System.nanoTime();
        try {
            started = doStart(config, roles, env, begin);
            return started;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private Started doStart(TlaConfig config, Set<Role> roles, Map<String, String> env, long begin) {
        config.warnings().forEach(warning -> log.warn("event=config_warning {}", warning));
        // Parse every concern up front: an invalid value stops the start with a message naming the key.
        HttpConfig http = HttpConfig.from(config);
        ManagementConfig management = ManagementConfig.from(config);
        DataConfig data = DataConfig.from(config);
        KafkaSettings kafka = KafkaSettings.from(config);
        StreamsSettings streamsSettings = StreamsSettings.from(config);
        SecretsConfig.from(config);
        WebhookConfig webhook = WebhookConfig.from(config);
        ModelConfig model = ModelConfig.from(config);
        TranslationConfig.from(config);
        BudgetConfig.from(config);
        ReplyConfig reply = ReplyConfig.from(config);
        GraphConfig graph = GraphConfig.from(config);
        TeamsBotConfig bot = TeamsBotConfig.from(config);
        DashboardConfig.from(config);
        if (roles.contains(Role.TOPOLOGY)) {
            // The language models take seconds to load: load them while the broker and the other roles start.
            LanguageDetection.warmUpInBackground();
        }
        try {
            Files.createDirectories(data.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data.dir " + data.dataDir(), e);
        }

        String bootstrap;
        if (kafka.embedded()) {
            EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(data.kafkaLogDir(), kafka.embeddedPort(),
                    kafka.embeddedControllerPort());
            closeables.push(broker);
            broker.start();
            bootstrap = broker.bootstrapServers();
        } else {
            bootstrap = kafka.bootstrapServers().orElseThrow();
        }
        SecretStore secretStore = SecretStores.create(config, env);
        KafkaClients clients;
        if (kafka.embedded()) {
            if (kafka.auth().enabled()) {
                log.warn("event=kafka_auth_ignored reason=embedded_broker mode={}", kafka.auth().mode());
            }
            clients = KafkaClients.of(kafka, bootstrap);
        } else {
            clients = KafkaClients.of(kafka, bootstrap, secretStore);
        }
        TopicAdmin.ensureTopics(clients, Topics.REQUIRED, kafka.partitions(), kafka.replicationFactor(), Duration.ofSeconds(30));

        TlaMetrics metrics = new TlaMetrics();
        closeables.push(metrics);
        Health health = new Health();
        BrokerHealth brokerHealth = new BrokerHealth(clients, Topics.REQUIRED).start(health);
        closeables.push(brokerHealth);
        Clock clock = Clock.systemUTC();
        // Two listeners: Teams reaches only the webhook one; people and Prometheus use the management one.
        HttpServer webhookServer = HttpServer.webhook(http, health);
        HttpServer managementServer = HttpServer.management(http, management,
                ManagementAuth.create(management, secretStore), metrics, health);
        Set<String> webhookSecrets = webhook.secretNames();
        SecretExpiryGauges.register(metrics.registry(),
                gaugeStore(secretStore, new FileSecretStore(data.secretsDir()), webhookSecrets),
                ConfiguredSecrets.names(config), clock);

        ModelProvider models = null;
        if (roles.contains(Role.TOPOLOGY)) {
            models = ModelProviders.chain(model, secretStore, metrics.registry(), clock, ComplianceConfig.from(config),
                    QualityConfig.from(config));
            streamsApp = new TranslationStreamsApp(
                    TranslationTopology.buildTopology(TopologySettings.from(config), models, clock,
                            metrics.registry()),
                    streamsSettings, clients, data.stateDir(), metrics, health, kafka.replicationFactor());
            closeables.push(streamsApp);
            streamsApp.start();
        }
        // the ingress learns team mappings from activities; the Graph sink resolves them: one directory for both
        TeamDirectory teams = null;
        if (roles.contains(Role.INGRESS) || roles.contains(Role.REPLIES) && "graph".equals(reply.sink())) {
            teams = new TeamDirectory(bot, secretStore, clients, metrics.registry(), clock, null).start();
            closeables.push(teams);
        }
        if (roles.contains(Role.REPLIES)) {
            ReplySink sink = "graph".equals(reply.sink())
                    ? new GraphReplySink(graph, new GraphAuth(graph, secretStore, null), reply, clients, metrics, health,
                    teams)
                    : new OutboxReplySink(data.outboxDir(), reply, clients, metrics, health);
            closeables.push(sink);
            sink.start();
        }
        if (roles.contains(Role.DASHBOARD)) {
            DashboardFeed feed = new DashboardFeed(config, secretStore, clients, metrics, health, clock);
            closeables.push(feed);
            managementServer.routes(feed::routes);
            feed.start();
        }
        Optional<SecretStores.ResolvedKey> webhookKey = Optional.empty();
        WebhookKeys signingKeys = null;
        if (roles.contains(Role.INGRESS)) {
            FileSecretStore fileStore = new FileSecretStore(data.secretsDir());
            SecretStores.ResolvedKey key = SecretStores.webhookKey(secretStore, fileStore, webhook.defaultKeySecret(), true);
            webhookKey = Optional.of(key);
            // registration and previous keys by secret name, where the default key is found too
            TeamsIngress ingress = new TeamsIngress(http, webhook, key.secret(), clients, metrics, health, clock,
                    name -> secretStore.get(name).or(() -> fileStore.get(name)), SyncReplyConfig.from(config));
            signingKeys = ingress.keys();
            ingress.learnTeams(teams);
            closeables.push(ingress);
            webhookServer.routes(ingress::routes);
        }
        managementServer.routes(new Diagnostics(config, secretStore, models, signingKeys, clock)::routes);
        // Stop taking requests first on shutdown: pushed last, closed first.
        closeables.push(managementServer.start());
        closeables.push(webhookServer.start());
        return new Started(bootstrap, kafka.embedded(), webhookServer.port(), managementServer.port(),
                management.host(), management.auth(), roles, webhookKey, (System.nanoTime() - begin) / 1_000_000,
                data.dataDir());
    }

    /** Waits until the topology (when it runs here) is RUNNING. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return streamsApp == null || streamsApp.awaitRunning(timeout);
    }

    public Started started() {
        return started;
    }

    @Override
    public synchronized void close() {
        while (!closeables.isEmpty()) {
            AutoCloseable closeable = closeables.pop();
            try {
                closeable.close();
            } catch (Exception e) {
                log.warn("event=close_failed component={} error={}", closeable.getClass().getSimpleName(), e.toString());
            }
        }
    }
    /**
     * The store the secret gauges read: the configured one and, for webhook keys only, {@code data.dir/secrets} as
     * well, where the ingress also reads them (and {@code tla run} generates the default one), so a key the ingress
     * uses is not reported missing.
     */
    private static SecretStore gaugeStore(SecretStore configured, FileSecretStore files, Set<String> webhookSecrets) {
        return new SecretStore() {
            @Override
            public Optional<Secret> get(String name) {
                return configured.get(name).or(() -> webhookSecrets.contains(name) ? files.get(name) : Optional.empty());
            }

            @Override
            public SecretLookup lookup(String name) {
                SecretLookup found = configured.lookup(name);
                if (found.present() || !webhookSecrets.contains(name)) {
                    return found;
                }
                SecretLookup file = files.lookup(name);
                return file.present() ? file : found;
            }

            @Override
            public String locationOf(String name) {
                return configured.locationOf(name);
            }

            @Override
            public String kind() {
                return configured.kind();
            }
        };
    }
}
