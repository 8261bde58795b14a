package io.tla.platform.http;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.metrics.TlaMetrics;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one HTTP server of a process: roles add their routes before {@link #start()}. It serves
 * {@code /health/live}, {@code /health/ready} and {@code /metrics} itself; unexpected errors become a JSON 500
 * that names no internals.
 */
public final class HttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

    private final HttpConfig config;
    private final Javalin app;
    private final Health health;

    public HttpServer(HttpConfig config, TlaMetrics metrics, Health health) {
        this.config = config;
        this.health = health;
        this.app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.startupWatcherEnabled = false;
            cfg.http.maxRequestSize = config.maxBodyBytes();
            cfg.jetty.modifyServer(server -> server.setStopTimeout(2_000));
        });
        app.get("/health/live", ctx -> ctx.json(Map.of("status", "live")));
        app.get("/health/ready", this::ready);
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
        app.exception(Exception.class, (e, ctx) -> {
            log.error("event=http_error path={} error={}", ctx.path(), e.getClass().getName(), e);
            ctx.status(HttpStatus.INTERNAL_SERVER_ERROR).json(Map.of("error", "internal error"));
        });
    }

    private void ready(Context ctx) {
        Map<String, Health.Check> checks = health.evaluate();
        boolean ready = !checks.isEmpty() && checks.values().stream().allMatch(Health.Check::ready);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", ready ? "ready" : "not ready");
        Map<String, Object> components = new LinkedHashMap<>();
        checks.forEach((name, check) -> components.put(name, Map.of("ready", check.ready(), "detail", check.detail())));
        body.put("components", components);
        ctx.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(body);
    }

    /** Adds routes; call before {@link #start()}. */
    public HttpServer routes(Consumer<Javalin> routes) {
        routes.accept(app);
        return this;
    }

    public HttpServer start() {
        app.start(config.host(), config.port());
        log.info("event=http_started port={}", app.port());
        return this;
    }

    /** The bound port (useful when configured as 0). */
    public int port() {
        return app.port();
    }

    public Health health() {
        return health;
    }

    /**
     * Stops taking requests and waits up to 2 s for those in progress. Long-lived responses (the dashboard's event
     * streams) may still be open then: they are cut, which is not a failure of the shutdown.
     */
    @Override
    public void close() {
        try {
            app.stop();
        } catch (RuntimeException e) {
            log.warn("event=http_stop_forced detail=\"connections still open after the stop timeout were closed\""
                    + " error={}", e.toString());
        }
    }
}
