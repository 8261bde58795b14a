package io.tla.app.reliability;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tla.connectors.ingress.HmacSignature;
import io.tla.schemas.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Teams as the ingress sees it: signed activities posted at a fixed rate over a number of conversations, split
 * round-robin over one or more ingress instances. A conversation's messages are posted one after the other (the
 * next only once the previous was accepted), so the order in which the ingress accepted them is the order their
 * replies must come in. Every HTTP answer is recorded with its time; a request with no answer within 5 s is
 * counted, and like a 503 or 429 (after its {@code Retry-After}) is delivered again with the same activity, as
 * Teams would.
 */
final class LoadGenerator {

    static final Duration ANSWER_WITHIN = Duration.ofSeconds(5);
    /** How long one message is retried before it is given up (counted as not accepted). */
    static final Duration GIVE_UP_AFTER = Duration.ofSeconds(180);
    static final List<String> TENANTS = List.of("6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c",
            "0b6c1a52-8d1e-4f4e-9a43-2c5f0e7f9d11");

    /** One message's delivery: when it was first posted and finally accepted, and every answer it got. */
    static final class Delivery {
        final String messageId;
        final String conversationId;
        final long firstPostNanos;
        volatile long acceptedNanos;
        volatile int finalStatus;
        final List<Integer> answers = new ArrayList<>();

        Delivery(String messageId, String conversationId, long firstPostNanos) {
            this.messageId = messageId;
            this.conversationId = conversationId;
            this.firstPostNanos = firstPostNanos;
        }
    }

    private final List<URI> ingress;
    private final HmacSignature signature;
    private final int conversations;
    private final double ratePerSecond;
    private final int messages;
    private final String runId;
    private final HttpClient client;
    private final ExecutorService executor = Executors.newFixedThreadPool(16, runnable -> {
        Thread thread = new Thread(runnable, "load-generator");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<String, CompletableFuture<Void>> tails = new HashMap<>();
    private final Map<String, Delivery> deliveries = new ConcurrentHashMap<>();
    /** Per conversation, message ids in the order the ingress accepted them. */
    private final Map<String, List<String>> acceptedOrder = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> statuses = new ConcurrentHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger noAnswer = new AtomicInteger();
    private final AtomicInteger posted = new AtomicInteger();
    private final List<Long> answerMillis = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile Thread scheduler;
    private volatile long startNanos;

    LoadGenerator(List<URI> ingress, String base64Key, int conversations, double ratePerSecond, int messages) {
        this.ingress = List.copyOf(ingress);
        this.signature = HmacSignature.ofBase64Key(base64Key);
        this.conversations = conversations;
        this.ratePerSecond = ratePerSecond;
        this.messages = messages;
        this.runId = Long.toString(System.currentTimeMillis());
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
                .connectTimeout(Duration.ofSeconds(2)).build();
    }

    /** Starts posting in the background. */
    LoadGenerator start() {
        startNanos = System.nanoTime();
        scheduler = new Thread(this::schedule, "load-scheduler");
        scheduler.setDaemon(true);
        scheduler.start();
        return this;
    }

    private void schedule() {
        for (int i = 0; i < messages; i++) {
            long due = startNanos + (long) (i * 1e9 / ratePerSecond);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            }
            int n = i;
            String conversation = "19:rel-" + runId + "-c" + (i % conversations) + "@thread.v2";
            URI target = ingress.get(i % ingress.size());
            synchronized (this) {
                CompletableFuture<Void> tail = tails.getOrDefault(conversation, CompletableFuture.completedFuture(null));
                tails.put(conversation, tail.thenComposeAsync(v -> deliver(n, conversation, target), executor));
            }
            posted.incrementAndGet();
        }
    }

    private CompletableFuture<Void> deliver(int n, String conversation, URI target) {
        String messageId = runId + String.format("%06d", n);
        String tenant = TENANTS.get(n % TENANTS.size());
        Instant now = Instant.now();
        byte[] body;
        try {
            body = Json.mapper().writeValueAsBytes(activity(messageId, now, tenant, conversation, n));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Delivery delivery = new Delivery(messageId, conversation, System.nanoTime());
        deliveries.put(messageId, delivery);
        HttpRequest request = HttpRequest.newBuilder(target).timeout(ANSWER_WITHIN)
                .header("Content-Type", "application/json; charset=utf-8")
                .header("Authorization", signature.authorizationHeader(body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return attempt(delivery, request);
    }

    private CompletableFuture<Void> attempt(Delivery delivery, HttpRequest request) {
        long sent = System.nanoTime();
        requests.incrementAndGet();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((response, failure) -> {
            long millis = (System.nanoTime() - sent) / 1_000_000;
            int status = response != null ? response.statusCode() : 0;
            String kind = response != null ? Integer.toString(status)
                    : unwrap(failure) instanceof HttpTimeoutException ? "none" : "connection-failed";
            statuses.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
            synchronized (delivery.answers) {
                delivery.answers.add(status);
            }
            if (response != null) {
                answerMillis.add(millis);
            }
            if ("none".equals(kind) || millis > ANSWER_WITHIN.toMillis()) {
                noAnswer.incrementAndGet();
            }
            if (status == 202 || status == 200) {
                delivery.acceptedNanos = System.nanoTime();
                delivery.finalStatus = status;
                List<String> ids = acceptedOrder.computeIfAbsent(delivery.conversationId, c -> new ArrayList<>());
                synchronized (ids) {
                    ids.add(delivery.messageId);
                }
                return CompletableFuture.<Void>completedFuture(null);
            }
            boolean retry = status == 0 || status == 503 || status == 429 || status >= 500;
            if (!retry || System.nanoTime() - delivery.firstPostNanos > GIVE_UP_AFTER.toNanos()) {
                delivery.finalStatus = status;
                return CompletableFuture.<Void>completedFuture(null);
            }
            long delayMillis = 1_000;
            if (response != null) {
                delayMillis = response.headers().firstValue("Retry-After").map(LoadGenerator::seconds)
                        .map(s -> s * 1_000).orElse(1_000L);
            }
            return CompletableFuture.runAsync(() -> { },
                            CompletableFuture.delayedExecutor(delayMillis, TimeUnit.MILLISECONDS, executor))
                    .thenCompose(v -> attempt(delivery, request));
        }).thenCompose(f -> f);
    }

    private static long seconds(String retryAfter) {
        try {
            return Math.max(0, Long.parseLong(retryAfter.strip()));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    private static Throwable unwrap(Throwable failure) {
        while (failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null) {
            failure = failure.getCause();
        }
        return failure;
    }

    /** A Teams outgoing-webhook activity in a group chat, in German (so the offline model translates it). */
    private static ObjectNode activity(String messageId, Instant now, String tenant, String conversation, int n) {
        ObjectNode activity = Json.mapper().createObjectNode();
        activity.put("type", "message");
        activity.put("id", messageId);
        activity.put("timestamp", now.toString());
        activity.put("serviceUrl", "https://smba.trafficmanager.net/emea/");
        activity.put("channelId", "msteams");
        ObjectNode from = activity.putObject("from");
        from.put("id", "29:rel-user-" + (n % 7));
        from.put("name", "Anna Müller");
        ObjectNode conv = activity.putObject("conversation");
        conv.put("isGroup", true);
        conv.put("id", conversation);
        conv.put("conversationType", "groupChat");
        conv.put("tenantId", tenant);
        activity.put("textFormat", "plain");
        activity.put("text", "<at>Translator</at> Nachricht Nummer " + n
                + " in einer Unterhaltung über das Projekt und den Zeitplan für morgen.");
        activity.putObject("channelData").putObject("tenant").put("id", tenant);
        activity.put("locale", "de-DE");
        return activity;
    }

    /** Waits until every message was posted and has its final answer; false when {@code timeout} passes. */
    boolean awaitDone(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        scheduler.join(Math.max(1, timeout.toMillis()));
        List<CompletableFuture<Void>> all;
        synchronized (this) {
            all = new ArrayList<>(tails.values());
        }
        try {
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                    .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return posted.get() == messages;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    void stop() {
        if (scheduler != null) {
            scheduler.interrupt();
        }
        executor.shutdownNow();
    }

    int posted() {
        return posted.get();
    }

    int accepted() {
        return (int) deliveries.values().stream().filter(d -> d.acceptedNanos != 0).count();
    }

    Map<String, Delivery> deliveries() {
        return deliveries;
    }

    /** Per conversation, the accepted message ids in the order they were accepted. */
    Map<String, List<String>> acceptedOrder() {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        acceptedOrder.forEach((c, ids) -> {
            synchronized (ids) {
                copy.put(c, List.copyOf(ids));
            }
        });
        return copy;
    }

    /** Answers by HTTP status ({@code none}: no answer within 5 s; {@code connection-failed}). */
    Map<String, Integer> statuses() {
        Map<String, Integer> copy = new TreeMap<>();
        statuses.forEach((k, v) -> copy.put(k, v.get()));
        return copy;
    }

    int requests() {
        return requests.get();
    }

    /** Requests not answered within 5 s (timed out, or answered later than that). */
    int noAnswerWithin5s() {
        return noAnswer.get();
    }

    /** Messages that got a 503 at least once before they were accepted. */
    int retriedAfter503() {
        return (int) deliveries.values().stream().filter(d -> {
            synchronized (d.answers) {
                return d.answers.contains(503);
            }
        }).count();
    }

    /** The {@code q} quantile of the time to answer of the answered requests, in ms. */
    long answerMillis(double q) {
        List<Long> sorted;
        synchronized (answerMillis) {
            sorted = new ArrayList<>(answerMillis);
        }
        if (sorted.isEmpty()) {
            return -1;
        }
        sorted.sort(null);
        return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
    }
}
