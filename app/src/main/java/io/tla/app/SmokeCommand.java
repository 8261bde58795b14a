package io.tla.app;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.connectors.ingress.HmacSignature;
import io.tla.platform.config.ComplianceConfig;
import io.tla.platform.config.DataConfig;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.TranslationConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.secrets.ConfiguredSecrets;
import io.tla.platform.secrets.ConfiguredSecrets.ConfiguredSecret;
import io.tla.platform.secrets.FileSecretStore;
import io.tla.platform.secrets.Secret;
import io.tla.platform.secrets.SecretLookup;
import io.tla.platform.secrets.SecretStatus;
import io.tla.platform.secrets.SecretStore;
import io.tla.platform.secrets.SecretStores;
import io.tla.schemas.Translation;
import io.tla.topology.model.AllProvidersFailedException;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ModelProviders;
import io.tla.topology.model.ModelRequest;
import io.tla.topology.model.ModelResponse;
import io.tla.topology.model.ProviderException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tla smoke}: the operations smoke suite, checks an operator (or CI) runs against a configuration before or
 * while it serves traffic. Each check is a subcommand that exits non-zero when it fails.
 */
@Command(name = "smoke", mixinStandardHelpOptions = true,
        description = "Operations smoke checks; each exits non-zero when it fails.",
        subcommands = {SmokeCommand.Secrets.class, SmokeCommand.Model.class, SmokeCommand.Reply.class,
                SmokeCommand.Metrics.class, SmokeCommand.GraphScopes.class, SmokeCommand.Ready.class})
final class SmokeCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "secrets", mixinStandardHelpOptions = true,
            description = {"Resolve every secret the configuration names and print a table (never a value).",
                    "Fails on a missing, disabled, not yet valid, expired or unreadable secret, and on one expiring "
                            + "within --min-validity."})
    static final class Secrets implements Callable<Integer> {


        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        @Option(names = "--min-validity", paramLabel = "DURATION", defaultValue = "0",
                converter = DurationConverter.class,
                description = "Fail when a secret expires within this time: 14d, 12h, 30m, 90s or ISO-8601 (P14D); default 0.")
        Duration minValidity;

        @Option(names = "--verify-readiness",
                description = "Also check that the readiness file's directory (data.dir) is writable and that the"
                        + " default webhook key is bound to a tenant (webhook.tenant-id: not development mode).")
        boolean verifyReadiness;

        private final Function<TlaConfig, SecretStore> stores;
        private final Clock clock;

        Secrets() {
            this(config -> SecretStores.create(config, System.getenv()), Clock.systemUTC());
        }

        /** With a given store (tests point one at a local Key Vault server). */
        Secrets(Function<TlaConfig, SecretStore> stores, Clock clock) {
            this.stores = stores;
            this.clock = clock;
        }

        private record Row(ConfiguredSecret secret, SecretLookup lookup, String problem) {
        }

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            TlaConfig config = options.load();
            SecretStore store = stores.apply(config);
            FileSecretStore fileStore = new FileSecretStore(DataConfig.from(config).secretsDir());
            Set<String> webhookKeys = WebhookConfig.from(config).secretNames();
            Instant now = clock.instant();

            List<Row> rows = new ArrayList<>();
            for (ConfiguredSecret secret : ConfiguredSecrets.of(config)) {
                SecretLookup lookup = store.lookup(secret.name());
                // the ingress falls back to the file store for webhook keys (./tla run generates the default one there)
                if (webhookKeys.contains(secret.name()) && lookup.status() == SecretStatus.MISSING
                        && !(store instanceof FileSecretStore)) {
                    SecretLookup fromFile = fileStore.lookup(secret.name());
                    if (fromFile.status() != SecretStatus.MISSING) {
                        lookup = fromFile;
                    }
                }
                String problem = problem(lookup, now);
                if (problem == null && webhookKeys.contains(secret.name()) && lookup.usable()) {
                    problem = webhookKeyProblem(store.get(secret.name()).or(() -> fileStore.get(secret.name())));
                }
                rows.add(new Row(secret, lookup, problem));
            }

            out.printf("secrets from the %s store (%d configured)%n", store.kind(), rows.size());
            List<String[]> table = new ArrayList<>();
            table.add(new String[] {"NAME", "STORE", "PRESENT", "ENABLED", "EXPIRES IN", "STATUS", "USED BY"});
            for (Row row : rows) {
                SecretLookup l = row.lookup();
                table.add(new String[] {l.name(), l.store(), yesNo(l.present()), l.present() ? yesNo(l.enabled()) : "-",
                        expiresIn(l, now), row.problem() != null && l.usable() ? "expiring" : l.status().label(),
                        String.join(", ", row.secret().usedBy())});
            }
            TextTable.print(out, table);

            int failures = 0;
            for (Row row : rows) {
                if (row.problem() != null) {
                    err.printf("FAIL secret %s: %s%n", row.secret().name(), row.problem());
                    failures++;
                }
            }
            if (verifyReadiness) {
                Path file = SmokeChecks.readinessFile(config);
                String problem = writableProblem(file);
                if (problem == null) {
                    out.printf("readiness: %s is writable (readiness file %s)%n", file.getParent(), file);
                } else {
                    err.printf("FAIL readiness: %s%n", problem);
                    failures++;
                }
                if (WebhookConfig.from(config).developmentMode()) {
                    err.printf("FAIL readiness: the default webhook key is bound to no tenant (%s is unset):"
                            + " development mode, not production-ready%n", WebhookConfig.TENANT_ID);
                    failures++;
                } else {
                    out.printf("readiness: the default webhook key speaks for tenant %s%n",
                            WebhookConfig.from(config).tenantId());
                }
            }
            out.println(failures == 0 ? "smoke secrets: ok" : "smoke secrets: " + failures + " failure(s)");
            return failures == 0 ? 0 : 1;
        }

        /** A webhook key the ingress would refuse to start with (not base64, or under 16 bytes), else null. */
        private static String webhookKeyProblem(Optional<Secret> key) {
            try {
                key.ifPresent(secret -> HmacSignature.requireUsableKey(secret.reveal()));
                return null;
            } catch (IllegalArgumentException e) {
                return "unusable as a webhook key (" + e.getMessage() + ")";
            }
        }

        /** Why the secret fails the check, or null when it passes. */
        private String problem(SecretLookup lookup, Instant now) {
            if (!lookup.usable()) {
                return lookup.status().label() + " (" + lookup.reason() + ")";
            }
            return lookup.expiresIn(now)
                    .filter(left -> left.compareTo(minValidity) < 0)
                    .map(left -> "expires in " + human(left) + " (at " + lookup.expiresOn() + "), within --min-validity "
                            + human(minValidity))
                    .orElse(null);
        }

        private static String writableProblem(Path file) {
            try {
                Files.createDirectories(file.getParent());
                Path probe = Files.createTempFile(file.getParent(), ".readiness", ".probe");
                Files.delete(probe);
                return null;
            } catch (IOException | SecurityException e) {
                return "cannot write the readiness file " + file + ": " + e;
            }
        }

        private static String yesNo(boolean b) {
            return b ? "yes" : "no";
        }

        private static String expiresIn(SecretLookup lookup, Instant now) {
            // Key Vault gives no attributes with its refusal to read a disabled secret: its expiry is unknown.
            if (!lookup.present() || (!lookup.enabled() && lookup.expiresOn() == null)) {
                return "-";
            }
            return lookup.expiresIn(now)
                    .map(left -> left.isNegative() ? "expired " + human(left.negated()) + " ago" : human(left))
                    .orElse("never");
        }

        /** 29d 23h, 5h 3m, 42s: the two largest units. */
        static String human(Duration d) {
            long s = d.toSeconds();
            long days = s / 86_400;
            long hours = s % 86_400 / 3_600;
            long minutes = s % 3_600 / 60;
            if (days > 0) {
                return hours == 0 ? days + "d" : days + "d " + hours + "h";
            }
            if (hours > 0) {
                return minutes == 0 ? hours + "h" : hours + "h " + minutes + "m";
            }
            return minutes > 0 ? minutes + "m" : s + "s";
        }
    }

    @Command(name = "model", mixinStandardHelpOptions = true,
            description = {"Translate one text through the configured model chain (or one named provider) and print "
                    + "the provider that answered, latency, tokens, cost and the fallback path taken.",
                    "The tenant's compliance policy (allowed regions, required certifications) applies. Fails when "
                            + "no provider answered."})
    static final class Model implements Callable<Integer> {

        static final String DEFAULT_TENANT = "smoke";

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        @Option(names = "--provider", paramLabel = "NAME",
                description = "Ask only this provider of model.providers (default: the whole chain, in order).")
        String provider;

        @Option(names = "--tenant", paramLabel = "ID", defaultValue = DEFAULT_TENANT,
                description = "Tenant whose tone, target languages and provider policy apply; default ${DEFAULT-VALUE}.")
        String tenant;

        @Option(names = "--text", paramLabel = "TEXT", defaultValue = "Guten Morgen, wie geht es euch allen heute?",
                description = "Text to translate; default: \"${DEFAULT-VALUE}\".")
        String text;

        @Option(names = "--to", paramLabel = "LANG", split = ",",
                description = "Target language(s) (default: the tenant's target languages).")
        List<String> to;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            TlaConfig config = options.load();
            ModelConfig model = ModelConfig.from(config);
            if (provider != null) {
                ModelConfig.Provider only = model.providers().get(provider);
                if (only == null) {
                    throw new IllegalArgumentException("--provider " + provider + " is not in model.providers "
                            + model.providerOrder());
                }
                model = new ModelConfig(List.of(provider), Map.of(provider, only), model.maxOutputTokens(),
                        model.maxInputTokens(), model.cacheTtl(), model.cacheMaxEntries());
            }
            TranslationConfig translation = TranslationConfig.from(config);
            List<String> targets = to == null || to.isEmpty() ? translation.targetLanguagesFor(tenant) : to;
            ModelProvider chain = ModelProviders.chain(model, SecretStores.create(config, System.getenv()),
                    new SimpleMeterRegistry(), Clock.systemUTC(), ComplianceConfig.from(config));
            ModelRequest request = new ModelRequest(tenant, "smoke-" + UUID.randomUUID(), "smoke-" + UUID.randomUUID(),
                    text, targets, List.of(), model.maxOutputTokens(), "und", translation.toneFor(tenant), List.of());

            out.printf("chain: %s; tenant %s; %d character(s) into %s%n", String.join(" -> ", model.providerOrder()),
                    tenant, text.length(), String.join(",", targets));
            long started = System.nanoTime();
            ModelResponse response;
            List<ModelResponse.Fallback> fallbacks;
            Throwable failure = null;
            try {
                response = chain.translate(request).toCompletableFuture()
                        .orTimeout(model.chainTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS).join();
                fallbacks = response.fallbacks();
            } catch (CompletionException | CancellationException e) {
                response = null;
                failure = e.getCause() != null ? e.getCause() : e;
                fallbacks = failure instanceof AllProvidersFailedException all ? all.fallbacks() : List.of();
            }
            long latencyMs = (System.nanoTime() - started) / 1_000_000;

            for (ModelResponse.Fallback fallback : fallbacks) {
                out.printf("fallback %d: %s -> %s (%s)%n", fallback.attempt(), fallback.from(), fallback.to(),
                        fallback.reason());
            }
            out.println("path: " + path(fallbacks, response == null ? ModelResponse.Fallback.NONE : response.provider()));
            out.printf("latency: %d ms%n", latencyMs);
            if (response == null) {
                // the provider's reason, never a response body or key (ProviderException messages hold neither)
                err.println("FAIL no provider answered: " + (failure instanceof ProviderException p
                        ? p.getMessage() : failure.getClass().getSimpleName()));
                out.println("smoke model: failed");
                return 1;
            }
            out.printf("provider: %s (model %s)%n", response.provider(), response.model());
            out.printf("tokens: %d in, %d out%n", response.usage().inputTokens(), response.usage().outputTokens());
            out.printf("cost: %s USD%n", response.usage().costUsd().stripTrailingZeros().toPlainString());
            out.printf("source language: %s%n", response.sourceLanguage());
            for (Translation t : response.translations()) {
                out.printf("translation %s: %s%n", t.language(), t.text());
            }
            out.println("smoke model: ok");
            return 0;
        }

        /** primary (http-500) -> backup: each provider passed over with its reason, then who answered or none. */
        static String path(List<ModelResponse.Fallback> fallbacks, String answered) {
            StringBuilder path = new StringBuilder();
            for (ModelResponse.Fallback fallback : fallbacks) {
                path.append(fallback.from()).append(" (").append(fallback.reason()).append(") -> ");
            }
            return path.append(answered).toString();
        }
    }

    /** 14d, 12h, 30m, 90s, 0, or an ISO-8601 duration (P14D, PT12H). */
    /** Prints one check's outcome: a line per fact, then ok or FAIL with the detail. */
    static int print(PrintWriter out, PrintWriter err, SmokeChecks.Result result) {
        result.facts().forEach((name, value) -> out.printf("  %s: %s%n", name, value));
        if (result.ok()) {
            out.printf("smoke %s: ok, %s%n", result.check(), result.detail());
        } else {
            err.printf("FAIL %s: %s%n", result.check(), result.detail());
            out.printf("smoke %s: failed%n", result.check());
        }
        out.flush();
        err.flush();
        return result.ok() ? 0 : 1;
    }

    @Command(name = "reply", mixinStandardHelpOptions = true,
            description = "Send a signed message to the running ingress and wait until its reply is delivered"
                    + " (outbox or Graph), with timings.")
    static final class Reply implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        /** Not in any tenant's usual only target language (English), so it gets a reply rather than a skip. */
        static final String DEFAULT_TEXT = "Smoke test: Guten Morgen, wie geht es euch allen heute?";

        @Option(names = "--text", defaultValue = DEFAULT_TEXT,
                description = "The message text (default: ${DEFAULT-VALUE}).")
        String text;

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
                description = "How long to wait for the delivered reply (default: ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() throws Exception {
            return print(spec.commandLine().getOut(), spec.commandLine().getErr(),
                    SmokeChecks.reply(options.load(), text, timeout));
        }
    }

    @Command(name = "metrics", mixinStandardHelpOptions = true,
            description = "Scrape the running instance's /metrics and check the series dashboards and alerts use.")
    static final class Metrics implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        @Override
        public Integer call() throws Exception {
            return print(spec.commandLine().getOut(), spec.commandLine().getErr(), SmokeChecks.metrics(options.load()));
        }
    }

    @Command(name = "graph-scopes", mixinStandardHelpOptions = true,
            description = "Get a Graph token as the reply connector does, decode its roles and scopes, and print the"
                    + " gap to what graph.auth.mode needs.")
    static final class GraphScopes implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        @Option(names = "--user", paramLabel = "AAD_OBJECT_ID",
                description = "obo: the sender whose assertion to use (graph.auth.user-assertion-secret-prefix + id).")
        String user;

        @Override
        public Integer call() {
            return print(spec.commandLine().getOut(), spec.commandLine().getErr(),
                    SmokeChecks.graphScopes(options.load(), user));
        }
    }

    @Command(name = "ready", mixinStandardHelpOptions = true,
            description = {"Run secrets, reply, metrics (and graph-scopes when reply.sink=graph) against the running"
                    + " instance and write the readiness file data.dir/readiness/last-smoke.json.",
                    "Exits non-zero when any check fails; the file records the failure too."})
    static final class Ready implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
                description = "How long the reply check waits (default: ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            TlaConfig config = options.load();
            List<SmokeChecks.Result> results = new ArrayList<>();
            Secrets secrets = new Secrets();
            secrets.options = options;
            StringWriter secretsErr = new StringWriter();
            int secretsExit = new CommandLine(secrets).setOut(out).setErr(new PrintWriter(secretsErr, true))
                    .execute();
            err.print(secretsErr);
            results.add(new SmokeChecks.Result("secrets", secretsExit == 0, secretsExit == 0
                    ? "every configured secret is usable" : secretsErr.toString().strip(), Map.of()));
            check(results, "reply", () -> SmokeChecks.reply(config, Reply.DEFAULT_TEXT, timeout));
            check(results, "metrics", () -> SmokeChecks.metrics(config));
            if ("graph".equals(ReplyConfig.from(config).sink())) {
                check(results, "graph-scopes", () -> SmokeChecks.graphScopes(config, null));
            }
            Path file = SmokeChecks.writeReadiness(config, Instant.now(), results);
            boolean ok = results.stream().allMatch(SmokeChecks.Result::ok);
            out.printf("smoke ready: %s; readiness file %s%n", ok ? "ok" : "NOT ready ("
                    + results.stream().filter(r -> !r.ok()).map(SmokeChecks.Result::check).toList() + " failed)", file);
            return ok ? 0 : 1;
        }

        /** Runs one check under its heading, prints it and keeps its result. */
        private void check(List<SmokeChecks.Result> results, String name, Callable<SmokeChecks.Result> check)
                throws Exception {
            spec.commandLine().getOut().println("== " + name);
            SmokeChecks.Result result = check.call();
            print(spec.commandLine().getOut(), spec.commandLine().getErr(), result);
            results.add(result);
        }
    }

    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern SHORT = Pattern.compile("(\\d+)([dhms]?)");

        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            Matcher m = SHORT.matcher(v);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "d" -> Duration.ofDays(n);
                    case "h" -> Duration.ofHours(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "s" -> Duration.ofSeconds(n);
                    default -> {
                        if (n != 0) {
                            throw new CommandLine.TypeConversionException("give a unit (d, h, m or s): " + value);
                        }
                        yield Duration.ZERO;
                    }
                };
            }
            try {
                Duration d = Duration.parse(value.trim().toUpperCase(Locale.ROOT));
                if (d.isNegative()) {
                    throw new CommandLine.TypeConversionException("must not be negative: " + value);
                }
                return d;
            } catch (DateTimeParseException e) {
                throw new CommandLine.TypeConversionException("not a duration: " + value + " (use 14d, 12h, 30m, 90s or P14D)");
            }
        }
    }
}
