package io.tla.dashboard;

import io.javalin.Javalin;
import io.tla.dashboard.api.DashboardApi;
import io.tla.dashboard.api.Readiness;
import io.tla.dashboard.api.TenantsQuery;
import io.tla.dashboard.feed.TelemetryConsumer;
import io.tla.dashboard.store.DashboardStore;
import io.tla.dashboard.store.JdbcUrls;
import io.tla.platform.config.BudgetConfig;
import io.tla.platform.config.DashboardConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.http.Health;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.SecretStore;
import io.tla.schemas.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard role: consumes {@code tla.telemetry.v1} into the dashboard store (SQLite or PostgreSQL) and
 * serves the dashboard API ({@code /api/status}, {@code /api/metrics}, {@code /api/tenants},
 * {@code /api/replies/failed}, {@code /api/quality}, {@code /api/readiness}, {@code /api/stream}; see docs/api.md) and the page at
 * {@code /dashboard/}.
 *
 * <pre>{@code
 * DashboardFeed feed = new DashboardFeed(config, secretStore, clients, metrics, health, clock);
 * httpServer.routes(feed::routes);   // before httpServer.start()
 * feed.start();                      // migrates the store, starts the consumer thread
 * ...
 * feed.close();
 * }</pre>
 *
 * Readiness is reported as the health check {@value #HEALTH_CHECK}: ready once the store is migrated and the
 * consumer has joined its group.
 */
public final class DashboardFeed implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DashboardFeed.class);

    public static final String HEALTH_CHECK = "dashboard";
    /** How often rows past their retention are purged (also once at start). */
    public static final Duration PURGE_INTERVAL = Duration.ofHours(1);

    private final DashboardConfig config;
    private final KafkaClients clients;
    private final TlaMetrics metrics;
    private final Clock clock;
    private final DashboardApi api;

    private volatile DashboardStore store;
    private volatile TelemetryConsumer consumer;
    private volatile ScheduledExecutorService retention;
    private boolean started;
    private boolean closed;

    /**
     * @param config  the process's configuration: the store ({@code dashboard.*}), the budget limits shown by
     *                {@code /api/tenants}, and what {@code /api/readiness} checks (secrets, reply sink, Graph
     *                auth mode, {@code data.dir} with the smoke file)
     * @param secrets the process's secret store, asked for each configured secret's status (never its value)
     * @param health  the process's health checks: the feed registers its own, {@code /api/status} shows them all
     */
    public DashboardFeed(TlaConfig config, SecretStore secrets, KafkaClients clients, TlaMetrics metrics, Health health,
                         Clock clock) {
        this.config = DashboardConfig.from(Objects.requireNonNull(config, "config"));
        this.clients = Objects.requireNonNull(clients, "clients");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.api = new DashboardApi(() -> store, clock, () -> check().ready(), this::eventsStored, this::lagRecords,
                health, new TenantsQuery(BudgetConfig.from(config)),
                new Readiness(config, Objects.requireNonNull(secrets, "secrets"), clock))
                .metricsMaxInFlight(this.config.metricsMaxInFlight());
        health.register(HEALTH_CHECK, this::check);
    }

    /** Adds the {@code /api/*} routes and {@code /dashboard/}; call before the server starts. */
    public void routes(Javalin app) {
        api.routes(app);
    }

    /**
     * Opens and migrates the store, then starts consuming. Throws with the cause (and the store URL without
     * credentials) when the store cannot be opened or migrated.
     */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("the dashboard feed is already started");
        }
        if (closed) {
            throw new IllegalStateException("the dashboard feed is closed");
        }
        DashboardStore opened = DashboardStore.open(config.storeUrl(), clock);
        try {
            opened.migrate();
        } catch (RuntimeException e) {
            opened.close();
            throw new IllegalStateException("cannot migrate the dashboard store "
                    + JdbcUrls.redact(config.storeUrl()) + ": " + e.getMessage(), e);
        }
        started = true;
        store = opened;
        TelemetryConsumer created = new TelemetryConsumer(Topics.TELEMETRY.name(), config.consumerGroup(), clients,
                opened, metrics.registry());
        consumer = created;
        created.start();
        startRetention(opened);
        log.info("event=dashboard_feed_started store={} url={} topic={} group={}", opened.kind().label(),
                opened.safeUrl(), Topics.TELEMETRY.name(), config.consumerGroup());
    }

    /**
     * Purges rows past their retention once now and then every {@link #PURGE_INTERVAL}, on a thread of its own;
     * a failed purge is logged and tried again at the next turn.
     */
    private void startRetention(DashboardStore opened) {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "tla-dashboard-retention");
            thread.setDaemon(true);
            return thread;
        });
        retention = scheduler;
        scheduler.scheduleWithFixedDelay(() -> purge(opened), 0, PURGE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void purge(DashboardStore opened) {
        try {
            Map<String, Long> deleted = opened.purge(Duration.ofDays(config.rawRetentionDays()),
                    Duration.ofDays(config.auditRetentionDays()), Duration.ofDays(config.rollupRetentionDays()));
            log.info("event=dashboard_retention_purged raw_days={} audit_days={} rollup_days={} deleted={}",
                    config.rawRetentionDays(), config.auditRetentionDays(), config.rollupRetentionDays(), deleted);
        } catch (Exception e) {
            log.warn("event=dashboard_retention_failed error={} reason={}", e.getClass().getName(), e.getMessage());
        }
    }

    /** The readiness of the feed, as {@code /health/ready} shows it under {@value #HEALTH_CHECK}. */
    public Health.Check check() {
        TelemetryConsumer current = consumer;
        if (store == null || current == null) {
            return Health.Check.notReady("not started");
        }
        if (current.fatalError() != null) {
            return Health.Check.notReady("consumer stopped: " + current.fatalError());
        }
        if (!current.running()) {
            return Health.Check.notReady("consumer stopped");
        }
        if (!current.joined()) {
            return Health.Check.notReady("joining consumer group " + config.consumerGroup());
        }
        if (current.storeError() != null) {
            // Still ready: the pipeline answers messages without the dashboard, and no telemetry is lost.
            return Health.Check.ready("store writes failing, retrying (telemetry stays on the topic)");
        }
        return Health.Check.ready("consuming " + Topics.TELEMETRY.name() + " into " + store.kind().label());
    }

    /** Events this instance has newly stored since it started. */
    public long eventsStored() {
        TelemetryConsumer current = consumer;
        return current == null ? 0 : current.eventsStored();
    }

    /** Records of the telemetry topic not yet read by this instance, or null when not known (not started, no fetch yet). */
    public Long lagRecords() {
        TelemetryConsumer current = consumer;
        return current == null ? null : current.lagRecords();
    }

    /** Ends the event streams, stops consuming (after committing the batch in hand) and closes the store. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        api.close();
        ScheduledExecutorService purging = retention;
        if (purging != null) {
            purging.shutdownNow();
            try {
                purging.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        TelemetryConsumer current = consumer;
        if (current != null) {
            current.close();
        }
        DashboardStore opened = store;
        store = null;
        if (opened != null) {
            opened.close();
        }
    }
}
