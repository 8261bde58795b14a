package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.platform.kafka.KafkaClients;
import io.tla.schemas.LanguagePreference;
import io.tla.schemas.Topics;
import io.tla.topology.preferences.LanguagePreferencesTopic;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tla languages add}, {@code remove} and {@code list}, called in-process against an embedded broker. */
class LanguagesCommandTest {

    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final String CHANNEL = "19:d8a1c2e3f4b5a6978812ab34cd56ef78@thread.tacv2";
    private static final String ANNA = "b1e0c4d2-7f3a-4a8e-9c1d-2e5f6a7b8c9d";

    @TempDir
    static Path brokerDir;

    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaBroker(brokerDir.resolve("kafka"), 0, 0).start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private record Run(int exitCode, String out, String err) {
    }

    private static Run tla(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--set", "kafka.bootstrap.servers=" + broker.bootstrapServers(), "--set", "topics.partitions=3"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new TlaCommand()).setExecutionExceptionHandler(new TlaCommand.Errors());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    private static LanguagePreferencesTopic.Snapshot topic() {
        return LanguagePreferencesTopic.read(new KafkaClients(broker.bootstrapServers(), Map.of()), Duration.ofSeconds(30));
    }

    @Test
    void addListAndRemoveAChannelsAndAPersonsLanguages() throws Exception {
        Run channel = tla("languages", "add", "--tenant", TENANT, "--channel", CHANNEL, "FR", "de");
        assertThat(channel.exitCode()).as(channel.err()).isZero();
        assertThat(channel.out()).contains("added fr, de: tenant " + TENANT + " channel " + CHANNEL
                + " now has fr, de on tla.languages.v1");
        Run person = tla("languages", "add", "--tenant", TENANT, "--user", ANNA, "pt_br");
        assertThat(person.exitCode()).as(person.err()).isZero();
        Run more = tla("languages", "add", "--tenant", TENANT, "--user", ANNA, "ja", "pt-BR");
        assertThat(more.out()).contains("now has pt-BR, ja");

        LanguagePreference stored = topic().get(TENANT, LanguagePreference.Scope.USER, ANNA);
        assertThat(stored.languages()).containsExactly("pt-BR", "ja");
        assertThat(stored.updatedBy()).startsWith("cli:");

        Run list = tla("languages", "list", "--tenant", TENANT,
                "--set", "tenant." + TENANT + ".user-languages=aad-ben=it",
                "--set", "translation.target-languages=en");
        assertThat(list.exitCode()).as(list.err()).isZero();
        List<String> lines = list.out().lines().toList();
        assertThat(lines.get(0)).matches("SCOPE +ID +LANGUAGES +SOURCE +UPDATED +BY");
        assertThat(lines).hasSize(5);
        assertThat(lines.get(1)).matches("channel +" + Pattern.quote(CHANNEL) + " +fr,de +tla\\.languages\\.v1 +\\S+ +cli:\\S+");
        assertThat(lines.get(2)).matches("user +aad-ben +it +configuration +- +-");
        assertThat(lines.get(3)).matches("user +" + ANNA + " +pt-BR,ja +tla\\.languages\\.v1 +\\S+ +cli:\\S+");
        assertThat(lines.get(4)).isEqualTo("3 entries; every reply also carries the tenant's languages: en");

        Run one = tla("languages", "list", "--tenant", TENANT, "--channel", CHANNEL);
        assertThat(one.out().lines().toList()).hasSize(3);

        Run removed = tla("languages", "remove", "--tenant", TENANT, "--user", ANNA, "pt-BR", "ja");
        assertThat(removed.exitCode()).as(removed.err()).isZero();
        assertThat(removed.out()).contains("now has no languages (cleared)");
        assertThat(topic().get(TENANT, LanguagePreference.Scope.USER, ANNA)).as("a tombstone cleared it").isNull();
        assertThat(topic().get(TENANT, LanguagePreference.Scope.CHANNEL, CHANNEL).languages()).containsExactly("fr", "de");

        Run again = tla("languages", "remove", "--tenant", TENANT, "--user", ANNA, "ja");
        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).startsWith("nothing changed");

        assertThat(tla("languages", "list", "--tenant", "another-tenant").out())
                .startsWith("no channel or person languages for tenant another-tenant");

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.LANGUAGES.name());
            Config config = admin.describeConfigs(Set.of(topic)).all().get().get(topic);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
        }
    }

    @Test
    void badTagsTooManyLanguagesAndBadTargetsAreRefusedBeforeAnythingIsWritten() {
        String tenant = "tenant-refusals";
        Run bad = tla("languages", "add", "--tenant", tenant, "--user", ANNA, "fr", "xx", "german");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("not BCP-47 tags of known languages: xx, german (did you mean de?)");

        tla("languages", "add", "--tenant", tenant, "--user", ANNA, "fr", "de", "it", "es", "pt", "nl", "sv", "da");
        Run tooMany = tla("languages", "add", "--tenant", tenant, "--user", ANNA, "fi", "pl", "cs");
        assertThat(tooMany.exitCode()).isEqualTo(2);
        assertThat(tooMany.err()).contains("at most 10 languages per user");
        assertThat(topic().get(tenant, LanguagePreference.Scope.USER, ANNA).languages()).hasSize(8);

        Run both = tla("languages", "add", "--tenant", tenant, "--user", ANNA, "--channel", CHANNEL, "fr");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("give --channel or --user, not both");
        Run neither = tla("languages", "remove", "--tenant", tenant, "fr");
        assertThat(neither.exitCode()).isEqualTo(2);
        assertThat(neither.err()).contains("give --channel CHANNEL_ID or --user AAD_OBJECT_ID");
        Run slash = tla("languages", "add", "--tenant", "a/b", "--user", ANNA, "fr");
        assertThat(slash.exitCode()).isEqualTo(2);
        assertThat(slash.err()).contains("--tenant may not be empty or contain '/'");
        assertThat(topic().tenant("a/b")).isEmpty();
    }
}
