package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tla.platform.config.BudgetConfig;
import io.tla.platform.config.ComplianceConfig;
import io.tla.platform.config.DashboardConfig;
import io.tla.platform.config.DataConfig;
import io.tla.platform.config.GraphConfig;
import io.tla.platform.config.HttpConfig;
import io.tla.platform.config.KafkaSettings;
import io.tla.platform.config.ManagementConfig;
import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.ReplyConfig;
import io.tla.platform.config.SecretsConfig;
import io.tla.platform.config.StreamsSettings;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.config.TranslationConfig;
import io.tla.platform.config.WebhookConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Checks docker-compose.yml against the application itself, where no Docker engine runs: the tla services' commands
 * parse to every role, their environment holds only known keys with valid values, and secrets come only from .env.
 * (`docker compose config` in .ci/run checks the file's syntax and interpolation; it knows nothing of tla's keys.)
 */
class ComposeStackTest {

    private static final Path ROOT = Path.of("..");
    // ${NAME}, ${NAME:-default}, ${NAME:?message}: the forms the compose file uses.
    private static final Pattern INTERPOLATION = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-?])([^}]*))?}");

    private static Map<String, Object> services;
    private static Map<String, String> envExample;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        // SnakeYAML resolves the file's anchors and merge keys (<<) as compose does.
        Map<String, Object> compose = new Yaml().load(Files.readString(ROOT.resolve("docker-compose.yml")));
        services = (Map<String, Object>) compose.get("services");
        envExample = new LinkedHashMap<>();
        for (String line : Files.readAllLines(ROOT.resolve(".env.example"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                int eq = line.indexOf('=');
                envExample.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(String name) {
        return (Map<String, Object>) services.get(name);
    }

    /** Services that run the application image. */
    private static List<String> tlaServices() {
        return services.keySet().stream().filter(name -> ".".equals(service(name).get("build"))).toList();
    }

    @SuppressWarnings("unchecked")
    private static List<String> command(String name) {
        return (List<String>) service(name).get("command");
    }

    private static Role role(String name) {
        List<String> command = command(name);
        Set<Role> roles = Role.parse(command.get(command.indexOf("--role") + 1));
        assertThat(roles).as("roles of %s", name).hasSize(1);
        return roles.iterator().next();
    }

    /** The service's environment as the container gets it, with .env.example's values interpolated. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> environment(String name) {
        Map<String, String> env = new LinkedHashMap<>();
        ((Map<String, Object>) service(name).get("environment")).forEach((key, value) ->
                env.put(key, interpolate(String.valueOf(value))));
        return env;
    }

    private static String interpolate(String value) {
        Matcher m = INTERPOLATION.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String variable = m.group(1);
            String replacement = envExample.get(variable);
            if (replacement == null) {
                assertThat(m.group(2)).as("${%s} has no value in .env.example and no default", variable).isEqualTo("-");
                replacement = m.group(3);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        return m.appendTail(out).toString();
    }

    @Test
    void everyRoleRunsInItsOwnServiceAgainstTheComposeBrokerNotAnEmbeddedOne() {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String name : tlaServices()) {
            assertThat(command(name)).as("command of %s", name).startsWith("run");
            roles.add(role(name));
            KafkaSettings kafka = KafkaSettings.from(TlaConfig.load(null, environment(name), Map.of()));
            assertThat(kafka.embedded()).as("%s starts an embedded broker", name).isFalse();
            assertThat(kafka.bootstrapServers()).as("bootstrap of %s", name).contains("kafka:9092");
        }
        assertThat(roles).isEqualTo(EnumSet.allOf(Role.class));
        assertThat(String.valueOf(((Map<?, ?>) service("kafka").get("environment")).get("KAFKA_ADVERTISED_LISTENERS")))
                .contains("PLAINTEXT://kafka:9092");
    }

    @Test
    void everyTlaVariableOfEveryServiceIsAKnownKeyWithAValidValue() {
        for (String name : tlaServices()) {
            TlaConfig config = TlaConfig.load(null, environment(name), Map.of());
            assertThat(config.warnings()).as("unknown variables of %s", name).isEmpty();
            // The same parse TlaRuntime does before starting anything: an invalid value throws, naming the key.
            HttpConfig.from(config);
            // refuses management.auth=none off loopback, as the start would
            ManagementConfig.from(config);
            assertThat(DataConfig.from(config).dataDir()).isEqualTo(Path.of("/data"));
            StreamsSettings.from(config);
            SecretsConfig.from(config);
            WebhookConfig.from(config);
            ModelConfig.from(config);
            TranslationConfig.from(config);
            ComplianceConfig.from(config);
            BudgetConfig.from(config);
            ReplyConfig.from(config);
            GraphConfig.from(config);
            DashboardConfig.from(config);
        }
    }

    @Test
    void theDashboardStoresInTheComposePostgresAndTheOtherRolesAgreeOnTopicLayout() {
        String dashboard = tlaServices().stream().filter(name -> role(name) == Role.DASHBOARD).findFirst().orElseThrow();
        Map<String, String> postgres = environment("postgres");
        assertThat(DashboardConfig.from(TlaConfig.load(null, environment(dashboard), Map.of())).storeUrl())
                .isEqualTo("jdbc:postgresql://postgres:5432/" + postgres.get("POSTGRES_DB") + "?user="
                        + postgres.get("POSTGRES_USER") + "&password=" + postgres.get("POSTGRES_PASSWORD"));
        // Every role creates the topics that are missing; they must all create them alike.
        Set<String> layouts = new TreeSet<>();
        for (String name : tlaServices()) {
            Map<String, String> env = environment(name);
            layouts.add(env.get("TLA_TOPICS_PARTITIONS") + "x" + env.get("TLA_TOPICS_REPLICATION_FACTOR"));
        }
        assertThat(layouts).hasSize(1);
    }

    @Test
    void topologyInstancesShareOneStreamsApplicationAndEachServiceKeepsItsOwnDataVolume() {
        List<String> topology = tlaServices().stream().filter(name -> role(name) == Role.TOPOLOGY).toList();
        assertThat(topology).hasSizeGreaterThanOrEqualTo(2);
        Set<String> applicationIds = new TreeSet<>();
        for (String name : topology) {
            applicationIds.add(StreamsSettings.from(TlaConfig.load(null, environment(name), Map.of())).applicationId());
        }
        assertThat(applicationIds).hasSize(1);

        List<String> dataVolumes = new ArrayList<>();
        for (String name : tlaServices()) {
            @SuppressWarnings("unchecked")
            List<String> volumes = (List<String>) service(name).get("volumes");
            List<String> data = volumes.stream().filter(v -> v.endsWith(":/data")).toList();
            assertThat(data).as("/data volume of %s", name).hasSize(1);
            dataVolumes.add(data.get(0));
        }
        // Two instances on one state directory would fight over its lock and its checkpoints.
        assertThat(dataVolumes).doesNotHaveDuplicates();
    }

    @Test
    void secretsAreRequiredFromTheEnvironmentFileAndTheExampleHoldsOnlyPlaceholders() throws IOException {
        for (String name : services.keySet()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> env = (Map<String, Object>) service(name).get("environment");
            if (env == null) {
                continue;
            }
            env.forEach((key, value) -> {
                if (key.startsWith("TLA_SECRET_") || key.contains("PASSWORD")) {
                    assertThat(String.valueOf(value)).as("%s of %s", key, name).matches("\\$\\{[A-Z0-9_]+:\\?[^}]+}");
                }
                if (String.valueOf(value).contains("password=")) {
                    assertThat(String.valueOf(value)).as("%s of %s", key, name).matches(".*password=\\$\\{[A-Z0-9_]+:\\?[^}]+}.*");
                }
            });
        }
        envExample.forEach((key, value) -> assertThat(value).as(key).startsWith("replace-"));
        assertThat(Files.readAllLines(ROOT.resolve(".gitignore"))).contains(".env");
    }

    @Test
    @SuppressWarnings("unchecked")
    void prometheusScrapesEveryTlaServiceOnItsManagementPortWithTheToken() throws IOException {
        Path prometheus = ROOT.resolve("ops/prometheus/prometheus.yml");
        assumeTrue(Files.exists(prometheus), "ops/prometheus/prometheus.yml not present");
        Map<String, Object> config = new Yaml().load(Files.readString(prometheus));
        Map<String, Map<String, Object>> jobsByTarget = new LinkedHashMap<>();
        for (Map<String, Object> job : (List<Map<String, Object>>) config.get("scrape_configs")) {
            for (Map<String, Object> group : (List<Map<String, Object>>) job.get("static_configs")) {
                ((List<String>) group.get("targets")).forEach(target -> jobsByTarget.put(target, job));
            }
        }
        String tokenFile = null;
        for (String name : tlaServices()) {
            ManagementConfig management = ManagementConfig.from(TlaConfig.load(null, environment(name), Map.of()));
            Map<String, Object> job = jobsByTarget.get(name + ":" + management.port());
            assertThat(job).as("scrape job of %s on its management port", name).isNotNull();
            Map<String, Object> authorization = (Map<String, Object>) job.get("authorization");
            assertThat(authorization).as("authorization of the scrape of %s", name).isNotNull();
            assertThat(authorization.get("type")).isEqualTo("Bearer");
            tokenFile = String.valueOf(authorization.get("credentials_file"));
        }
        // the file Prometheus reads is the one its container writes from .env
        String prometheusCommand = String.valueOf(service("prometheus").get("command"));
        assertThat(prometheusCommand).contains("> " + tokenFile);
        assertThat(String.valueOf(service("prometheus").get("environment"))).contains("TLA_SECRET_MANAGEMENT_TOKEN");
    }

    @Test
    @SuppressWarnings("unchecked")
    void managementPortsArePublishedOnTheHostsLoopbackOnlyAndAskForAToken() {
        boolean dashboardPublished = false;
        for (String name : tlaServices()) {
            ManagementConfig management = ManagementConfig.from(TlaConfig.load(null, environment(name), Map.of()));
            assertThat(management.auth()).as("management.auth of %s", name).isNotEqualTo("none");
            HttpConfig http = HttpConfig.from(TlaConfig.load(null, environment(name), Map.of()));
            for (Object entry : (List<Object>) service(name).getOrDefault("ports", List.of())) {
                String mapping = String.valueOf(entry);
                String[] parts = mapping.split(":");
                int containerPort = Integer.parseInt(parts[parts.length - 1].split("/")[0]);
                if (containerPort == management.port()) {
                    assertThat(parts).as("published management port of %s: %s", name, mapping).hasSize(3);
                    assertThat(parts[0]).as("host address of %s's management port", name).isEqualTo("127.0.0.1");
                    dashboardPublished |= role(name) == Role.DASHBOARD;
                } else {
                    // anything else a tla service publishes is the webhook listener
                    assertThat(containerPort).as("port %s of %s", mapping, name).isEqualTo(http.port());
                    assertThat(role(name)).as("%s publishes the webhook port", name).isEqualTo(Role.INGRESS);
                }
            }
        }
        assertThat(dashboardPublished).as("the dashboard's management port is published on 127.0.0.1").isTrue();
    }
}
