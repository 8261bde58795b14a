package io.tla.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.tla.connectors.ingress.WebhookKeys;
import io.tla.dashboard.api.Readiness;
import io.tla.platform.config.GraphConfig;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.secrets.ConfiguredSecrets;
import io.tla.platform.secrets.SecretLookup;
import io.tla.platform.secrets.SecretStore;
import io.tla.schemas.Json;
import io.tla.topology.model.FallbackModelProvider;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ResilientModelProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code GET /api/diagnostics}: what an operator needs to decide whether this deployment may serve traffic, with
 * the reasons when it may not. It adds to the stage readiness checklist ({@link Readiness}: signing, secrets,
 * Graph auth, Graph scopes, last smoke run) each secret's status, the Graph settings and the model providers' circuit
 * breakers. Ready means: HMAC signing only, every secret usable, no static-token Graph auth, a passed Graph scope
 * check when replies go to Graph, and a passed smoke run in the last 24 hours. Secrets appear by name and status
 * only.
 */
final class Diagnostics {

    private final Readiness readiness;
    private final GraphConfig graph;
    private final String sink;
    private final WebhookConfig webhook;
    private final List<String> secretNames;
    private final Path smokeFile;
    private final ModelProvider models;
    private final WebhookKeys signingKeys;
    private final Clock clock;

    /**
     * {@code models}: the topology's provider chain when the topology runs in this process, else null;
     * {@code signingKeys}: the ingress's keys when the ingress runs here (which key verified), else null.
     */
    Diagnostics(TlaConfig config, SecretStore secrets, ModelProvider models, WebhookKeys signingKeys, Clock clock) {
        this.readiness = new Readiness(config, secrets, clock);
        // the configuration is fixed for the process's life: parsed once, not per request
        this.graph = GraphConfig.from(config);
        this.sink = ReplyConfig.from(config).sink();
        this.webhook = WebhookConfig.from(config);
        this.secretNames = ConfiguredSecrets.names(config);
        this.smokeFile = SmokeChecks.readinessFile(config);
        this.models = models;
        this.signingKeys = signingKeys;
        this.clock = clock;
    }

    void routes(Javalin app) {
        app.get("/api/diagnostics", this::handle);
    }

    private void handle(Context ctx) {
        ctx.header("Cache-Control", "no-store");
        ctx.contentType("application/json").result(Json.mapper().valueToTree(report()).toString());
    }

    Map<String, Object> report() {
        Readiness.Report checklist = readiness.check();
        List<String> reasons = new ArrayList<>();
        for (Readiness.Item item : checklist.items()) {
            boolean scopesUnchecked = item.id().equals("graph-scopes") && "graph".equals(sink)
                    && item.status() == Readiness.Status.WARN;
            if (item.status() == Readiness.Status.FAIL || scopesUnchecked) {
                reasons.add(item.id() + ": " + item.detail());
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", reasons.isEmpty());
        body.put("reasons", reasons);
        body.put("checkedAt", checklist.checkedAt().toString());

        Instant now = clock.instant();
        body.put("signing", signing(now));

        List<Map<String, Object>> secretRows = new ArrayList<>();
        for (String name : secretNames) {
            SecretLookup lookup = readiness.lookup(name);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", name);
            row.put("store", lookup.store());
            row.put("status", lookup.status().label());
            row.put("usable", lookup.usable());
            row.put("expiresOn", lookup.expiresOn() == null ? null : lookup.expiresOn().toString());
            row.put("expiresInSeconds", lookup.expiresIn(now).map(d -> d.toSeconds()).orElse(null));
            secretRows.add(row);
        }
        body.put("secrets", secretRows);

        Map<String, Object> graphBody = new LinkedHashMap<>();
        graphBody.put("sink", sink);
        graphBody.put("baseUrl", graph.baseUrl());
        graphBody.put("authMode", graph.authMode());
        graphBody.put("productionReady", !"graph".equals(sink) || graph.productionAuth());
        JsonNode smoke = readSmoke();
        graphBody.put("scopeCheck", smoke == null || smoke.at("/checks/graph-scopes").isMissingNode() ? null
                : Map.of("ok", (Object) smoke.at("/checks/graph-scopes/ok").asBoolean(false),
                        "detail", smoke.at("/checks/graph-scopes/detail").asText("")));
        body.put("graph", graphBody);

        Map<String, Object> smokeBody = new LinkedHashMap<>();
        smokeBody.put("file", smokeFile.toString());
        Instant at = smoke == null ? null : parseInstant(smoke.path("at").asText(null));
        smokeBody.put("at", at == null ? null : at.toString());
        smokeBody.put("ok", smoke == null ? null : smoke.path("ok").asBoolean(false));
        smokeBody.put("ageSeconds", at == null ? null : Duration.between(at, now).toSeconds());
        body.put("smoke", smokeBody);

        body.put("providers", providers());
        body.put("checklist", checklist.items().stream().map(item -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", item.id());
            row.put("status", item.status().label());
            row.put("detail", item.detail());
            return row;
        }).toList());
        return body;
    }

    /**
     * The signing settings and each key set (the default key, then each registration): its secrets, the previous
     * key's expiry and, when the ingress runs in this process, which key verified requests since start.
     */
    private Map<String, Object> signing(Instant now) {
        Map<String, Object> signing = new LinkedHashMap<>();
        signing.put("mode", "hmac-sha256");
        signing.put("unsignedAccepted", false);
        signing.put("defaultKeySecret", webhook.defaultKeySecret());
        signing.put("registrations", List.copyOf(webhook.registrations().keySet()));
        signing.put("ingressInProcess", signingKeys != null);
        Map<String, WebhookKeys.Status> status = new LinkedHashMap<>();
        if (signingKeys != null) {
            signingKeys.status().forEach(s -> status.put(s.name(), s));
        }
        List<Map<String, Object>> keySets = new ArrayList<>();
        keySets.add(keySet(WebhookKeys.DEFAULT_SET, webhook.defaultKeySecret(), webhook.defaultPreviousKey(), null,
                status.get(WebhookKeys.DEFAULT_SET), now));
        for (WebhookConfig.Registration r : webhook.registrations().values()) {
            keySets.add(keySet(r.name(), r.secret(), r.previousKey(), r.syncReply(), status.get(r.name()), now));
        }
        signing.put("keySets", keySets);
        return signing;
    }

    private static Map<String, Object> keySet(String name, String secret, WebhookConfig.PreviousKey previous,
                                              Boolean syncReply, WebhookKeys.Status status, Instant now) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", name);
        row.put("secret", secret);
        if (syncReply != null) {
            row.put("syncReply", syncReply);
        }
        row.put("previousSecret", previous == null ? null : previous.secret());
        row.put("previousSecretUntil", previous == null ? null : previous.until().toString());
        row.put("previousAccepted", previous != null && previous.acceptedAt(now));
        if (status != null) {
            row.put("currentKey", status.currentKey().label());
            row.put("previousKey", status.previousKey() == null ? null : status.previousKey().label());
            Map<String, Object> verified = new LinkedHashMap<>();
            verified.put("current", status.verifiedCurrent());
            verified.put("previous", status.verifiedPrevious());
            row.put("verified", verified);
            row.put("refused", status.refused());
            row.put("refusedExpiredPrevious", status.refusedExpiredPrevious());
            row.put("lastVerifiedKey", status.lastVerifiedKey() == null ? null : status.lastVerifiedKey().label());
            row.put("lastVerifiedAt", status.lastVerifiedAt() == null ? null : status.lastVerifiedAt().toString());
        }
        return row;
    }

    /** The last {@code tla smoke ready} result, or null when there is none or it cannot be read. */
    private JsonNode readSmoke() {
        try {
            return Json.mapper().readTree(smokeFile.toFile());
        } catch (IOException e) {
            return null;
        }
    }

    private static Instant parseInstant(String value) {
        try {
            return value == null ? null : Instant.parse(value);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** Each provider of the chain in order with its breaker state; null when the topology runs elsewhere. */
    private List<Map<String, Object>> providers() {
        if (models == null) {
            return null;
        }
        List<ModelProvider> chain = models instanceof FallbackModelProvider fallback ? fallback.providers()
                : List.of(models);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ModelProvider provider : chain) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", provider.name());
            row.put("breaker", provider instanceof ResilientModelProvider resilient
                    ? resilient.breakerState().name().toLowerCase(Locale.ROOT) : "none");
            rows.add(row);
        }
        return rows;
    }
}
