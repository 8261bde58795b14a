package io.tla.dashboard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.tla.dashboard.store.DashboardStore;
import io.tla.dashboard.store.DayTotals;
import io.tla.dashboard.store.Delivery;
import io.tla.dashboard.store.Latency;
import io.tla.dashboard.store.MetricsPoint;
import io.tla.dashboard.store.MetricsSeries;
import io.tla.dashboard.store.QualityReport;
import io.tla.dashboard.store.QualityStats;
import io.tla.dashboard.store.StatusSnapshot;
import io.tla.dashboard.store.TenantTotals;
import io.tla.platform.http.Health;
import io.tla.schemas.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's HTTP surface: {@code GET /api/status}, {@code /api/metrics}, {@code /api/tenants},
 * {@code /api/replies/failed}, {@code /api/quality}, {@code /api/readiness}, {@code /api/stream} (Server-Sent Events) and the page under
 * {@code /dashboard/}. Field names are a contract (see API.md): camelCase, stable, null written as null.
 */
public final class DashboardApi implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DashboardApi.class);

    /** Json.mapper() omits nulls; the API writes them so every documented field is always present. */
    private static final ObjectMapper JSON = Json.mapper().copy().setDefaultPropertyInclusion(JsonInclude.Include.ALWAYS);

    private static final String WEB = "/io/tla/dashboard/web/";
    /** The page loads only its own script and style and talks only to this server. */
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final Supplier<DashboardStore> store;
    private final Clock clock;
    private final BooleanSupplier feedReady;
    private final LongSupplier eventsStored;
    private final Supplier<Long> lagRecords;
    private final Health health;
    private final TenantsQuery tenants;
    private final Readiness readiness;
    private final EventStream stream;
    /** Heavy /api/metrics queries at once; more are refused (429) rather than queued on the store's few connections. */
    private volatile java.util.concurrent.Semaphore metricsPermits =
            new java.util.concurrent.Semaphore(io.tla.platform.config.DashboardConfig.DEFAULT_METRICS_MAX_IN_FLIGHT);
    private final byte[] page = resource("index.html");
    private final byte[] script = resource("dashboard.js");
    private final byte[] style = resource("dashboard.css");

    /**
     * @param store        the store, or null while it is not open (the API then answers 503)
     * @param clock        decides which UTC day is "today"
     * @param feedReady    the feed's readiness
     * @param eventsStored events the feed has stored since it started
     * @param lagRecords   records of the telemetry topic not yet read, or null when not known
     * @param health       the process's health checks, shown as {@code pipeline} in {@code /api/status}
     * @param tenants      the {@code /api/tenants} query, with the budget limits
     * @param readiness    the {@code /api/readiness} checklist
     */
    public DashboardApi(Supplier<DashboardStore> store, Clock clock, BooleanSupplier feedReady, LongSupplier eventsStored,
                        Supplier<Long> lagRecords, Health health, TenantsQuery tenants, Readiness readiness) {
        this.store = store;
        this.clock = clock;
        this.feedReady = feedReady;
        this.eventsStored = eventsStored;
        this.lagRecords = lagRecords;
        this.health = health;
        this.tenants = tenants;
        this.readiness = readiness;
        this.stream = new EventStream(eventsStored, this::lastEventAt, EventStream.MAX_CLIENTS, EventStream.TICK,
                EventStream.HEARTBEAT);
    }

    /** How many /api/metrics queries may run at once ({@code dashboard.api.metrics-max-in-flight}). */
    public DashboardApi metricsMaxInFlight(int max) {
        this.metricsPermits = new java.util.concurrent.Semaphore(max);
        return this;
    }

    public void routes(Javalin app) {
        app.get("/api/status", this::status);
        app.get("/api/metrics", this::metrics);
        app.get("/api/tenants", this::tenants);
        app.get("/api/replies/failed", this::failedReplies);
        app.get("/api/quality", this::quality);
        app.get("/api/readiness", this::readiness);
        // Javalin's SSE handler behind a guard that answers 400 or 503 before the stream opens.
        app.get("/api/stream", stream::handle);
        // Both spellings, whether or not the server ignores trailing slashes; the handler tells them apart.
        app.get("/dashboard", this::page);
        app.get("/dashboard/", this::page);
        app.get("/dashboard/dashboard.js", ctx -> asset(ctx, "text/javascript; charset=utf-8", script));
        app.get("/dashboard/dashboard.css", ctx -> asset(ctx, "text/css; charset=utf-8", style));
        // Chart.js from its webjar, read once: the page's charts need no CDN.
        byte[] chartJs = VendorAssets.chartJs();
        app.get("/dashboard/vendor/chart.umd.js", ctx -> asset(ctx, "text/javascript; charset=utf-8", chartJs));
    }

    private void status(Context ctx) {
        DashboardStore current = store.get();
        if (current == null) {
            unavailable(ctx, "the dashboard store is not open yet");
            return;
        }
        StatusSnapshot snapshot;
        try {
            snapshot = current.status(LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC));
        } catch (SQLException | RuntimeException e) {
            storeFailed(ctx, "status", e);
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "ok");
        body.put("store", current.kind().label());
        body.put("lastEventAt", iso(snapshot.lastEventAt()));
        body.put("today", today(snapshot));
        body.put("delivery", delivery(snapshot.today().delivery()));
        body.put("tenants", snapshot.tenants().stream().map(DashboardApi::tenant).toList());
        Map<String, Object> feed = new LinkedHashMap<>();
        feed.put("ready", feedReady.getAsBoolean());
        feed.put("eventsStored", eventsStored.getAsLong());
        feed.put("lagRecords", lagRecords.get());
        body.put("feed", feed);
        body.put("pipeline", pipeline());
        json(ctx, HttpStatus.OK, body);
    }

    private Map<String, Object> pipeline() {
        Map<String, Health.Check> checks = health.evaluate();
        Map<String, Object> components = new LinkedHashMap<>();
        checks.forEach((name, check) -> {
            Map<String, Object> component = new LinkedHashMap<>();
            component.put("ready", check.ready());
            component.put("detail", check.detail());
            components.put(name, component);
        });
        Map<String, Object> pipeline = new LinkedHashMap<>();
        // As /health/ready: a process with no check registered is not ready.
        pipeline.put("ready", !checks.isEmpty() && checks.values().stream().allMatch(Health.Check::ready));
        pipeline.put("components", components);
        return pipeline;
    }

    private void tenants(Context ctx) {
        DashboardStore current = store.get();
        if (current == null) {
            unavailable(ctx, "the dashboard store is not open yet");
            return;
        }
        LocalDate date = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        List<TenantsQuery.TenantUse> rows;
        try {
            rows = tenants.run(current.reader(), date);
        } catch (SQLException | RuntimeException e) {
            storeFailed(ctx, "tenants", e);
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("date", date.toString());
        body.put("tenants", rows.stream().map(TenantsQuery::json).toList());
        json(ctx, HttpStatus.OK, body);
    }

    private void failedReplies(Context ctx) {
        int limit = FailedRepliesQuery.DEFAULT_LIMIT;
        String raw = ctx.queryParam("limit");
        if (raw != null) {
            try {
                limit = Integer.parseInt(raw.trim());
            } catch (NumberFormatException e) {
                badRequest(ctx, "limit must be a whole number from 1 to " + FailedRepliesQuery.MAX_LIMIT);
                return;
            }
            if (limit < 1 || limit > FailedRepliesQuery.MAX_LIMIT) {
                badRequest(ctx, "limit must be a whole number from 1 to " + FailedRepliesQuery.MAX_LIMIT);
                return;
            }
        }
        DashboardStore current = store.get();
        if (current == null) {
            unavailable(ctx, "the dashboard store is not open yet");
            return;
        }
        List<FailedRepliesQuery.FailedReply> rows;
        try {
            rows = FailedRepliesQuery.run(current.reader(), limit);
        } catch (SQLException | RuntimeException e) {
            storeFailed(ctx, "replies_failed", e);
            return;
        }
        json(ctx, HttpStatus.OK, Map.of("replies", rows.stream().map(FailedRepliesQuery::json).toList()));
    }

    private void quality(Context ctx) {
        QualityQuery query;
        try {
            query = QualityQuery.parse(ctx.queryParam("range"), ctx.queryParam("tenant"));
        } catch (MetricsQuery.InvalidQuery e) {
            badRequest(ctx, e.getMessage());
            return;
        }
        DashboardStore current = store.get();
        if (current == null) {
            unavailable(ctx, "the dashboard store is not open yet");
            return;
        }
        QualityReport report;
        try {
            report = current.quality(clock.instant(), query.duration(), query.tenant());
        } catch (SQLException | RuntimeException e) {
            storeFailed(ctx, "quality", e);
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("range", query.range());
        body.put("from", iso(report.from()));
        body.put("to", iso(report.to()));
        body.put("tenant", report.tenant());
        body.put("passRateWarningBelow", QUALITY_PASS_RATE_WARNING);
        body.put("models", report.models().stream().map(DashboardApi::quality).toList());
        body.put("truncated", report.truncated());
        Map<String, Object> totals = quality(report.totals());
        totals.remove("provider");
        totals.remove("model");
        body.put("totals", totals);
        json(ctx, HttpStatus.OK, body);
    }

    /** The pass rate under which the page marks a provider and model. */
    static final double QUALITY_PASS_RATE_WARNING = 0.9;

    private static Map<String, Object> quality(QualityStats q) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("provider", q.provider());
        row.put("model", q.model());
        row.put("answers", q.answers());
        row.put("passed", q.passed());
        row.put("passRate", q.passRate());
        Map<String, Object> problems = new LinkedHashMap<>();
        problems.put("wrongLanguage", q.wrongLanguage());
        problems.put("unchanged", q.unchanged());
        problems.put("glossaryMiss", q.glossaryMiss());
        problems.put("malformed", q.malformed());
        row.put("problems", problems);
        Map<String, Object> problemRates = new LinkedHashMap<>();
        problems.forEach((name, count) -> problemRates.put(name, q.rate((Long) count)));
        row.put("problemRates", problemRates);
        Map<String, Object> actions = new LinkedHashMap<>();
        actions.put("retried", q.retried());
        actions.put("fellBack", q.fellBack());
        actions.put("keptUnverified", q.keptUnverified());
        row.put("actions", actions);
        Map<String, Object> actionRates = new LinkedHashMap<>();
        actions.forEach((name, count) -> actionRates.put(name, q.rate((Long) count)));
        row.put("actionRates", actionRates);
        Map<String, Object> finalAnswers = new LinkedHashMap<>();
        finalAnswers.put("verified", q.verified());
        finalAnswers.put("unverified", q.unverified());
        finalAnswers.put("notChecked", q.notChecked());
        row.put("finalAnswers", finalAnswers);
        return row;
    }

    private void readiness(Context ctx) {
        // Needs no store: the checklist is about configuration, secrets and the smoke file.
        json(ctx, HttpStatus.OK, Readiness.json(readiness.check()));
    }

    /** The newest event's time, for the stream; null while the store is not open. */
    private Instant lastEventAt() {
        DashboardStore current = store.get();
        if (current == null) {
            return null;
        }
        try (Connection connection = current.reader().getConnection();
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT MAX(at_ms) FROM telemetry_event")) {
            rs.next();
            long max = rs.getLong(1);
            return rs.wasNull() ? null : Instant.ofEpochMilli(max);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the newest event's time: " + e.getMessage(), e);
        }
    }

    /** Ends the open event streams. */
    @Override
    public void close() {
        stream.close();
    }

    private static Map<String, Object> today(StatusSnapshot snapshot) {
        DayTotals t = snapshot.today();
        Map<String, Object> today = new LinkedHashMap<>();
        today.put("date", snapshot.date().toString());
        today.put("messages", t.messages());
        today.put("replies", t.replies());
        today.put("repliesPosted", t.repliesPosted());
        today.put("modelCalls", t.modelCalls());
        today.put("budgetRefusals", t.budgetRefusals());
        today.put("failures", t.failures());
        today.put("costUsd", t.costUsd());
        today.put("latencyMs", latency(t.latencyMs()));
        today.put("fallbacks", t.fallbacks());
        today.put("repliesFailed", t.repliesFailed());
        today.put("budgetAlerts", t.budgetAlerts());
        return today;
    }

    /** How today's posted replies were delivered, per path, and the share answered inside Teams' window. */
    private static Map<String, Object> delivery(Delivery d) {
        Map<String, Object> delivery = new LinkedHashMap<>();
        delivery.put("webhookResponse", d.webhookResponse());
        delivery.put("outbox", d.outbox());
        delivery.put("graph", d.graph());
        Map<String, Object> syncReply = new LinkedHashMap<>();
        syncReply.put("answered", d.syncAnswered());
        syncReply.put("missed", d.syncMissed());
        syncReply.put("answeredShare", d.answeredShare());
        delivery.put("syncReply", syncReply);
        return delivery;
    }

    private static Map<String, Object> tenant(TenantTotals t) {
        Map<String, Object> tenant = new LinkedHashMap<>();
        tenant.put("tenantId", t.tenantId());
        tenant.put("messages", t.messages());
        tenant.put("replies", t.replies());
        tenant.put("costUsd", t.costUsd());
        return tenant;
    }

    private void metrics(Context ctx) {
        MetricsQuery query;
        try {
            query = MetricsQuery.parse(ctx.queryParam("from"), ctx.queryParam("to"), ctx.queryParam("tenant"), clock);
        } catch (MetricsQuery.InvalidQuery e) {
            json(ctx, HttpStatus.BAD_REQUEST, Map.of("error", "bad request", "reason", e.getMessage()));
            return;
        }
        java.util.concurrent.Semaphore permits = metricsPermits;
        if (!permits.tryAcquire()) {
            log.warn("event=metrics_query_refused reason=too-many-in-flight");
            ctx.header("Retry-After", "1");
            json(ctx, HttpStatus.TOO_MANY_REQUESTS, Map.of("error", "too many requests",
                    "reason", "too many /api/metrics queries in flight; retry after 1 s"));
            return;
        }
        MetricsSeries series;
        try {
            DashboardStore current = store.get();
            if (current == null) {
                unavailable(ctx, "the dashboard store is not open yet");
                return;
            }
            series = current.metrics(query.from(), query.to(), query.tenant());
        } catch (SQLException | RuntimeException e) {
            storeFailed(ctx, "metrics", e);
            return;
        } finally {
            permits.release();
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("from", iso(series.from()));
        body.put("to", iso(series.to()));
        body.put("tenant", series.tenant());
        body.put("bucketSeconds", DashboardStore.bucketMillis(series.from(), series.to()) / 1000);
        body.put("series", series.series().stream().map(DashboardApi::point).toList());
        body.put("totals", point(series.totals()));
        body.put("byProvider", series.byProvider().stream().map(p -> {
            Map<String, Object> provider = new LinkedHashMap<>();
            provider.put("provider", p.provider());
            provider.put("series", p.series().stream().map(DashboardApi::point).toList());
            return provider;
        }).toList());
        body.put("byTenant", series.byTenant().stream().map(t -> {
            Map<String, Object> tenant = new LinkedHashMap<>();
            tenant.put("tenantId", t.tenantId());
            tenant.put("series", t.series().stream().map(DashboardApi::point).toList());
            return tenant;
        }).toList());
        json(ctx, HttpStatus.OK, body);
    }

    private static Map<String, Object> point(MetricsPoint p) {
        Map<String, Object> point = new LinkedHashMap<>();
        if (p.minute() != null) {
            point.put("minute", iso(p.minute()));
        }
        point.put("messages", p.messages());
        point.put("replies", p.replies());
        point.put("repliesPosted", p.repliesPosted());
        point.put("modelCalls", p.modelCalls());
        point.put("failures", p.failures());
        point.put("fallbacks", p.fallbacks());
        point.put("inputTokens", p.inputTokens());
        point.put("outputTokens", p.outputTokens());
        point.put("costUsd", p.costUsd());
        point.put("latencyMs", latency(p.latencyMs()));
        point.put("answeredInWebhook", p.answeredInWebhook());
        point.put("postedLater", p.postedLater());
        return point;
    }

    private static Map<String, Object> point(MetricsSeries.ProviderPoint p) {
        Map<String, Object> point = new LinkedHashMap<>();
        point.put("minute", iso(p.minute()));
        point.put("modelCalls", p.modelCalls());
        point.put("replies", p.replies());
        point.put("fallbacks", p.fallbacks());
        point.put("costUsd", p.costUsd());
        point.put("latencyMs", latency(p.latencyMs()));
        return point;
    }

    private static Map<String, Object> point(MetricsSeries.TenantPoint p) {
        Map<String, Object> point = new LinkedHashMap<>();
        point.put("minute", iso(p.minute()));
        point.put("messages", p.messages());
        point.put("replies", p.replies());
        point.put("costUsd", p.costUsd());
        return point;
    }

    private static Map<String, Object> latency(Latency latency) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("p50", latency.p50());
        map.put("p95", latency.p95());
        map.put("p99", latency.p99());
        return map;
    }

    private void page(Context ctx) {
        if (!ctx.path().endsWith("/")) {
            // The page's links are relative to /dashboard/.
            ctx.redirect("/dashboard/", HttpStatus.MOVED_PERMANENTLY);
            return;
        }
        asset(ctx, "text/html; charset=utf-8", page);
    }

    private static void asset(Context ctx, String contentType, byte[] content) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(contentType).result(content);
    }

    static void badRequest(Context ctx, String reason) {
        json(ctx, HttpStatus.BAD_REQUEST, Map.of("error", "bad request", "reason", reason));
    }

    static void unavailable(Context ctx, String reason) {
        json(ctx, HttpStatus.SERVICE_UNAVAILABLE, Map.of("status", "unavailable", "reason", reason));
    }

    private static void storeFailed(Context ctx, String what, Exception e) {
        log.warn("event=dashboard_query_failed query={} error={}", what, e.getClass().getName(), e);
        unavailable(ctx, "the dashboard store did not answer");
    }

    private static void json(Context ctx, HttpStatus status, Object body) {
        try {
            ctx.status(status)
                    .header("Cache-Control", "no-store")
                    .contentType("application/json")
                    .result(JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the response as JSON", e);
        }
    }

    private static String iso(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static byte[] resource(String name) {
        try (InputStream in = DashboardApi.class.getResourceAsStream(WEB + name)) {
            if (in == null) {
                throw new IllegalStateException("dashboard resource missing from the classpath: " + WEB + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read dashboard resource " + WEB + name, e);
        }
    }
}
