package io.tla.dashboard.api;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/stream}: Server-Sent Events for the page. One thread ticks every {@code tick}: when the feed
 * has stored events since the last update, every client gets an {@code update} event with
 * {@code {"lastEventAt","eventsStored"}} (so at most one per tick, however fast events arrive); every
 * {@code heartbeat} each client gets a comment, which keeps proxies from closing an idle stream and finds
 * clients that went away (a failed write closes and removes them). A new client gets one update at once.
 * At most {@code maxClients} streams are open; beyond that the answer is 503.
 */
public final class EventStream implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EventStream.class);

    public static final int MAX_CLIENTS = 100;
    public static final Duration TICK = Duration.ofSeconds(1);
    public static final Duration HEARTBEAT = Duration.ofSeconds(15);

    private final LongSupplier eventsStored;
    private final Supplier<Instant> lastEventAt;
    private final int maxClients;
    private final Duration heartbeat;
    /** Open streams, each with the eventsStored of the last update it was sent. */
    private final Map<SseClient, AtomicLong> clients = new ConcurrentHashMap<>();
    /** Slots taken, counted before the stream opens so two requests cannot both take the last one. */
    private final AtomicInteger slots = new AtomicInteger();
    private final SseHandler handler = new SseHandler(this::opened);
    private final ScheduledExecutorService ticker;
    private long lastHeartbeat;

    /**
     * @param eventsStored events the feed has stored since it started (cheap; read every tick)
     * @param lastEventAt  the newest event's time, from the store (read only when there is something to send)
     */
    public EventStream(LongSupplier eventsStored, Supplier<Instant> lastEventAt, int maxClients, Duration tick,
                       Duration heartbeat) {
        this.eventsStored = eventsStored;
        this.lastEventAt = lastEventAt;
        this.maxClients = maxClients;
        this.heartbeat = heartbeat;
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "tla-dashboard-stream");
            thread.setDaemon(true);
            return thread;
        });
        this.lastHeartbeat = System.nanoTime();
        ticker.scheduleWithFixedDelay(this::tick, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Open streams. */
    public int clients() {
        return clients.size();
    }

    /** The GET handler: refuses a request that is not for an event stream, or one too many, else opens it. */
    public void handle(Context ctx) throws Exception {
        if (!"text/event-stream".equals(ctx.header("Accept"))) {
            DashboardApi.badRequest(ctx, "this is a Server-Sent Events stream: send Accept: text/event-stream");
            return;
        }
        if (slots.incrementAndGet() > maxClients) {
            slots.decrementAndGet();
            DashboardApi.unavailable(ctx, "too many open streams (" + maxClients + "); poll /api/status instead");
            return;
        }
        try {
            handler.handle(ctx);
        } catch (Exception | Error e) {
            slots.decrementAndGet();
            throw e;
        }
    }

    private void opened(SseClient client) {
        client.keepAlive();
        client.onClose(() -> {
            if (clients.remove(client) != null) {
                slots.decrementAndGet();
            }
        });
        AtomicLong sent = new AtomicLong(-1);
        clients.put(client, sent);
        // Answered while the stream opens, so a page needs no extra request to learn where things stand.
        long stored = eventsStored.getAsLong();
        send(client, sent, stored, update(stored));
    }

    private void tick() {
        try {
            if (clients.isEmpty()) {
                return;
            }
            long stored = eventsStored.getAsLong();
            if (clients.values().stream().anyMatch(sent -> sent.get() != stored)) {
                // One store read per tick, however many clients.
                String update = update(stored);
                clients.forEach((client, sent) -> send(client, sent, stored, update));
            }
            long now = System.nanoTime();
            if (now - lastHeartbeat >= heartbeat.toNanos()) {
                lastHeartbeat = now;
                clients.keySet().forEach(EventStream::heartbeat);
            }
        } catch (RuntimeException e) {
            // The ticker must survive a store error: the next tick tries again.
            log.warn("event=dashboard_stream_tick_failed error={}", e.getClass().getName(), e);
        }
    }

    private String update(long stored) {
        Instant last;
        try {
            last = lastEventAt.get();
        } catch (RuntimeException e) {
            last = null;
        }
        return "{\"lastEventAt\":" + (last == null ? "null" : "\"" + last + "\"") + ",\"eventsStored\":" + stored + "}";
    }

    /** Sends an update unless this client was already sent one for {@code stored}. */
    private static void send(SseClient client, AtomicLong sent, long stored, String update) {
        // The ticker and a newly opened stream may write to the same client at once; one event at a time.
        synchronized (client) {
            if (!client.terminated() && sent.get() != stored) {
                sent.set(stored);
                client.sendEvent("update", update);
            }
        }
    }

    private static void heartbeat(SseClient client) {
        synchronized (client) {
            if (!client.terminated()) {
                client.sendComment("heartbeat");
            }
        }
    }

    /** Stops the ticker and ends every open stream. */
    @Override
    public void close() {
        ticker.shutdownNow();
        clients.keySet().forEach(SseClient::close);
    }
}
