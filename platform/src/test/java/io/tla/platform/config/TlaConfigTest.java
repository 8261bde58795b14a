package io.tla.platform.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class TlaConfigTest {

    private static final String TENANT = "6f1c-ab";
    private static final String GUID_TENANT = "6f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f";

    @TempDir
    Path dir;

    private Path propertiesFile(String name, String content) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    // --- precedence -------------------------------------------------------------------------------------------

    @Test
    void appliesDefaultsThenFileThenEnvironmentThenOverrides() throws Exception {
        Path file = propertiesFile("tla.properties", """
                http.port=1000
                data.dir=/from/file
                reply.sink=graph
                """);
        TlaConfig config = TlaConfig.load(file,
                Map.of("TLA_HTTP_PORT", "2000", "TLA_DATA_DIR", "/from/env"),
                Map.of("http.port", "3000"));

        assertThat(HttpConfig.from(config).port()).isEqualTo(3000);
        assertThat(DataConfig.from(config).dataDir()).isEqualTo(Path.of("/from/env"));
        assertThat(ReplyConfig.from(config).sink()).isEqualTo("graph");
        assertThat(BudgetConfig.from(config).dailyUsd()).isEqualByComparingTo("5.00");
        assertThat(config.origin("http.port")).isEqualTo("command line");
        assertThat(config.origin("data.dir")).isEqualTo("environment TLA_DATA_DIR");
        assertThat(config.origin("reply.sink")).isEqualTo(file.toString());
        assertThat(config.origin("budget.daily-usd")).isEqualTo("default");
        assertThat(config.warnings()).isEmpty();
    }

    @Test
    void readsThePropertiesFileNamedByTlaConfigWhenNoFileIsGiven() throws Exception {
        Path file = propertiesFile("from-env.properties", "http.port=4321\n");
        TlaConfig config = TlaConfig.load(null, Map.of("TLA_CONFIG", file.toString()), Map.of());
        assertThat(HttpConfig.from(config).port()).isEqualTo(4321);
    }

    @Test
    void explicitConfigFileWinsOverTlaConfig() throws Exception {
        Path named = propertiesFile("named.properties", "http.port=1111\n");
        Path explicit = propertiesFile("explicit.properties", "http.port=2222\n");
        TlaConfig config = TlaConfig.load(explicit, Map.of("TLA_CONFIG", named.toString()), Map.of());
        assertThat(HttpConfig.from(config).port()).isEqualTo(2222);
    }

    @Test
    void unreadableConfigFileIsAConfigExceptionNamingTheFile() {
        Path missing = dir.resolve("missing.properties");
        assertThatThrownBy(() -> TlaConfig.load(missing, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void typedDefaultsApplyWhenNothingIsSet() {
        TlaConfig config = TlaConfig.of(Map.of());
        assertThat(HttpConfig.from(config).port()).isEqualTo(8080);
        assertThat(DataConfig.from(config).dataDir()).isEqualTo(Path.of("./data").toAbsolutePath().normalize());
        KafkaSettings kafka = KafkaSettings.from(config);
        assertThat(kafka.embedded()).isTrue();
        assertThat(kafka.embeddedPort()).isEqualTo(9092);
        assertThat(kafka.embeddedControllerPort()).isEqualTo(9093);
        assertThat(SecretsConfig.from(config).provider()).isEqualTo("env");
        assertThat(ModelConfig.from(config).providerOrder()).containsExactly("offline");
        assertThat(TranslationConfig.from(config).targetLanguages()).containsExactly("en");
        assertThat(BudgetConfig.from(config).dailyUsd()).isEqualByComparingTo("5.00");
        assertThat(ReplyConfig.from(config).sink()).isEqualTo("outbox");
        GraphConfig graph = GraphConfig.from(config);
        assertThat(graph.baseUrl()).isEqualTo("https://graph.microsoft.com/v1.0");
        assertThat(graph.authMode()).isEqualTo("client-secret");
        assertThat(graph.staticTokenSecret()).isEqualTo("graph-token");
        assertThat(StreamsSettings.from(config).processingGuarantee()).isEqualTo("exactly_once_v2");
        assertThat(WebhookConfig.from(config).defaultKeySecret()).isEqualTo("teams-webhook-hmac");
        assertThat(WebhookConfig.from(config).registrations()).isEmpty();
    }

    // --- environment names ------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "TLA_HTTP_PORT, http.port",
            "TLA_DATA_DIR, data.dir",
            "TLA_KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrap.servers",
            "TLA_EMBEDDED_KAFKA_PORT, embedded.kafka.port",
            "TLA_EMBEDDED_KAFKA_CONTROLLER_PORT, embedded.kafka.controller-port",
            "TLA_SECRETS_PROVIDER, secrets.provider",
            "TLA_KEYVAULT_URL, keyvault.url",
            "TLA_MODEL_PROVIDERS, model.providers",
            "TLA_MODEL_PROVIDER_PRIMARY_TYPE, model.provider.primary.type",
            "TLA_MODEL_PROVIDER_PRIMARY_BASE_URL, model.provider.primary.base-url",
            "TLA_MODEL_PROVIDER_PRIMARY_MODEL, model.provider.primary.model",
            "TLA_MODEL_PROVIDER_PRIMARY_API_KEY_SECRET, model.provider.primary.api-key-secret",
            "TLA_MODEL_PROVIDER_PRIMARY_TIMEOUT_MS, model.provider.primary.timeout-ms",
            "TLA_MODEL_PROVIDER_PRIMARY_MAX_IN_FLIGHT, model.provider.primary.max-in-flight",
            "TLA_MODEL_PROVIDER_BACKUP2_INPUT_USD_PER_1K_TOKENS, model.provider.backup2.input-usd-per-1k-tokens",
            "TLA_MODEL_PROVIDER_BACKUP2_OUTPUT_USD_PER_1K_TOKENS, model.provider.backup2.output-usd-per-1k-tokens",
            "TLA_TRANSLATION_TARGET_LANGUAGES, translation.target-languages",
            "TLA_TENANT_6F1C_AB_TARGET_LANGUAGES, tenant.6f1c-ab.target-languages",
            "TLA_TENANT_6F1C_AB_TONE, tenant.6f1c-ab.tone",
            "TLA_TENANT_6F1C_AB_CHANNEL_TONES, tenant.6f1c-ab.channel-tones",
            "TLA_TENANT_6F1C_AB_ALLOWED_REGIONS, tenant.6f1c-ab.allowed-regions",
            "TLA_TENANT_6F1C_AB_REQUIRED_CERTIFICATIONS, tenant.6f1c-ab.required-certifications",
            "TLA_MODEL_PROVIDER_PRIMARY_REGIONS, model.provider.primary.regions",
            "TLA_COMPLIANCE_ALLOWED_REGIONS, compliance.allowed-regions",
            // a tenant id ending in -channel keeps its plain tone key: only the whole suffix names channel-tones
            "TLA_TENANT_6F1C_CHANNEL_TONE, tenant.6f1c-channel.tone",
            "TLA_BUDGET_DAILY_USD, budget.daily-usd",
            "TLA_TENANT_6F1C_AB_BUDGET_DAILY_USD, tenant.6f1c-ab.budget.daily-usd",
            "TLA_TENANT_6F1C2D3E_4A5B_6C7D_8E9F_0A1B2C3D4E5F_BUDGET_DAILY_USD, "
                    + "tenant.6f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f.budget.daily-usd",
            "TLA_REPLY_SINK, reply.sink",
            "TLA_GRAPH_BASE_URL, graph.base-url",
            "TLA_GRAPH_AUTH_MODE, graph.auth.mode",
            "TLA_GRAPH_AUTH_STATIC_TOKEN_SECRET, graph.auth.static-token-secret",
            "TLA_GRAPH_TENANT_ID, graph.tenant-id",
            "TLA_GRAPH_CLIENT_ID, graph.client-id",
            "TLA_GRAPH_CLIENT_SECRET_SECRET, graph.client-secret-secret",
            "TLA_DASHBOARD_STORE_URL, dashboard.store.url",
            "TLA_WEBHOOK_REGISTRATIONS, webhook.registrations",
            "TLA_WEBHOOK_REGISTRATION_SALES_SECRET, webhook.registration.sales.secret",
            "TLA_WEBHOOK_REGISTRATION_SALES_TENANT_ID, webhook.registration.sales.tenant-id",
            "TLA_WEBHOOK_REGISTRATION_SALES_TEAM_AAD_GROUP_ID, webhook.registration.sales.team-aad-group-id",
            "TLA_WEBHOOK_REGISTRATION_SALES_SYNC_REPLY, webhook.registration.sales.sync-reply",
            "TLA_KAFKA_SECURITY_PROTOCOL, kafka.security.protocol",
            "TLA_KAFKA_SASL_JAAS_CONFIG, kafka.sasl.jaas.config",
    })
    void mapsEnvironmentVariableToItsKey(String env, String key) {
        assertThat(ConfigCatalog.keyForEnv(env)).isEqualTo(key);
        assertThat(ConfigCatalog.envName(key)).isEqualTo(env);
        TlaConfig config = TlaConfig.load(null, Map.of(env, " value "), Map.of());
        assertThat(config.raw(key)).isEqualTo("value");
        assertThat(config.origin(key)).isEqualTo("environment " + env);
        assertThat(config.warnings()).isEmpty();
    }

    @Test
    void everyKeyOfEveryFamilyRoundTripsThroughItsEnvironmentName() {
        for (ConfigCatalog.KeyFamily family : ConfigCatalog.FAMILIES) {
            String id = family.idDashesAsUnderscores() ? TENANT : "primary";
            for (String name : family.def().names()) {
                String key = family.prefix() + id + "." + name;
                assertThat(ConfigCatalog.isKnown(key)).as(key).isTrue();
                assertThat(ConfigCatalog.keyForEnv(ConfigCatalog.envName(key))).as(key).isEqualTo(key);
            }
        }
    }

    @Test
    void everyContractKeyReachesItsTypedConfigFromTheEnvironment() {
        Map<String, String> env = new HashMap<>();
        env.put("TLA_HTTP_PORT", "18080");
        env.put("TLA_DATA_DIR", dir.toString());
        env.put("TLA_KAFKA_BOOTSTRAP_SERVERS", "broker-1:9092,broker-2:9092");
        env.put("TLA_EMBEDDED_KAFKA_PORT", "19092");
        env.put("TLA_EMBEDDED_KAFKA_CONTROLLER_PORT", "19200");
        env.put("TLA_SECRETS_PROVIDER", "keyvault");
        env.put("TLA_KEYVAULT_URL", "https://tla.vault.azure.net");
        env.put("TLA_MODEL_PROVIDERS", "primary,backup");
        env.put("TLA_MODEL_PROVIDER_PRIMARY_TYPE", "openai");
        env.put("TLA_MODEL_PROVIDER_PRIMARY_BASE_URL", "http://127.0.0.1:11434/v1");
        env.put("TLA_MODEL_PROVIDER_PRIMARY_MODEL", "llama3");
        env.put("TLA_MODEL_PROVIDER_PRIMARY_API_KEY_SECRET", "primary-key");
        env.put("TLA_MODEL_PROVIDER_PRIMARY_TIMEOUT_MS", "1500");
        env.put("TLA_MODEL_PROVIDER_PRIMARY_MAX_IN_FLIGHT", "64");
        env.put("TLA_MODEL_PROVIDER_PRIMARY_INPUT_USD_PER_1K_TOKENS", "0.0005");
        env.put("TLA_MODEL_PROVIDER_PRIMARY_OUTPUT_USD_PER_1K_TOKENS", "0.0015");
        env.put("TLA_MODEL_PROVIDER_BACKUP_TYPE", "azure-openai");
        env.put("TLA_TRANSLATION_TARGET_LANGUAGES", "de,pt-BR");
        env.put("TLA_TENANT_6F1C_AB_TARGET_LANGUAGES", "ja");
        env.put("TLA_BUDGET_DAILY_USD", "2.5");
        env.put("TLA_TENANT_6F1C_AB_BUDGET_DAILY_USD", "0.75");
        env.put("TLA_REPLY_SINK", "graph");
        env.put("TLA_GRAPH_BASE_URL", "http://127.0.0.1:8089/v1.0");
        env.put("TLA_GRAPH_AUTH_MODE", "static-token");
        env.put("TLA_GRAPH_AUTH_STATIC_TOKEN_SECRET", "emulator-token");
        env.put("TLA_GRAPH_TENANT_ID", "tid");
        env.put("TLA_GRAPH_CLIENT_ID", "cid");
        env.put("TLA_GRAPH_CLIENT_SECRET_SECRET", "graph-secret");
        env.put("TLA_DASHBOARD_STORE_URL", "jdbc:postgresql://127.0.0.1:5432/test");
        env.put("TLA_WEBHOOK_REGISTRATIONS", "sales,support");
        env.put("TLA_WEBHOOK_REGISTRATION_SALES_SECRET", "sales-hmac");
        env.put("TLA_WEBHOOK_REGISTRATION_SALES_TENANT_ID", "t-sales");
        env.put("TLA_WEBHOOK_REGISTRATION_SALES_TEAM_AAD_GROUP_ID", "g-sales");
        env.put("TLA_WEBHOOK_REGISTRATION_SALES_SYNC_REPLY", "true");
        env.put("TLA_WEBHOOK_REGISTRATION_SUPPORT_SECRET", "support-hmac");
        env.put("TLA_WEBHOOK_REGISTRATION_SUPPORT_TENANT_ID", "t-support");
        env.put("TLA_WEBHOOK_REGISTRATION_SUPPORT_TEAM_ID", "19:support@thread.tacv2");
        env.put("TLA_WEBHOOK_TENANT_ID", "t-default");
        env.put("TLA_WEBHOOK_MAX_CLOCK_SKEW_SECONDS", "120");
        env.put("TLA_KAFKA_SECURITY_PROTOCOL", "SASL_SSL");

        TlaConfig config = TlaConfig.load(null, env, Map.of());

        assertThat(config.warnings()).isEmpty();
        assertThat(HttpConfig.from(config).port()).isEqualTo(18080);
        assertThat(DataConfig.from(config).dataDir()).isEqualTo(dir.toAbsolutePath().normalize());
        KafkaSettings kafka = KafkaSettings.from(config);
        assertThat(kafka.bootstrapServers()).contains("broker-1:9092,broker-2:9092");
        assertThat(kafka.embedded()).isFalse();
        assertThat(kafka.embeddedPort()).isEqualTo(19092);
        assertThat(kafka.embeddedControllerPort()).isEqualTo(19200);
        assertThat(kafka.clientOverrides()).containsExactly(Map.entry("security.protocol", "SASL_SSL"));
        assertThat(SecretsConfig.from(config)).isEqualTo(new SecretsConfig("keyvault", "https://tla.vault.azure.net", null, null, "AZURE_CLIENT_SECRET", java.time.Duration.ofMinutes(5)));

        ModelConfig model = ModelConfig.from(config);
        assertThat(model.providerOrder()).containsExactly("primary", "backup");
        ModelConfig.Provider primary = model.primary();
        assertThat(primary.name()).isEqualTo("primary");
        assertThat(primary.type()).isEqualTo("openai");
        assertThat(primary.baseUrl()).isEqualTo("http://127.0.0.1:11434/v1");
        assertThat(primary.model()).isEqualTo("llama3");
        assertThat(primary.apiKeySecret()).isEqualTo("primary-key");
        assertThat(primary.timeoutMs()).isEqualTo(1500);
        assertThat(primary.maxInFlight()).isEqualTo(64);
        assertThat(primary.inputUsdPer1kTokens()).isEqualByComparingTo("0.0005");
        assertThat(primary.outputUsdPer1kTokens()).isEqualByComparingTo("0.0015");
        assertThat(model.providers().get("backup").type()).isEqualTo("azure-openai");

        TranslationConfig translation = TranslationConfig.from(config);
        assertThat(translation.targetLanguages()).containsExactly("de", "pt-BR");
        assertThat(translation.targetLanguagesFor(TENANT)).containsExactly("ja");
        BudgetConfig budget = BudgetConfig.from(config);
        assertThat(budget.dailyUsd()).isEqualByComparingTo("2.5");
        assertThat(budget.dailyUsdFor(TENANT)).isEqualByComparingTo("0.75");

        assertThat(ReplyConfig.from(config).sink()).isEqualTo("graph");
        GraphConfig graph = GraphConfig.from(config);
        assertThat(List.of(graph.baseUrl(), graph.authMode(), graph.staticTokenSecret(), graph.tenantId(),
                graph.clientId(), graph.clientSecretSecret()))
                .containsExactly("http://127.0.0.1:8089/v1.0", "static-token", "emulator-token", "tid", "cid",
                        "graph-secret");
        assertThat(graph.productionAuth()).isFalse();
        assertThat(DashboardConfig.from(config).storeUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/test");

        WebhookConfig webhooks = WebhookConfig.from(config);
        assertThat(webhooks.registrations().get("sales")).isEqualTo(
                new WebhookConfig.Registration("sales", "sales-hmac", "t-sales", "g-sales", true));
        assertThat(webhooks.registrations().get("support")).isEqualTo(new WebhookConfig.Registration("support",
                "support-hmac", "t-support", "19:support@thread.tacv2", null, false, null));
        assertThat(webhooks.tenantId()).isEqualTo("t-default");
        assertThat(webhooks.maxClockSkew()).hasSeconds(120);
    }

    // --- warnings ---------------------------------------------------------------------------------------------

    @Test
    void warnsAboutUnknownKeysAndVariablesByName() throws Exception {
        Path file = propertiesFile("typo.properties", "htp.port=1\nhttp.port=8081\n");
        Map<String, String> env = Map.of(
                "TLA_HTTP_PROT", "2",
                "TLA_MODEL_PROVIDER_PRIMARY_COLOUR", "blue",
                "PATH", "/usr/bin",
                "HOME", "/root");
        TlaConfig config = TlaConfig.load(file, env, Map.of("tenant.abc.budget", "1", "http.port", "8082"));

        assertThat(config.warnings()).hasSize(4);
        assertThat(config.warnings()).anySatisfy(w -> assertThat(w).contains("'htp.port'").contains(file.toString()));
        assertThat(config.warnings()).anySatisfy(w -> assertThat(w).contains("TLA_HTTP_PROT"));
        assertThat(config.warnings()).anySatisfy(w -> assertThat(w).contains("TLA_MODEL_PROVIDER_PRIMARY_COLOUR"));
        assertThat(config.warnings()).anySatisfy(w -> assertThat(w).contains("'tenant.abc.budget'"));
        assertThat(String.join("\n", config.warnings())).doesNotContain("PATH", "HOME", "blue");
        assertThat(HttpConfig.from(config).port()).isEqualTo(8082);
    }

    @Test
    void secretAndConfigFileVariablesAreNotWarnedAbout() throws Exception {
        Path file = propertiesFile("empty.properties", "");
        Map<String, String> env = Map.of(
                "TLA_SECRET_TEAMS_WEBHOOK_HMAC", "c2VjcmV0LXZhbHVl",
                "TLA_SECRET_PRIMARY_KEY", "sk-do-not-log",
                "TLA_CONFIG", file.toString());
        TlaConfig config = TlaConfig.load(null, env, Map.of());

        assertThat(config.warnings()).isEmpty();
        // secrets never become configuration values
        assertThat(config.values().values()).doesNotContain("c2VjcmV0LXZhbHVl", "sk-do-not-log");
    }

    @Test
    void unknownKeyWarningsNeverContainTheValue() {
        TlaConfig config = TlaConfig.load(null, Map.of("TLA_MODEL_API_KEY", "sk-live-123"), Map.of("api.key", "sk-live-456"));
        assertThat(config.warnings()).hasSize(2);
        assertThat(String.join("\n", config.warnings())).doesNotContain("sk-live");
    }

    // --- invalid values ---------------------------------------------------------------------------------------

    static Stream<Arguments> invalidValues() {
        return Stream.of(
                invalid("http.port", Map.of("http.port", "abc"), HttpConfig::from),
                invalid("http.port", Map.of("http.port", "70000"), HttpConfig::from),
                invalid("http.port", Map.of("http.port", "-1"), HttpConfig::from),
                invalid("embedded.kafka.port", Map.of("embedded.kafka.port", "65536"), KafkaSettings::from),
                invalid("embedded.kafka.controller-port", Map.of("embedded.kafka.controller-port", "99999"),
                        KafkaSettings::from),
                invalid("secrets.provider", Map.of("secrets.provider", "vault"), SecretsConfig::from),
                invalid("streams.processing-guarantee", Map.of("streams.processing-guarantee", "exactly_once"),
                        StreamsSettings::from),
                invalid("model.provider.x.timeout-ms", Map.of("model.providers", "x",
                        "model.provider.x.type", "openai", "model.provider.x.timeout-ms", "-1"), ModelConfig::from),
                invalid("model.provider.x.max-in-flight", Map.of("model.providers", "x",
                        "model.provider.x.type", "openai", "model.provider.x.max-in-flight", "many"), ModelConfig::from),
                invalid("model.provider.x.input-usd-per-1k-tokens", Map.of("model.providers", "x",
                        "model.provider.x.type", "openai", "model.provider.x.input-usd-per-1k-tokens", "-0.1"),
                        ModelConfig::from),
                invalid("model.provider.x.type", Map.of("model.providers", "x", "model.provider.x.type", "bogus"),
                        ModelConfig::from),
                invalid("model.provider.backup.type", Map.of("model.providers", "offline,backup"), ModelConfig::from),
                invalid("model.providers", Map.of("model.providers", "Primary"), ModelConfig::from),
                invalid("translation.target-languages", Map.of("translation.target-languages", "english!"),
                        TranslationConfig::from),
                invalid("tenant." + TENANT + ".target-languages", Map.of("tenant." + TENANT + ".target-languages", "de,??"),
                        TranslationConfig::from),
                invalid("translation.tone", Map.of("translation.tone", "sarcastic"), TranslationConfig::from),
                invalid("tenant." + TENANT + ".tone", Map.of("tenant." + TENANT + ".tone", "sarcastic"),
                        TranslationConfig::from),
                invalid("tenant." + TENANT + ".channel-tones", Map.of("tenant." + TENANT + ".channel-tones",
                        "19:abc123@thread.tacv2=sarcastic"), TranslationConfig::from),
                invalid("tenant." + TENANT + ".channel-tones", Map.of("tenant." + TENANT + ".channel-tones",
                        "19:abc123@thread.tacv2=casual,19:def456@thread.tacv2"), TranslationConfig::from),
                invalid("tenant." + TENANT + ".channel-tones", Map.of("tenant." + TENANT + ".channel-tones",
                        "=casual"), TranslationConfig::from),
                invalid("tenant." + TENANT + ".channel-tones", Map.of("tenant." + TENANT + ".channel-tones",
                        "19:abc123@thread.tacv2=casual,19:abc123@thread.tacv2=polite"), TranslationConfig::from),
                // any reader of the tenant's overrides stops on it, not only the translation settings
                invalid("tenant." + TENANT + ".channel-tones", Map.of("tenant." + TENANT + ".channel-tones",
                        "19:abc123@thread.tacv2=loud"), BudgetConfig::from),
                invalid("compliance.pii-policy", Map.of("compliance.pii-policy", "mask"), ComplianceConfig::from),
                invalid("compliance.pii-rules", Map.of("compliance.pii-rules", "email,passport"), ComplianceConfig::from),
                invalid("tenant." + TENANT + ".pii-policy", Map.of("tenant." + TENANT + ".pii-policy", "mask"),
                        ComplianceConfig::from),
                invalid("model.provider.x.regions", Map.of("model.providers", "x", "model.provider.x.type", "openai",
                        "model.provider.x.regions", "eu-west,EU-Central"), ModelConfig::from),
                invalid("model.provider.x.certifications", Map.of("model.providers", "x",
                        "model.provider.x.type", "openai", "model.provider.x.certifications", "iso 27001"),
                        ModelConfig::from),
                invalid("compliance.allowed-regions", Map.of("compliance.allowed-regions", "eu_west"),
                        ComplianceConfig::from),
                invalid("compliance.required-certifications", Map.of("compliance.required-certifications", "SOC2"),
                        ComplianceConfig::from),
                invalid("tenant." + TENANT + ".allowed-regions", Map.of("tenant." + TENANT + ".allowed-regions",
                        "eu-west,-mars"), ComplianceConfig::from),
                invalid("tenant." + TENANT + ".required-certifications", Map.of("tenant." + TENANT
                        + ".required-certifications", "iso27001,soc2!"), ComplianceConfig::from),
                invalid("budget.daily-usd", Map.of("budget.daily-usd", "-1"), BudgetConfig::from),
                invalid("tenant." + TENANT + ".budget.daily-usd", Map.of("tenant." + TENANT + ".budget.daily-usd", "-1"),
                        BudgetConfig::from),
                invalid("tenant." + TENANT + ".budget.daily-usd", Map.of("tenant." + TENANT + ".budget.daily-usd", "lots"),
                        BudgetConfig::from),
                invalid("budget.monthly-tokens", Map.of("budget.monthly-tokens", "-5"), BudgetConfig::from),
                invalid("tenant." + TENANT + ".budget.monthly-tokens", Map.of("tenant." + TENANT
                        + ".budget.monthly-tokens", "-1"), BudgetConfig::from),
                invalid("reply.sink", Map.of("reply.sink", "teams"), ReplyConfig::from),
                invalid("graph.auth.mode", Map.of("graph.auth.mode", "password"), GraphConfig::from),
                invalid("dashboard.store.url", Map.of("dashboard.store.url", "jdbc:mysql://db/tla"), DashboardConfig::from),
                invalid("webhook.registrations", Map.of("webhook.registrations", "Sales"), WebhookConfig::from),
                invalid("webhook.registration.sales.secret", Map.of("webhook.registrations", "sales"), WebhookConfig::from),
                invalid("webhook.registration.sales.sync-reply", Map.of("webhook.registrations", "sales",
                        "webhook.registration.sales.secret", "s", "webhook.registration.sales.sync-reply", "maybe"),
                        WebhookConfig::from));
    }

    private static Arguments invalid(String key, Map<String, String> values, Function<TlaConfig, ?> parser) {
        return Arguments.of(key, values, parser);
    }

    @ParameterizedTest(name = "{1} -> error names {0}")
    @MethodSource("invalidValues")
    void invalidValueThrowsConfigExceptionNamingTheFullKey(String key, Map<String, String> values,
                                                           Function<TlaConfig, ?> parser) {
        TlaConfig config = TlaConfig.of(values);
        assertThatThrownBy(() -> parser.apply(config))
                .isInstanceOf(ConfigException.class)
                // exactly this key, not the relative name and not mangled into a longer key by the prefix rewrite
                .hasMessageContaining("configuration " + key + ":");
    }

    @Test
    void invalidValueFromTheEnvironmentNamesTheKey() {
        TlaConfig config = TlaConfig.load(null, Map.of("TLA_HTTP_PORT", "abc"), Map.of());
        assertThatThrownBy(() -> HttpConfig.from(config))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.port")
                .hasMessageContaining("abc");
    }

    // --- per-tenant overrides ---------------------------------------------------------------------------------

    @Test
    void tenantOverridesApplyOnlyToThatTenant() {
        TlaConfig config = TlaConfig.of(Map.of(
                "budget.daily-usd", "3.00",
                "translation.target-languages", "en,de",
                "tenant." + TENANT + ".budget.daily-usd", "1.25",
                "tenant." + TENANT + ".target-languages", "fr",
                "tenant." + GUID_TENANT + ".budget.daily-usd", "0"));

        BudgetConfig budget = BudgetConfig.from(config);
        assertThat(budget.dailyUsdFor(TENANT)).isEqualByComparingTo("1.25");
        assertThat(budget.dailyUsdFor(GUID_TENANT)).isEqualByComparingTo("0");
        assertThat(budget.dailyUsdFor("other-tenant")).isEqualByComparingTo("3.00");

        TranslationConfig translation = TranslationConfig.from(config);
        assertThat(translation.targetLanguagesFor(TENANT)).containsExactly("fr");
        assertThat(translation.targetLanguagesFor(GUID_TENANT)).containsExactly("en", "de");
        assertThat(translation.targetLanguagesFor("other-tenant")).containsExactly("en", "de");
        assertThat(config.warnings()).isEmpty();
    }

    @Test
    void aChannelsToneWinsOverItsTenantsWhichWinsOverTheDefault() {
        TlaConfig config = TlaConfig.of(Map.of(
                "translation.tone", "polite",
                "tenant." + TENANT + ".tone", "technical",
                "tenant." + TENANT + ".channel-tones", "19:abc123@thread.tacv2=casual, 19:def456@thread.skype=business",
                "tenant." + GUID_TENANT + ".channel-tones", "19:ghi789@thread.tacv2=casual"));

        TranslationConfig translation = TranslationConfig.from(config);
        assertThat(translation.toneFor(TENANT, "19:abc123@thread.tacv2")).isEqualTo("casual");
        assertThat(translation.toneFor(TENANT, "19:def456@thread.skype")).isEqualTo("business");
        // a channel without an override, and a chat, take the tenant's tone
        assertThat(translation.toneFor(TENANT, "19:other@thread.tacv2")).isEqualTo("technical");
        assertThat(translation.toneFor(TENANT, null)).isEqualTo("technical");
        // a tenant with channel tones only falls back to the default elsewhere
        assertThat(translation.toneFor(GUID_TENANT, "19:ghi789@thread.tacv2")).isEqualTo("casual");
        assertThat(translation.toneFor(GUID_TENANT, null)).isEqualTo("polite");
        // another tenant's channel tone never applies, even to the same channel id
        assertThat(translation.toneFor("other-tenant", "19:abc123@thread.tacv2")).isEqualTo("polite");
        assertThat(translation.toneFor(GUID_TENANT, "19:abc123@thread.tacv2")).isEqualTo("polite");
        assertThat(config.warnings()).isEmpty();
    }

    @Test
    void channelTonesReachTheTranslationSettingsFromTheEnvironment() {
        TlaConfig config = TlaConfig.load(null, Map.of(
                "TLA_TENANT_6F1C_AB_CHANNEL_TONES", "19:abc123@thread.tacv2=casual,19:def456@thread.tacv2=technical"),
                Map.of());

        assertThat(config.warnings()).isEmpty();
        TranslationConfig translation = TranslationConfig.from(config);
        assertThat(translation.channelTones()).containsExactly(Map.entry(TENANT, Map.of(
                "19:abc123@thread.tacv2", "casual", "19:def456@thread.tacv2", "technical")));
        assertThat(translation.toneFor(TENANT, "19:def456@thread.tacv2")).isEqualTo("technical");
        assertThat(translation.toneFor(TENANT, null)).isEqualTo("business");
    }

    // --- providers --------------------------------------------------------------------------------------------

    @Test
    void providersParseWithTheirDefaultsInConfiguredOrder() {
        TlaConfig config = TlaConfig.of(Map.of(
                "model.providers", "primary,offline",
                "model.provider.primary.type", "openai",
                "model.provider.primary.base-url", "https://api.openai.com/v1",
                "model.provider.primary.model", "gpt-4o-mini",
                "model.provider.primary.api-key-secret", "openai-key"));

        ModelConfig model = ModelConfig.from(config);
        assertThat(model.providerOrder()).containsExactly("primary", "offline");
        ModelConfig.Provider primary = model.primary();
        assertThat(primary.name()).isEqualTo("primary");
        assertThat(primary.timeoutMs()).isEqualTo(30_000);
        assertThat(primary.maxInFlight()).isEqualTo(256);
        assertThat(primary.inputUsdPer1kTokens()).isEqualByComparingTo("0");
        assertThat(primary.outputUsdPer1kTokens()).isEqualByComparingTo("0");
        ModelConfig.Provider offline = model.providers().get("offline");
        assertThat(offline.type()).isEqualTo("offline");
        assertThat(offline.baseUrl()).isNull();
        assertThat(model.maxOutputTokens()).isEqualTo(1024);
    }

    // --- Kafka ------------------------------------------------------------------------------------------------

    @Test
    void kafkaPassThroughKeysReachClientOverridesWithoutBootstrapServers() {
        TlaConfig config = TlaConfig.load(null,
                Map.of("TLA_KAFKA_SASL_MECHANISM", "PLAIN"),
                Map.of("kafka.bootstrap.servers", "broker:9092", "kafka.security.protocol", "SASL_SSL",
                        "kafka.ssl.endpoint.identification.algorithm", "https"));

        KafkaSettings kafka = KafkaSettings.from(config);
        assertThat(kafka.bootstrapServers()).contains("broker:9092");
        assertThat(kafka.clientOverrides()).containsOnly(
                Map.entry("security.protocol", "SASL_SSL"),
                Map.entry("sasl.mechanism", "PLAIN"),
                Map.entry("ssl.endpoint.identification.algorithm", "https"));
        assertThat(config.warnings()).isEmpty();
    }

    @Test
    void embeddedControllerPortFollowsTheBrokerPortUnlessSet() {
        assertThat(KafkaSettings.from(TlaConfig.of(Map.of("embedded.kafka.port", "29092"))).embeddedControllerPort())
                .isEqualTo(29093);
        assertThat(KafkaSettings.from(TlaConfig.of(Map.of("embedded.kafka.port", "0"))).embeddedControllerPort())
                .isZero();
        assertThat(KafkaSettings.from(TlaConfig.of(Map.of("embedded.kafka.port", "29092",
                "embedded.kafka.controller-port", "30000"))).embeddedControllerPort()).isEqualTo(30000);
    }

    // --- dashboard --------------------------------------------------------------------------------------------

    @Test
    void dashboardStoreDefaultsToSqliteUnderDataDir() {
        DashboardConfig dashboard = DashboardConfig.from(TlaConfig.of(Map.of("data.dir", dir.toString())));
        assertThat(dashboard.storeUrl())
                .isEqualTo("jdbc:sqlite:" + dir.toAbsolutePath().normalize().resolve("dashboard.db"));
        assertThat(dashboard.consumerGroup()).isEqualTo("tla-dashboard");
    }

    @Test
    void withReplacesValuesAndKeepsTheRest() {
        TlaConfig base = TlaConfig.of(Map.of("http.port", "1", "reply.sink", "graph"));
        TlaConfig changed = base.with(Map.of("http.port", "0"));
        assertThat(HttpConfig.from(changed).port()).isZero();
        assertThat(ReplyConfig.from(changed).sink()).isEqualTo("graph");
        assertThat(changed.origin("http.port")).isEqualTo("override");
        assertThat(HttpConfig.from(base).port()).isEqualTo(1);
        assertThat(List.copyOf(changed.warnings())).isEqualTo(base.warnings());
    }

    @Test
    void aTenantsPersonalDataPolicyWinsOverTheDefault() {
        ComplianceConfig compliance = ComplianceConfig.from(TlaConfig.of(Map.of("compliance.pii-policy", "redact",
                "tenant." + TENANT + ".pii-policy", "refuse")));

        assertThat(compliance.piiPolicyFor(TENANT)).isEqualTo("refuse");
        assertThat(compliance.piiPolicyFor("another-tenant")).isEqualTo("redact");
        assertThat(compliance.piiRules()).containsExactly("email", "phone", "card", "national-id", "iban");
    }

    @Test
    void theMonthlyTokenLimitIsUnlimitedUntilSetAndATenantsOwnWins() {
        BudgetConfig unset = BudgetConfig.from(TlaConfig.of(Map.of()));
        assertThat(unset.monthlyTokensFor(TENANT)).isEqualTo(BudgetConfig.UNLIMITED_TOKENS);

        BudgetConfig budget = BudgetConfig.from(TlaConfig.of(Map.of("budget.monthly-tokens", "40000000",
                "tenant." + TENANT + ".budget.monthly-tokens", "1000")));
        assertThat(budget.monthlyTokensFor(TENANT)).isEqualTo(1000);
        assertThat(budget.monthlyTokensFor("another-tenant")).isEqualTo(40_000_000);

        BudgetConfig onlyTenant = BudgetConfig.from(TlaConfig.of(Map.of(
                "tenant." + TENANT + ".budget.monthly-tokens", "0")));
        assertThat(onlyTenant.monthlyTokensFor(TENANT)).isZero();
        assertThat(onlyTenant.monthlyTokensFor("another-tenant")).isEqualTo(BudgetConfig.UNLIMITED_TOKENS);
    }
}
