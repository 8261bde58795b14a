package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.broker.EmbeddedKafkaBroker;
import io.tla.schemas.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tla glossary import} and {@code list}, called in-process against an embedded broker. */
class GlossaryCommandTest {

    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final String CHANNEL = "19:d8a1c2e3f4b5a6978812ab34cd56ef78@thread.tacv2";

    @TempDir
    static Path brokerDir;

    @TempDir
    Path files;

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

    private Path csv(String name, String content) throws Exception {
        Path file = files.resolve(name);
        Files.write(file, content.getBytes(StandardCharsets.UTF_8));
        return file;
    }

    @Test
    void importsACsvWithBomQuotesAndJapaneseAndListsItAsATable() throws Exception {
        String tenant = TENANT;
        Path tenantWide = csv("tenant.csv", "\uFEFFsource,target,language,strict\r\n"
                + "API,Schnittstelle,de,true\r\n"
                + "\"Terms, Conditions\",\"AGB, Geschäftsbedingungen\",de,\r\n"
                + "invoice,請求書,ja,\r\n");
        Run imported = tla("glossary", "import", tenantWide.toString(), "--tenant", tenant);
        assertThat(imported.exitCode()).as(imported.err()).isZero();
        assertThat(imported.out()).contains("imported 3 entries for tenant " + tenant);

        Path channel = csv("channel.csv", "source,target,language\nAPI,API,de\n");
        Run channelImport = tla("glossary", "import", channel.toString(), "--tenant", tenant,
                "--scope", "channel", "--scope-id", CHANNEL, "--strict");
        assertThat(channelImport.exitCode()).as(channelImport.err()).isZero();

        Run list = tla("glossary", "list", "--tenant", tenant);
        assertThat(list.exitCode()).as(list.err()).isZero();
        List<String> lines = list.out().lines().toList();
        assertThat(lines.get(0)).startsWith("SCOPE").contains("SOURCE", "LANGUAGE", "TARGET", "STRICT");
        assertThat(lines).hasSize(6);
        assertThat(lines.get(1)).matches("tenant +- +API +de +Schnittstelle +yes +\\S+");
        assertThat(lines.get(2)).matches("tenant +- +invoice +ja +請求書 +no +\\S+");
        assertThat(lines.get(3)).matches("tenant +- +Terms, Conditions +de +AGB, Geschäftsbedingungen +no +\\S+");
        assertThat(lines.get(4)).matches("channel +" + java.util.regex.Pattern.quote(CHANNEL) + " +API +de +API +yes +\\S+");
        assertThat(lines.get(5)).isEqualTo("4 entries");

        Run channelOnly = tla("glossary", "list", "--tenant", tenant, "--scope", "channel");
        assertThat(channelOnly.out().lines().filter(line -> line.startsWith("tenant"))).isEmpty();
        assertThat(channelOnly.out()).contains("1 entries");

        assertThat(tla("glossary", "list", "--tenant", "another-tenant").out())
                .isEqualTo("no glossary entries for tenant another-tenant" + System.lineSeparator());

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.GLOSSARY.name());
            Config config = admin.describeConfigs(Set.of(topic)).all().get().get(topic);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
        }
    }

    @Test
    void aFileWithBadRowsImportsNothingAndNamesTheLines() throws Exception {
        String tenant = "tenant-bad-rows";
        Path bad = csv("bad.csv", "source,target,language\nAPI,Schnittstelle,de\n,leer,de\nrelease,Freigabe,german\n");
        Run rejected = tla("glossary", "import", bad.toString(), "--tenant", tenant);
        assertThat(rejected.exitCode()).isEqualTo(1);
        assertThat(rejected.err()).contains("bad.csv: line 3: source is empty")
                .contains("bad.csv: line 4: targetLanguage is not a language tag")
                .contains("nothing imported: 2 bad row(s)");
        assertThat(tla("glossary", "list", "--tenant", tenant).out()).startsWith("no glossary entries");

        Run skipping = tla("glossary", "import", bad.toString(), "--tenant", tenant, "--skip-bad-rows");
        assertThat(skipping.exitCode()).as(skipping.err()).isZero();
        assertThat(skipping.out()).contains("imported 1 entries").contains("2 bad row(s) skipped");
        assertThat(tla("glossary", "list", "--tenant", tenant).out()).contains("Schnittstelle").contains("1 entries");
    }

    @Test
    void dryRunChecksTheFileAndWritesNothing() throws Exception {
        String tenant = "tenant-dry-run";
        Path good = csv("good.csv", "source,target,language\nAPI,Schnittstelle,de\n");
        Run dry = tla("glossary", "import", good.toString(), "--tenant", tenant, "--dry-run");
        assertThat(dry.exitCode()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("dry run: 1 entries would be imported").contains("Schnittstelle");
        assertThat(tla("glossary", "list", "--tenant", tenant).out()).startsWith("no glossary entries");
    }

    @Test
    void replaceDeletesTheScopesEntriesMissingFromTheFileAndReimportReplacesByTermInAnyCase() throws Exception {
        String tenant = "tenant-replace";
        tla("glossary", "import", csv("v1.csv", "source,target,language\nAPI,Schnittstelle,de\ndeploy,ausrollen,de\n").toString(),
                "--tenant", tenant);
        tla("glossary", "import", csv("user.csv", "source,target,language\ndeploy,deployen,de\n").toString(),
                "--tenant", tenant, "--scope", "user", "--scope-id", "aad-anna");

        Run replaced = tla("glossary", "import", csv("v2.csv", "source,target,language\napi,Programmierschnittstelle,de\n").toString(),
                "--tenant", tenant, "--replace");
        assertThat(replaced.exitCode()).as(replaced.err()).isZero();
        assertThat(replaced.out()).contains("imported 1 entries").contains("deleted 1");

        String list = tla("glossary", "list", "--tenant", tenant).out();
        assertThat(list).contains("Programmierschnittstelle").doesNotContain("ausrollen").doesNotContain("Schnittstelle ")
                .contains("deployen").contains("2 entries");
    }

    @Test
    void listOnAClusterWithoutTheGlossaryTopicFindsNoEntriesAndCreatesNothing() throws Exception {
        try (EmbeddedKafkaBroker fresh = new EmbeddedKafkaBroker(files.resolve("fresh"), 0, 0).start()) {
            StringWriter out = new StringWriter();
            CommandLine cli = new CommandLine(new TlaCommand()).setExecutionExceptionHandler(new TlaCommand.Errors());
            cli.setOut(new PrintWriter(out, true));
            int exit = cli.execute("glossary", "list", "--tenant", TENANT,
                    "--set", "kafka.bootstrap.servers=" + fresh.bootstrapServers());
            assertThat(exit).isZero();
            assertThat(out.toString()).startsWith("no glossary entries for tenant " + TENANT);
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, fresh.bootstrapServers()))) {
                assertThat(admin.listTopics().names().get()).doesNotContain(Topics.GLOSSARY.name());
            }
        }
    }

    @Test
    void scopeOptionsAreCheckedBeforeAnythingIsRead() throws Exception {
        Path good = csv("scope.csv", "source,target,language\nAPI,Schnittstelle,de\n");
        Run missingId = tla("glossary", "import", good.toString(), "--tenant", TENANT, "--scope", "channel");
        assertThat(missingId.exitCode()).isEqualTo(2);
        assertThat(missingId.err()).contains("--scope channel needs --scope-id");
        Run separator = tla("glossary", "import", good.toString(), "--tenant", "a|b");
        assertThat(separator.exitCode()).isEqualTo(2);
        assertThat(separator.err()).contains("may not be empty or contain '|'");
        Run unknown = tla("glossary", "list", "--tenant", TENANT, "--scope", "team");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown glossary scope: team");
    }
}
