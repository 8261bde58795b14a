package io.tla.app;

import io.tla.platform.config.KafkaSettings;
import io.tla.platform.config.LanguagesConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.TranslationConfig;
import io.tla.platform.kafka.KafkaClients;
import io.tla.platform.kafka.TopicAdmin;
import io.tla.schemas.LanguagePreference;
import io.tla.schemas.LanguagePreference.Scope;
import io.tla.schemas.LanguageTag;
import io.tla.schemas.Topics;
import io.tla.topology.preferences.LanguagePreferencesTopic;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tla languages}: add, remove and list the target languages of single channels and people, on the compacted
 * topic {@code tla.languages.v1}. They add to the tenant's languages and to {@code tenant.ID.channel-languages} and
 * {@code tenant.ID.user-languages}; the topology picks a change up within moments, without a restart. Talks to
 * {@code kafka.bootstrap.servers}, or to the embedded broker of a running {@code ./tla run}.
 */
@Command(name = "languages", mixinStandardHelpOptions = true,
        description = "Add, remove and list the target languages of single channels and people.",
        subcommands = {LanguagesCommand.Add.class, LanguagesCommand.Remove.class, LanguagesCommand.ListLanguages.class})
final class LanguagesCommand implements Runnable {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Whose languages: {@code --tenant} and one of {@code --channel} or {@code --user}. */
    static final class Target {
        @Option(names = "--tenant", required = true, paramLabel = "TENANT", description = "Tenant id.")
        String tenant;

        @Option(names = "--channel", paramLabel = "CHANNEL_ID", description = "A Teams channel id (19:...@thread.tacv2).")
        String channel;

        @Option(names = "--user", paramLabel = "AAD_OBJECT_ID", description = "A person's Azure AD object id.")
        String user;

        /** The scope, null when neither was given and {@code required} is false. */
        Scope scope(boolean required) {
            if (tenant.isBlank() || tenant.contains(LanguagePreference.KEY_SEPARATOR)
                    || tenant.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("--tenant may not be empty or contain '/' or white space");
            }
            if (channel != null && user != null) {
                throw new IllegalArgumentException("give --channel or --user, not both");
            }
            if (channel == null && user == null) {
                if (required) {
                    throw new IllegalArgumentException("give --channel CHANNEL_ID or --user AAD_OBJECT_ID");
                }
                return null;
            }
            String id = id();
            if (id.isBlank() || id.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
                throw new IllegalArgumentException((channel != null ? "--channel" : "--user")
                        + " may not be empty or contain white space");
            }
            return channel != null ? Scope.CHANNEL : Scope.USER;
        }

        String id() {
            return channel != null ? channel : user;
        }
    }

    /** Shared by add and remove: read the choice, change it, write it (or clear it) in one transaction. */
    abstract static class Change implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        @Mixin
        Target target = new Target();

        @Parameters(arity = "1..*", paramLabel = "LANG", description = "BCP-47 language tags (fr, de, pt-BR).")
        List<String> languages;

        abstract String verb();

        /** The languages after the change, from {@code before} and the requested {@code tags}. */
        abstract Set<String> apply(List<String> before, List<String> tags);

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Scope scope = target.scope(true);
            List<String> tags = tags(languages);
            TlaConfig config = options.load();
            KafkaClients clients = KafkaClients.forTool(config, System.getenv());
            TopicAdmin.ensureTopics(clients, Topics.COMPACTED, KafkaSettings.from(config).partitions(),
                    KafkaSettings.from(config).replicationFactor(), TIMEOUT);
            LanguagePreference current = LanguagePreferencesTopic.read(clients, TIMEOUT)
                    .get(target.tenant, scope, target.id());
            List<String> before = current == null ? List.of() : current.languages();
            Set<String> after = apply(before, tags);
            String who = describe(target.tenant, scope, target.id());
            if (after.size() > LanguagePreference.MAX_LANGUAGES) {
                throw new IllegalArgumentException("at most " + LanguagePreference.MAX_LANGUAGES + " languages per "
                        + scope.wireName() + "; " + who + " would have " + after.size());
            }
            if (List.copyOf(after).equals(before)) {
                out.printf("nothing changed: %s has %s on %s%n", who, before.isEmpty() ? "no languages"
                        : String.join(", ", before), Topics.LANGUAGES.name());
                return 0;
            }
            String key = LanguagePreference.storeKey(target.tenant, scope, target.id());
            LanguagePreference changed = after.isEmpty() ? null : new LanguagePreference(target.tenant, scope,
                    target.id(), List.copyOf(after), Instant.now().truncatedTo(ChronoUnit.MILLIS), operator());
            LanguagePreferencesTopic.publish(clients, target.tenant, key, changed, TIMEOUT);
            out.printf("%s %s: %s now has %s on %s%n", verb(), String.join(", ", tags), who,
                    after.isEmpty() ? "no languages (cleared)" : String.join(", ", after), Topics.LANGUAGES.name());
            return 0;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Add target languages to a channel (--channel) or a person (--user).",
                    "At most 10 per channel or person; configuration (tenant.ID.*-languages) adds to these."})
    static final class Add extends Change {
        @Override
        String verb() {
            return "added";
        }

        @Override
        Set<String> apply(List<String> before, List<String> tags) {
            Set<String> after = new LinkedHashSet<>(before);
            after.addAll(tags);
            return after;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = {"Remove target languages from a channel (--channel) or a person (--user).",
                    "Removing the last one clears the choice. Languages set by configuration stay until it changes."})
    static final class Remove extends Change {
        @Override
        String verb() {
            return "removed";
        }

        @Override
        Set<String> apply(List<String> before, List<String> tags) {
            Set<String> after = new LinkedHashSet<>(before);
            tags.forEach(after::remove);
            return after;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List a tenant's channel and person languages as a table: those on tla.languages.v1 and",
                    "those configured. Without --channel or --user: all of the tenant's."})
    static final class ListLanguages implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        TlaCommand.ConfigOptions options = new TlaCommand.ConfigOptions();

        @Mixin
        Target target = new Target();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Scope scope = target.scope(false);
            TlaConfig config = options.load();
            LanguagesConfig.Tenant configured = LanguagesConfig.from(config).tenant(target.tenant);
            LanguagePreferencesTopic.Snapshot snapshot = LanguagePreferencesTopic.read(
                    KafkaClients.forTool(config, System.getenv()), TIMEOUT);
            if (snapshot.invalidRecords() > 0) {
                spec.commandLine().getErr().printf("warning: %d record(s) on %s are not valid language choices and "
                        + "were ignored%n", snapshot.invalidRecords(), Topics.LANGUAGES.name());
            }
            List<List<String>> rows = new ArrayList<>();
            for (LanguagePreference preference : snapshot.tenant(target.tenant)) {
                if (matches(scope, preference.scope(), preference.id())) {
                    rows.add(List.of(preference.scope().wireName(), preference.id(),
                            String.join(",", preference.languages()), Topics.LANGUAGES.name(),
                            preference.updatedAt().toString(), preference.updatedBy()));
                }
            }
            addConfigured(rows, scope, Scope.CHANNEL, configured.channels());
            addConfigured(rows, scope, Scope.USER, configured.users());
            List<String> tenantLanguages = TranslationConfig.from(config).targetLanguagesFor(target.tenant);
            if (rows.isEmpty()) {
                out.printf("no channel or person languages for %s (the tenant's: %s)%n",
                        describe(target.tenant, scope, scope == null ? null : target.id()),
                        String.join(", ", tenantLanguages));
                return 0;
            }
            rows.sort((a, b) -> a.get(0).equals(b.get(0)) ? a.get(1).compareTo(b.get(1)) : a.get(0).compareTo(b.get(0)));
            rows.add(0, HEADER);
            printTable(out, rows);
            out.printf("%d entries; every reply also carries the tenant's languages: %s%n", rows.size() - 1,
                    String.join(", ", tenantLanguages));
            return 0;
        }

        private boolean matches(Scope wanted, Scope scope, String id) {
            return wanted == null || (wanted == scope && target.id().equals(id));
        }

        private void addConfigured(List<List<String>> rows, Scope wanted, Scope scope, Map<String, List<String>> ids) {
            ids.forEach((id, languages) -> {
                if (matches(wanted, scope, id)) {
                    rows.add(List.of(scope.wireName(), id, String.join(",", languages), "configuration", "-", "-"));
                }
            });
        }
    }

    private static final List<String> HEADER = List.of("SCOPE", "ID", "LANGUAGES", "SOURCE", "UPDATED", "BY");

    /** Canonical tags; tags that are not valid tags of a known language are an error naming them all. */
    static List<String> tags(List<String> arguments) {
        List<String> tags = new ArrayList<>();
        List<String> invalid = new ArrayList<>();
        for (String argument : arguments) {
            String tag = LanguageTag.canonical(argument);
            if (tag == null) {
                String hint = LanguageTag.forEnglishName(argument);
                invalid.add(argument + (hint == null ? "" : " (did you mean " + hint + "?)"));
            } else if (!tags.contains(tag)) {
                tags.add(tag);
            }
        }
        if (!invalid.isEmpty()) {
            throw new IllegalArgumentException("not BCP-47 tags of known languages: " + String.join(", ", invalid)
                    + "; use tags such as fr, de or pt-BR");
        }
        return tags;
    }

    private static String describe(String tenant, Scope scope, String id) {
        return "tenant " + tenant + (scope == null ? "" : " " + scope.wireName() + " " + id);
    }

    /** Who made a change: {@code cli:} and the operating-system user. */
    private static String operator() {
        String user = System.getProperty("user.name", "unknown");
        return "cli:" + (user.isBlank() ? "unknown" : user.replaceAll("\\s+", "_"));
    }

    private static void printTable(PrintWriter out, List<List<String>> rows) {
        int[] widths = new int[HEADER.size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], GlossaryCommand.displayWidth(row.get(i)));
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(row.get(i));
                if (i < row.size() - 1) {
                    line.append(" ".repeat(widths[i] - GlossaryCommand.displayWidth(row.get(i)) + 2));
                }
            }
            out.println(line);
        }
    }
}
