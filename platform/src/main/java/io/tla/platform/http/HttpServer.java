package io.tla.platform.http;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.ManagementConfig;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.SecretStore;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP listener of a process; roles add their routes before {@link #start()}. There are two:
 * <ul>
 *   <li>{@link #webhook the webhook listener} ({@code http.*}), the one Teams reaches: the ingress adds
 *   {@code POST /api/messages}, it serves {@code /health/live|ready}, every other path is 404;</li>
 *   <li>{@link #management the management listener} ({@code management.*}), loopback by default and behind
 *   {@link ManagementAuth}: the dashboard, every {@code /api/*} route, {@code /metrics} and {@code /health/*}.</li>
 * </ul>
 * Both close connections idle for {@code http.idle-timeout-ms} and read at most {@code http.max-body-bytes};
 * unexpected errors become a JSON 500 that names no internals.
 */
public final class HttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

    private final String listener;
    private final String host;
    private final int port;
    private final HttpConfig limits;
    private final Javalin app;
    private final Health health;
    private final ManagementAuth auth;

    private HttpServer(String listener, String host, int port, HttpConfig limits, TlaMetrics metrics, Health health,
                       ManagementAuth auth) {
        this.listener = listener;
        this.host = host;
        this.port = port;
        this.limits = limits;
        this.health = health;
        this.auth = auth;
        this.app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.startupWatcherEnabled = false;
            cfg.http.maxRequestSize = limits.maxBodyBytes();
            cfg.jetty.modifyServer(server -> server.setStopTimeout(2_000));
        });
        // the guard first, so no role's filter or route runs before it
        if (auth != null) {
            auth.install(app, this::port);
        }
        app.get("/health/live", ctx -> ctx.json(Map.of("status", "live")));
        app.get("/health/ready", this::ready);
        if (metrics != null) {
            app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.scrape()));
        }
        app.exception(Exception.class, (e, ctx) -> {
            log.error("event=http_error listener={} path={} error={}", listener, ctx.path(), e.getClass().getName(), e);
            ctx.status(HttpStatus.INTERNAL_SERVER_ERROR).json(Map.of("error", "internal error"));
        });
    }

    /** The webhook listener on {@code http.host:http.port}: {@code /health/*} and what the ingress adds. */
    public static HttpServer webhook(HttpConfig http, Health health) {
        return new HttpServer("webhook", http.host(), http.port(), http, null, health, null);
    }

    /**
     * The management listener on {@code management.host:management.port}, with {@code /metrics} and the sign-in
     * of {@code management.auth}; {@code limits} gives the body limit and idle timeout.
     */
    public static HttpServer management(HttpConfig limits, ManagementConfig management, ManagementAuth auth,
                                        TlaMetrics metrics, Health health) {
        return new HttpServer("management", management.host(), management.port(), limits, metrics, health, auth);
    }

    /** The management listener, reading the secrets its {@code management.auth} needs from {@code secrets}. */
    public static HttpServer management(HttpConfig limits, ManagementConfig management, SecretStore secrets,
                                        TlaMetrics metrics, Health health) {
        return management(limits, management, ManagementAuth.create(management, secrets), metrics, health);
    }

    /** A management listener without sign-in on a free loopback port, for tests of the roles' routes. */
    public static HttpServer managementOnLoopback(TlaMetrics metrics, Health health) {
        return management(new HttpConfig("127.0.0.1", 0, 256 * 1024), ManagementConfig.loopback(0),
                ManagementAuth.none(), metrics, health);
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
        app.start(host, port);
        // Set on the started connector; it applies to every connection accepted from now on.
        for (Connector connector : app.jettyServer().server().getConnectors()) {
            if (connector instanceof ServerConnector serverConnector) {
                serverConnector.setIdleTimeout(limits.idleTimeout().toMillis());
            }
        }
        log.info("event=http_started listener={} host={} port={} auth={}", listener, host, app.port(),
                auth == null ? "-" : auth.mode());
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
            log.warn("event=http_stop_forced listener={} detail=\"connections still open after the stop timeout were"
                    + " closed\" error={}", listener, e.toString());
        }
    }
}
