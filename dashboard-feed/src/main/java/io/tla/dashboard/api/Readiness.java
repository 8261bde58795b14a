package io.tla.dashboard.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.platform.config.DataConfig;
import io.tla.platform.config.GraphConfig;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.secrets.ConfiguredSecrets;
import io.tla.platform.secrets.FileSecretStore;
import io.tla.platform.secrets.SecretLookup;
import io.tla.platform.secrets.SecretStatus;
import io.tla.platform.secrets.SecretStore;
import io.tla.schemas.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.Map;

/**
 * {@code GET /api/readiness}: the stage readiness checklist, computed on each request from the configuration,
 * the secret store and the last smoke run's file. Never carries a secret value: secrets are reported by name
 * and status only.
 */
public final class Readiness {

    /** Where {@code ./tla smoke ready} leaves its result, relative to {@code data.dir}. */
    public static final String SMOKE_FILE = "readiness/last-smoke.json";
    static final Duration SMOKE_MAX_AGE = Duration.ofHours(24);
    static final Duration EXPIRY_WARNING = Duration.ofDays(14);
    /** The key in the smoke file's {@code checks} that records a check of the Graph permissions. */
    static final String SCOPES_CHECK = "graph-scopes";

    public enum Status {
        PASS("pass"), WARN("warn"), FAIL("fail");

        private final String label;

        Status(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public record Item(String id, String label, Status status, String detail) {
    }

    public record Report(boolean ready, Instant checkedAt, List<Item> items) {
    }

    private final SecretStore secrets;
    private final FileSecretStore fileSecrets;
    private final List<String> secretNames;
    private final Set<String> webhookKeys;
    private final int webhookRegistrations;
    private final boolean webhookDevelopmentMode;
    private final String replySink;
    private final String graphAuthMode;
    private final Path smokeFile;
    private final Clock clock;

    public Readiness(TlaConfig config, SecretStore secrets, Clock clock) {
        this.secrets = secrets;
        DataConfig data = DataConfig.from(config);
        this.fileSecrets = new FileSecretStore(data.secretsDir());
        this.smokeFile = data.dataDir().resolve(SMOKE_FILE);
        this.secretNames = ConfiguredSecrets.names(config);
        WebhookConfig webhook = WebhookConfig.from(config);
        this.webhookKeys = webhook.secretNames();
        this.webhookRegistrations = webhook.registrations().size();
        this.webhookDevelopmentMode = webhook.developmentMode();
        this.replySink = ReplyConfig.from(config).sink();
        this.graphAuthMode = GraphConfig.from(config).authMode();
        this.clock = clock;
    }

    public Path smokeFile() {
        return smokeFile;
    }

    public Report check() {
        Instant now = clock.instant();
        Smoke smoke = readSmoke();
        List<Item> items = List.of(signing(), secrets(now), graphAuth(), graphScopes(smoke), smoke(smoke, now));
        boolean ready = items.stream().noneMatch(i -> i.status() == Status.FAIL);
        return new Report(ready, now, items);
    }

    private Item signing() {
        // There is no unsigned mode to detect: the ingress verifies every request and has no switch to stop.
        String keys = webhookRegistrations == 0 ? "default key" : "default key and " + webhookRegistrations
                + " registration(s)";
        if (webhookDevelopmentMode) {
            // a key that speaks for whatever tenant a body names is one tenant's developer set-up, not a deployment
            return new Item("signing", "Webhook signing", Status.FAIL, "development mode: the default key is bound to"
                    + " no tenant (" + WebhookConfig.TENANT_ID + " is unset), so a signed body names its own tenant;"
                    + " set " + WebhookConfig.TENANT_ID + " (HMAC-SHA256 only; " + keys + ")");
        }
        return new Item("signing", "Webhook signing", Status.PASS, "HMAC-SHA256 only; unsigned requests are refused;"
                + " every key is bound to its tenant (" + keys + ")");
    }

    private Item secrets(Instant now) {
        List<String> failing = new ArrayList<>();
        List<String> expiring = new ArrayList<>();
        for (String name : secretNames) {
            SecretLookup lookup = lookup(name);
            if (!lookup.usable()) {
                failing.add(name + " " + lookup.status().label());
            } else if (lookup.expiresIn(now).filter(left -> left.compareTo(EXPIRY_WARNING) < 0).isPresent()) {
                expiring.add(name + " expires " + lookup.expiresOn());
            }
        }
        String label = "Secrets";
        int count = secretNames.size();
        if (!failing.isEmpty()) {
            return new Item("secrets", label, Status.FAIL, failing.size() + " of " + count + " not usable: "
                    + String.join(", ", failing) + (expiring.isEmpty() ? "" : "; " + String.join(", ", expiring)));
        }
        if (!expiring.isEmpty()) {
            return new Item("secrets", label, Status.WARN, "expiring within " + EXPIRY_WARNING.toDays() + " days: "
                    + String.join(", ", expiring));
        }
        return new Item("secrets", label, Status.PASS, count + " configured, all usable: " + String.join(", ", secretNames));
    }

    /** As {@code ./tla run} and {@code ./tla smoke secrets}: webhook keys may live in the file store. */
    public SecretLookup lookup(String name) {
        SecretLookup lookup = secrets.lookup(name);
        if (webhookKeys.contains(name) && lookup.status() == SecretStatus.MISSING && !(secrets instanceof FileSecretStore)) {
            SecretLookup fromFile = fileSecrets.lookup(name);
            if (fromFile.status() != SecretStatus.MISSING) {
                return fromFile;
            }
        }
        return lookup;
    }

    private Item graphAuth() {
        String label = "Graph authentication";
        if (!"graph".equals(replySink)) {
            return new Item("graph-auth", label, Status.WARN, "reply.sink=" + replySink + ": replies go to the outbox");
        }
        if ("static-token".equals(graphAuthMode)) {
            return new Item("graph-auth", label, Status.FAIL,
                    "graph.auth.mode=static-token is not production-ready (emulators only)");
        }
        return new Item("graph-auth", label, Status.PASS, "graph.auth.mode=" + graphAuthMode);
    }

    private static Item graphScopes(Smoke smoke) {
        String label = "Graph permissions";
        JsonNode check = smoke.node == null ? null : smoke.node.path("checks").get(SCOPES_CHECK);
        if (check == null || check.isNull()) {
            return new Item("graph-scopes", label, Status.WARN, "not checked: run ./tla smoke graph-scopes");
        }
        // Recorded either as a boolean or as {"ok": bool, "detail": "..."}.
        boolean ok = check.isBoolean() ? check.booleanValue() : check.path("ok").asBoolean(false);
        String detail = check.path("detail").isTextual() ? ": " + check.path("detail").asText() : "";
        return new Item("graph-scopes", label, ok ? Status.PASS : Status.FAIL,
                (ok ? "checked" : "check failed") + " at " + smoke.at + detail);
    }

    private Item smoke(Smoke smoke, Instant now) {
        String label = "Last smoke run";
        if (smoke.problem != null) {
            return new Item("smoke", label, Status.FAIL, smoke.problem);
        }
        if (smoke.at == null) {
            return new Item("smoke", label, Status.FAIL, smokeFile + " has no valid \"at\"");
        }
        Duration age = Duration.between(smoke.at, now);
        if (age.compareTo(SMOKE_MAX_AGE) > 0) {
            return new Item("smoke", label, Status.FAIL, "last run at " + smoke.at + ", older than "
                    + SMOKE_MAX_AGE.toHours() + " h: run ./tla smoke ready");
        }
        if (!smoke.node.path("ok").asBoolean(false)) {
            List<String> failed = new ArrayList<>();
            JsonNode checks = smoke.node.path("checks");
            for (Iterator<Map.Entry<String, JsonNode>> it = checks.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                JsonNode value = entry.getValue();
                boolean ok = value.isBoolean() ? value.booleanValue() : value.path("ok").asBoolean(true);
                if (!ok) {
                    failed.add(entry.getKey());
                }
            }
            return new Item("smoke", label, Status.FAIL, "last run at " + smoke.at + " failed"
                    + (failed.isEmpty() ? "" : ": " + String.join(", ", failed)));
        }
        return new Item("smoke", label, Status.PASS, "passed at " + smoke.at);
    }

    /** The smoke file's content; {@code problem} says why there is none. */
    private record Smoke(JsonNode node, Instant at, String problem) {
    }

    private Smoke readSmoke() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(smokeFile);
        } catch (NoSuchFileException e) {
            return new Smoke(null, null, "never run: run ./tla smoke ready");
        } catch (IOException e) {
            return new Smoke(null, null, "cannot read " + smokeFile + ": " + e.getClass().getSimpleName());
        }
        JsonNode node;
        try {
            node = Json.mapper().readTree(bytes);
        } catch (IOException e) {
            return new Smoke(null, null, smokeFile + " is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            return new Smoke(null, null, smokeFile + " is not a JSON object");
        }
        Instant at = null;
        try {
            at = node.path("at").isTextual() ? Instant.parse(node.get("at").asText()) : null;
        } catch (DateTimeParseException e) {
            // reported as "no valid at"
        }
        return new Smoke(node, at, null);
    }

    /** The JSON of a report, field by field as documented in docs/api.md. */
    static Map<String, Object> json(Report report) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", report.ready());
        body.put("checkedAt", report.checkedAt().toString());
        body.put("items", report.items().stream().map(i -> {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("id", i.id());
            item.put("label", i.label());
            item.put("status", i.status().label());
            item.put("detail", i.detail());
            return item;
        }).toList());
        return body;
    }
}
