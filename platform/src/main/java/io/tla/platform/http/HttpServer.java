package io.tla.platform.http;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.ManagementConfig;
import io.tla.platform.metrics.TlaMetrics;
import io.tla.platform.secrets.SecretStore;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.HandlerWrapper;
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
 * unexpected errors become a JSON 500 that names no internals. The webhook listener can also serve a route
 * {@linkplain #direct directly} on Jetty, for the ingress's thousands of requests a second.
 */
public final class HttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
    /** The direct routes of each webhook listener's Javalin, which its roles reach through {@link #direct}. */
    private static final Map<Javalin, DirectRoutes> DIRECT_ROUTES = Collections.synchronizedMap(new WeakHashMap<>());
    private static final byte[] INTERNAL_ERROR = "{\"error\":\"internal error\"}".getBytes(StandardCharsets.UTF_8);

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
        // only the webhook listener: every management route must pass the sign-in guard, a Javalin filter
        DirectRoutes direct = auth == null ? new DirectRoutes(listener) : null;
        this.app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.startupWatcherEnabled = false;
            cfg.http.maxRequestSize = limits.maxBodyBytes();
            cfg.jetty.modifyServer(server -> server.setStopTimeout(2_000));
            if (direct != null) {
                // ahead of the session and servlet handlers that lead to Javalin
                cfg.jetty.modifyServletContextHandler(context -> context.insertHandler(direct));
            }
        });
        if (direct != null) {
            DIRECT_ROUTES.put(app, direct);
        }
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

    /** Serves one request with Jetty's own request and response, on the thread that read it. */
    @FunctionalInterface
    public interface DirectHandler {
        void handle(HttpServletRequest request, HttpServletResponse response) throws IOException;
    }

    /**
     * Serves {@code method path} on the webhook listener whose Javalin {@code app} is by handing Jetty's request
     * straight to {@code handler}, ahead of Javalin's routing, context, sessions and servlet layers, which cost more
     * than a small webhook request's own work. Only that exact method and path go there: anything else, a trailing
     * slash included, still goes through Javalin, so add the route to Javalin as well. The handler answers
     * everything itself (its own errors too); an exception it lets out becomes the usual JSON 500. Call before
     * {@link #start()}, as with {@link #routes}.
     *
     * @return whether the route is served directly; false when {@code app} is not a webhook listener's (the
     *         management listener's routes always pass its sign-in guard), where the Javalin route serves it
     */
    public static boolean direct(Javalin app, String method, String path, DirectHandler handler) {
        DirectRoutes routes = DIRECT_ROUTES.get(Objects.requireNonNull(app, "app"));
        if (routes == null) {
            return false;
        }
        if (app.jettyServer().started()) {
            throw new IllegalStateException("add direct routes before the server starts");
        }
        routes.add(method, path, handler);
        return true;
    }

    /** The direct routes by path, each for one method; every other request passes on to Javalin. */
    private static final class DirectRoutes extends HandlerWrapper {

        private record Route(String method, DirectHandler handler) {
        }

        private final String listener;
        private final Map<String, Route> byPath = new ConcurrentHashMap<>();

        DirectRoutes(String listener) {
            this.listener = listener;
        }

        void add(String method, String path, DirectHandler handler) {
            byPath.put(path, new Route(method, Objects.requireNonNull(handler, "handler")));
        }

        @Override
        public void handle(String target, Request base, HttpServletRequest request, HttpServletResponse response)
                throws IOException, ServletException {
            Route route = byPath.get(target);
            if (route == null || !route.method().equals(request.getMethod())) {
                super.handle(target, base, request, response);
                return;
            }
            base.setHandled(true);
            try {
                route.handler().handle(request, response);
            } catch (RuntimeException e) {
                log.error("event=http_error listener={} path={} error={}", listener, target, e.getClass().getName(), e);
                if (!response.isCommitted()) {
                    response.reset();
                    response.setStatus(HttpServletResponse.SC_INTERNAL_SERVER_ERROR);
                    response.setContentType("application/json");
                    response.setContentLength(INTERNAL_ERROR.length);
                    response.getOutputStream().write(INTERNAL_ERROR);
                }
            }
        }
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
