package io.tla.app;

import io.tla.connectors.ingress.HmacSignature;
import io.tla.platform.config.DataConfig;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.WebhookConfig;
import io.tla.platform.config.WebhookConfig.PreviousKey;
import io.tla.platform.config.WebhookConfig.Registration;
import io.tla.platform.secrets.FileSecretStore;
import io.tla.platform.secrets.Secret;
import io.tla.platform.secrets.SecretStore;
import io.tla.platform.secrets.SecretStores;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import io.tla.platform.files.PrivateFiles;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tla webhook}: Teams outgoing-webhook registrations. {@code add} writes a registration into the
 * configuration file and prints the callback URL to paste into Teams; {@code rotate} stores a new key and keeps the
 * old one as the previous key for a grace period; {@code list} shows each registration and whether its keys are
 * usable. Keys are read from stdin and kept in the file secret store ({@code data.dir/secrets}), where the ingress
 * looks after the configured store; they are never printed.
 */
@Command(name = "webhook", mixinStandardHelpOptions = true,
        description = "Teams outgoing-webhook registrations: add one, rotate its key, list them (keys never shown).",
        subcommands = {WebhookCommand.Add.class, WebhookCommand.Rotate.class, WebhookCommand.ListRegistrations.class})
final class WebhookCommand implements Runnable {

    /** Longest input read as a key; a Teams key is about 44 characters. */
    private static final int MAX_KEY_INPUT = 4096;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The secret name {@code add} gives a registration's key. */
    static String secretName(String registration) {
        return "teams-webhook-" + registration;
    }

    /** The secret name {@code rotate} keeps the replaced key under. */
    static String previousSecretName(String secret) {
        return secret + "-previous";
    }

    /** What to paste into Teams' "Callback URL" field. */
    static String callbackUrl(HttpConfig http, String registration) {
        return http.publicBaseUrl() + "/api/messages" + (registration == null ? "" : "?id=" + registration);
    }

    static String requireValidName(String name) {
        if (!WebhookConfig.NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("registration names are lower-case letters and digits: " + name);
        }
        return name;
    }

    /** The key on stdin (base64, as Teams shows it), checked to be usable; the message never contains it. */
    static String readKey(InputStream in) {
        byte[] bytes;
        try {
            bytes = in.readNBytes(MAX_KEY_INPUT + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the key from stdin", e);
        }
        if (bytes.length > MAX_KEY_INPUT) {
            throw new IllegalArgumentException("stdin holds more than " + MAX_KEY_INPUT + " bytes: not a webhook key");
        }
        String key = new String(bytes, StandardCharsets.UTF_8).strip();
        if (key.isEmpty()) {
            throw new IllegalArgumentException("no key on stdin: pipe or paste the key Teams shows (base64)");
        }
        HmacSignature.requireUsableKey(key);
        return key;
    }

    /** The configuration file of {@code --config} or {@code TLA_CONFIG}, or null when there is none. */
    static Path configFile(TlaCommand.ConfigOptions options, Map<String, String> env) {
        if (options.configFile != null) {
            return options.configFile;
        }
        String fromEnv = env.get(TlaConfig.CONFIG_FILE_ENV);
        return fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv);
    }

    /** The configuration as the process would load it; a configuration file that does not exist yet counts as empty. */
    static TlaConfig load(Path file, TlaCommand.ConfigOptions options, Map<String, String> env) {
        Map<String, String> withoutFile = new HashMap<>(env);
        withoutFile.remove(TlaConfig.CONFIG_FILE_ENV);
        return TlaConfig.load(file != null && Files.exists(file) ? file : null, withoutFile, options.overrides);
    }

    /**
     * Writes (or replaces) a secret in the file store: a private temporary file moved into place, so a reader sees
     * the old or the new value, never a partial one.
     */
    static void writeSecret(FileSecretStore files, String name, String value) {
        Path path = files.pathOf(name);
        try {
            files.directory(); // 0700
            Path temp = Files.createTempFile(path.getParent(), "." + name, ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(temp, value + "\n", StandardCharsets.UTF_8);
                moveIntoPlace(temp, path);
                PrivateFiles.file(path); // the temporary file was 0600; a replaced file keeps none of its old mode
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write secret file " + path, e);
        }
    }

    private static void moveIntoPlace(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Where a key is found: the configured store first, then {@code data.dir/secrets}, as the ingress looks. */
    record FoundKey(Secret secret, String store, String location) {
    }

    static Optional<FoundKey> findKey(SecretStore configured, FileSecretStore files, String name) {
        Optional<Secret> fromConfigured = configured.get(name);
        if (fromConfigured.isPresent()) {
            return Optional.of(new FoundKey(fromConfigured.get(), configured.kind(), configured.locationOf(name)));
        }
        return files.get(name).map(secret -> new FoundKey(secret, files.kind(), files.locationOf(name)));
    }

    /** {@code usable}, {@code missing}, {@code unusable} or {@code unreadable}, never the value. */
    static String keyState(SecretStore configured, FileSecretStore files, String name) {
        Optional<FoundKey> found;
        try {
            found = findKey(configured, files, name);
        } catch (RuntimeException e) {
            return "unreadable (" + e.getClass().getSimpleName() + ")";
        }
        if (found.isEmpty()) {
            return "missing";
        }
        try {
            HmacSignature.of(found.get().secret());
            return "usable (" + found.get().store() + ")";
        } catch (IllegalArgumentException e) {
            return "unusable (" + found.get().store() + ": not base64)";
        }
    }

    /**
     * Applies settings to the configuration file (or, without one, prints them): the lines are replaced where the
     * keys are set and appended otherwise, the rest of the file stays as it is. The edited file must parse as a
     * valid configuration before it replaces the old one.
     */
    static void applySettings(Path file, Map<String, String> settings, String comment, TlaCommand.ConfigOptions options,
                              Map<String, String> env, PrintWriter out) {
        if (file == null) {
            out.println("no configuration file (--config or TLA_CONFIG): add these lines to it, or set the"
                    + " TLA_ environment forms:");
            settings.forEach((key, value) -> out.println("  " + key + "=" + PropertiesFile.escape(value)));
            return;
        }
        PropertiesFile properties = PropertiesFile.read(file);
        settings.forEach(properties::set);
        properties.save(comment, temp -> {
            TlaConfig edited = load(temp, options, env);
            WebhookConfig.from(edited);
            HttpConfig.from(edited);
        });
        out.println("updated " + file + ": " + String.join(", ", settings.keySet()));
    }

    /** True when the configured store (not the file store) holds {@code secret}, so the ingress would use that. */
    static boolean shadowedByConfiguredStore(TlaConfig config, Map<String, String> env, String secret) {
        try {
            SecretStore configured = SecretStores.create(config, env);
            return !(configured instanceof FileSecretStore) && configured.get(secret).isPresent();
        } catch (RuntimeException e) {
            return false; // an unreachable store is the ingress's problem to report, not this command's
        }
    }

    /** A setting the environment or {@code --set} overrides is not what the file says: say so. */
    static void warnOverridden(TlaConfig config, Iterable<String> keys, PrintWriter err) {
        for (String key : keys) {
            String origin = config.origin(key);
            if (origin.startsWith("environment") || origin.equals("command line")) {
                err.println("warning: " + key + " is also set by the " + origin + ", which takes precedence over the file");
            }
        }
    }

    /** The registrations list with {@code name} added (in the form the file or the environment has it). */
    static String withRegistration(WebhookConfig webhook, String name) {
        List<String> names = new ArrayList<>(webhook.registrations().keySet());
        if (!names.contains(name)) {
            names.add(name);
        }
        return String.join(",", names);
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Add (or update) a webhook registration and print the callback URL to paste into Teams.",
                    "Writes webhook.registrations and webhook.registration.NAME.* into the configuration file (or prints "
                            + "the lines without one). With --key-stdin, stores the key Teams shows (base64) as secret "
                            + "teams-webhook-NAME in data.dir/secrets."})
    static final class Add implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        @Parameters(index = "0", paramLabel = "NAME", description = "Registration name: lower-case letters and digits.")
        String name;

        @Option(names = "--tenant-id", paramLabel = "T",
                description = "The tenant this key speaks for (required for a new registration): a body naming"
                        + " another gets 403, and every accepted message carries this tenant.")
        String tenantId;

        @Option(names = "--team-id", paramLabel = "TEAM",
                description = "Bind the key to one team (thread id 19:...@thread.tacv2, or AAD group id): a body from"
                        + " another team, or a chat, gets 403.")
        String teamId;

        @Option(names = "--team-aad-group-id", paramLabel = "G", description = "The team's AAD group id (Graph replies).")
        String teamAadGroupId;

        @Option(names = "--sync-reply", negatable = true,
                description = "Answer Teams' call with the translation when it is ready within 5 s (default: false).")
        Boolean syncReply;

        @Option(names = "--key-stdin", description = "Read the key Teams shows (base64) from stdin and store it.")
        boolean keyStdin;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            requireValidName(name);
            Map<String, String> env = System.getenv();
            Path file = configFile(options, env);
            TlaConfig config = load(file, options, env);
            WebhookConfig webhook = WebhookConfig.from(config);
            HttpConfig http = HttpConfig.from(config);
            Registration existing = webhook.registrations().get(name);
            String secret = existing != null ? existing.secret() : secretName(name);
            FileSecretStore files = new FileSecretStore(DataConfig.from(config).secretsDir());

            // everything that can fail is checked before anything is written
            String key = keyStdin ? readKey(System.in) : null;
            Optional<Secret> stored = files.get(secret);
            if (key != null && stored.isPresent() && !stored.get().reveal().equals(key)) {
                throw new IllegalStateException("secret " + secret + " in " + files.locationOf(secret)
                        + " already holds another key: replace it with `tla webhook rotate " + name + "`");
            }

            Map<String, String> settings = new LinkedHashMap<>();
            settings.put(WebhookConfig.REGISTRATIONS, withRegistration(webhook, name));
            String prefix = WebhookConfig.REGISTRATION_PREFIX + name + ".";
            settings.put(prefix + "secret", secret);
            if (tenantId != null && !tenantId.isBlank()) {
                settings.put(prefix + "tenant-id", tenantId.strip());
            } else if (existing == null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--tenant-id is required: every webhook key speaks for exactly one tenant");
            }
            if (teamId != null) {
                settings.put(prefix + "team-id", teamId.strip());
            }
            if (teamAadGroupId != null) {
                settings.put(prefix + "team-aad-group-id", teamAadGroupId.strip());
            }
            if (syncReply != null || existing == null) {
                settings.put(prefix + "sync-reply", Boolean.toString(Boolean.TRUE.equals(syncReply)));
            }

            if (key != null && shadowedByConfiguredStore(config, env, secret)) {
                err.println("warning: the configured secret store also holds " + secret + " and takes precedence over"
                        + " data.dir/secrets: the ingress uses that value");
            }
            if (key != null && stored.isEmpty()) {
                writeSecret(files, secret, key);
                out.println("stored the key as secret " + secret + " in " + files.locationOf(secret));
            } else if (key != null) {
                out.println("secret " + secret + " in " + files.locationOf(secret) + " already holds this key");
            }
            applySettings(file, settings, "webhook registration " + name + " (tla webhook add)", options, env, out);
            if (file != null) {
                warnOverridden(config, settings.keySet(), err);
            }

            out.println((existing == null ? "added" : "updated") + " webhook registration " + name);
            out.println("callback URL (paste into Teams): " + callbackUrl(http, name));
            if (key == null) {
                out.println("next: store the key Teams shows as secret " + secret + ", e.g. `tla webhook add " + name
                        + " --key-stdin` (or the configured secret store)");
            }
            if (http.publicUrl() == null) {
                out.println("note: " + HttpConfig.PUBLIC_URL + " is not set; Teams must reach this server over HTTPS,"
                        + " so set it to the public address before pasting the URL");
            }
            out.println("restart the ingress instances to load the registration");
            return 0;
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = {"Store a new key (base64, from stdin) for a registration and keep its old key as the "
                    + "previous key, accepted for --grace.",
                    "The keys are kept in data.dir/secrets: the new one under the registration's secret name, the old "
                            + "one under <secret>-previous; previous-secret and previous-secret-until are written into "
                            + "the configuration file (or printed without one)."})
    static final class Rotate implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        @Parameters(index = "0", paramLabel = "NAME", description = "The registration whose key is replaced.")
        String name;

        @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "24h",
                converter = SmokeCommand.DurationConverter.class,
                description = "How long the old key stays accepted: 24h, 2d, 30m or ISO-8601 (default: ${DEFAULT-VALUE}).")
        Duration grace;

        private final Clock clock;

        Rotate() {
            this(Clock.systemUTC());
        }

        Rotate(Clock clock) {
            this.clock = clock;
        }

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            requireValidName(name);
            if (grace.isZero() || grace.isNegative()) {
                throw new IllegalArgumentException("--grace must be positive: the old key needs time to go out of use");
            }
            Map<String, String> env = System.getenv();
            Path file = configFile(options, env);
            TlaConfig config = load(file, options, env);
            Registration registration = WebhookConfig.from(config).registrations().get(name);
            if (registration == null) {
                throw new IllegalArgumentException("no webhook registration '" + name + "' (add it with `tla webhook add "
                        + name + "`)");
            }
            String secret = registration.secret();
            String previousSecret = previousSecretName(secret);
            FileSecretStore files = new FileSecretStore(DataConfig.from(config).secretsDir());
            SecretStore configured = SecretStores.create(config, env);
            if (!(configured instanceof FileSecretStore) && configured.get(secret).isPresent()) {
                // the configured store wins over data.dir/secrets: a new key written there would never be used
                throw new IllegalStateException("the current key of " + name + " is in the " + configured.kind()
                        + " store (" + configured.locationOf(secret) + "), which this command does not write: store the"
                        + " new key there and the old one as " + previousSecret + ", then set "
                        + WebhookConfig.REGISTRATION_PREFIX + name + ".previous-secret and .previous-secret-until"
                        + " (docs/webhooks.md)");
            }
            Secret current = files.get(secret).orElseThrow(() -> new IllegalStateException("no current key for "
                    + name + " (secret " + secret + " in " + files.locationOf(secret) + "): store it with `tla webhook add "
                    + name + " --key-stdin`"));
            String key = readKey(System.in);
            if (key.equals(current.reveal())) {
                throw new IllegalArgumentException("the new key is the current key of " + name + ": nothing to rotate");
            }
            Instant until = clock.instant().plus(grace).truncatedTo(ChronoUnit.SECONDS);
            PreviousKey replaced = registration.previousKey();

            String prefix = WebhookConfig.REGISTRATION_PREFIX + name + ".";
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put(prefix + "previous-secret", previousSecret);
            settings.put(prefix + "previous-secret-until", until.toString());
            if (file != null) {
                // the edited file is checked before any key is replaced
                PropertiesFile properties = PropertiesFile.read(file);
                settings.forEach(properties::set);
                properties.check(temp -> WebhookConfig.from(load(temp, options, env)));
            }

            // the old key first: from here on both keys exist in the store
            writeSecret(files, previousSecret, current.reveal());
            writeSecret(files, secret, key);
            out.println("stored the new key as secret " + secret + " and kept the old one as " + previousSecret
                    + " in " + files.pathOf(secret).getParent());
            if (replaced != null && replaced.acceptedAt(clock.instant())) {
                out.println("note: the key previously kept as " + replaced.secret() + " (accepted until "
                        + replaced.until() + ") is no longer accepted once the ingress restarts");
            }
            applySettings(file, settings, "webhook registration " + name + " key rotation (tla webhook rotate)",
                    options, env, out);
            if (file != null) {
                warnOverridden(config, settings.keySet(), err);
            }
            out.println("rotated the key of " + name + ": the old key is accepted until " + until);
            out.println("restart the ingress instances one by one; until an instance restarts it accepts only the new key");
            out.println("callback URL (unchanged): " + callbackUrl(HttpConfig.from(config), name));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List the default key and each registration: secret names, whether each key is usable "
                    + "(never a value), sync-reply, the previous key's expiry and the callback URL.",
                    "Exits 1 when a registration's current key is missing or unusable."})
    static final class ListRegistrations implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        private final Clock clock;

        ListRegistrations() {
            this(Clock.systemUTC());
        }

        ListRegistrations(Clock clock) {
            this.clock = clock;
        }

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Map<String, String> env = System.getenv();
            TlaConfig config = load(configFile(options, env), options, env);
            WebhookConfig webhook = WebhookConfig.from(config);
            HttpConfig http = HttpConfig.from(config);
            SecretStore configured = SecretStores.create(config, env);
            FileSecretStore files = new FileSecretStore(DataConfig.from(config).secretsDir());
            Instant now = clock.instant();

            List<String[]> table = new ArrayList<>();
            table.add(new String[] {"NAME", "SECRET", "KEY", "SPEAKS FOR", "SYNC-REPLY", "PREVIOUS SECRET",
                    "PREVIOUS KEY", "PREVIOUS UNTIL", "CALLBACK URL"});
            List<String> problems = new ArrayList<>();
            String defaultState = keyState(configured, files, webhook.defaultKeySecret());
            if (defaultState.equals("missing")) {
                defaultState = "missing (tla run generates it)";
            }
            String defaultTenant = webhook.developmentMode() ? "any tenant (development mode)"
                    : "tenant " + webhook.tenantId();
            table.add(row("(default)", webhook.defaultKeySecret(), defaultState, defaultTenant, "-",
                    webhook.defaultPreviousKey(), configured, files, now, callbackUrl(http, null)));
            for (Registration r : webhook.registrations().values()) {
                String state = keyState(configured, files, r.secret());
                if (!state.startsWith("usable")) {
                    problems.add(r.name() + ": key " + r.secret() + " is " + state);
                }
                table.add(row(r.name(), r.secret(), state, "tenant " + r.tenantId()
                                + (r.teamId() == null ? "" : ", team " + r.teamId()), Boolean.toString(r.syncReply()),
                        r.previousKey(), configured, files, now, callbackUrl(http, r.name())));
            }
            TextTable.print(out, table);
            if (webhook.registrations().isEmpty()) {
                out.println("no registrations: every request is verified with the default key (add one with "
                        + "`tla webhook add NAME`)");
            }
            problems.forEach(problem -> err.println("FAIL " + problem));
            return problems.isEmpty() ? 0 : 1;
        }

        private static String[] row(String name, String secret, String state, String speaksFor, String syncReply,
                                    PreviousKey previous, SecretStore configured, FileSecretStore files, Instant now,
                                    String url) {
            return new String[] {name, secret, state, speaksFor, syncReply,
                    previous == null ? "-" : previous.secret(),
                    previous == null ? "-" : keyState(configured, files, previous.secret()),
                    previous == null ? "-" : previous.until() + (previous.acceptedAt(now) ? "" : " (expired)"),
                    url};
        }
    }

    /**
     * A properties file edited line by line: a key's logical line (with its continuation lines) is replaced in
     * place, new keys are appended under a comment, comments and every other line stay as they are.
     */
    static final class PropertiesFile {

        interface Check {
            void accept(Path edited);
        }

        private final Path path;
        private final List<String> lines;
        private final Map<String, String> appended = new LinkedHashMap<>();

        private PropertiesFile(Path path, List<String> lines) {
            this.path = path;
            this.lines = lines;
        }

        static PropertiesFile read(Path path) {
            try {
                return new PropertiesFile(path, Files.exists(path)
                        ? new ArrayList<>(Files.readAllLines(path, StandardCharsets.UTF_8)) : new ArrayList<>());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read configuration file " + path, e);
            }
        }

        /** Sets {@code key}: replaces its (last) line where it is set, else appends it. */
        void set(String key, String value) {
            String line = key + "=" + escape(value);
            int at = -1;
            int span = 0;
            for (int i = 0; i < lines.size(); i++) {
                int logical = logicalLength(i);
                if (key.equals(keyOf(joined(i, logical)))) {
                    at = i;
                    span = logical;
                }
                i += logical - 1;
            }
            if (at < 0) {
                appended.put(key, line);
                return;
            }
            for (int k = 0; k < span; k++) {
                lines.remove(at);
            }
            lines.add(at, line);
        }

        /** The number of physical lines of the logical line starting at {@code i} (continuations end with {@code \}). */
        private int logicalLength(int i) {
            int n = 1;
            String line = lines.get(i);
            if (isComment(line)) {
                return 1;
            }
            while (endsWithContinuation(line) && i + n < lines.size()) {
                line = lines.get(i + n);
                n++;
            }
            return n;
        }

        private String joined(int i, int count) {
            return String.join("\n", lines.subList(i, i + count));
        }

        private static boolean isComment(String line) {
            String s = line.stripLeading();
            return s.startsWith("#") || s.startsWith("!");
        }

        private static boolean endsWithContinuation(String line) {
            int backslashes = 0;
            for (int i = line.length() - 1; i >= 0 && line.charAt(i) == '\\'; i--) {
                backslashes++;
            }
            return backslashes % 2 == 1;
        }

        /** The key of a logical line as {@link Properties} reads it, or null for blank and comment lines. */
        static String keyOf(String logicalLine) {
            if (logicalLine.isBlank() || isComment(logicalLine)) {
                return null;
            }
            Properties one = new Properties();
            try {
                one.load(new java.io.StringReader(logicalLine));
            } catch (IOException | IllegalArgumentException e) {
                return null;
            }
            return one.stringPropertyNames().stream().findFirst().orElse(null);
        }

        /** A value as a properties file line needs it: backslashes doubled, leading blanks kept, no line breaks. */
        static String escape(String value) {
            if (value.contains("\n") || value.contains("\r")) {
                throw new IllegalArgumentException("configuration values cannot contain line breaks");
            }
            String escaped = value.replace("\\", "\\\\");
            return escaped.startsWith(" ") || escaped.startsWith("\t") ? "\\" + escaped : escaped;
        }

        String content(String comment) {
            List<String> out = new ArrayList<>(lines);
            if (!appended.isEmpty()) {
                if (!out.isEmpty() && !out.get(out.size() - 1).isBlank()) {
                    out.add("");
                }
                out.add("# " + comment);
                out.addAll(appended.values());
            }
            return String.join("\n", out) + "\n";
        }

        /** Writes the edited file next to the original and runs {@code check} on it; the original is unchanged. */
        void check(Check check) {
            Path temp = writeTemp("");
            try {
                check.accept(temp);
            } finally {
                deleteQuietly(temp);
            }
        }

        /** Replaces the file with the edited content once {@code check} accepts it. */
        void save(String comment, Check check) {
            Path temp = writeTemp(comment);
            try {
                check.accept(temp);
                if (Files.exists(path)) {
                    try {
                        Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(path));
                    } catch (UnsupportedOperationException ignored) {
                        // not a POSIX file system: the default permissions apply
                    }
                }
                moveIntoPlace(temp, path);
                PrivateFiles.file(path); // the temporary file was 0600; a replaced file keeps none of its old mode
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write configuration file " + path, e);
            } finally {
                deleteQuietly(temp);
            }
        }

        private Path writeTemp(String comment) {
            try {
                Path dir = path.toAbsolutePath().getParent();
                Files.createDirectories(dir);
                Path temp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
                Files.writeString(temp, content(comment), StandardCharsets.UTF_8);
                return temp;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write next to configuration file " + path, e);
            }
        }

        private static void deleteQuietly(Path temp) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // a leftover temporary file is harmless
            }
        }
    }
}
