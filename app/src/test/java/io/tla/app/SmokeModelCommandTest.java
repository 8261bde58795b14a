package io.tla.app;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tla smoke model} against two local OpenAI-compatible servers: {@code primary} fails, {@code backup} answers. */
class SmokeModelCommandTest {

    private static final String ANSWER = "{\"sourceLanguage\":\"de\",\"translations\":["
            + "{\"language\":\"en\",\"text\":\"Good morning, how are you?\"}]}";

    @TempDir
    Path dataDir;

    private final WireMockServer primary = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    private final WireMockServer backup = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void start() throws Exception {
        primary.start();
        backup.start();
        primary.stubFor(post(urlPathEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(500)));
        backup.stubFor(post(urlPathEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json")
                .withBody(io.tla.schemas.Json.mapper().writeValueAsString(Map.of("model", "backup-model",
                        "choices", List.of(Map.of("index", 0, "message", Map.of("role", "assistant", "content", ANSWER))),
                        "usage", Map.of("prompt_tokens", 200, "completion_tokens", 25))))));
    }

    @AfterEach
    void stop() {
        primary.stop();
        backup.stop();
    }

    private int execute(String... extra) {
        List<String> args = new ArrayList<>(List.of("smoke", "model",
                "--set", "data.dir=" + dataDir,
                "--set", "model.providers=primary,backup",
                "--set", "model.provider.primary.type=openai",
                "--set", "model.provider.primary.base-url=http://127.0.0.1:" + primary.port() + "/v1",
                "--set", "model.provider.primary.model=primary-model",
                "--set", "model.provider.primary.max-attempts=1",
                "--set", "model.provider.primary.regions=us-east",
                "--set", "model.provider.backup.type=openai",
                "--set", "model.provider.backup.base-url=http://127.0.0.1:" + backup.port() + "/v1",
                "--set", "model.provider.backup.model=backup-model",
                "--set", "model.provider.backup.max-attempts=1",
                "--set", "model.provider.backup.regions=eu-west",
                "--set", "model.provider.backup.input-usd-per-1k-tokens=0.5",
                "--set", "model.provider.backup.output-usd-per-1k-tokens=2"));
        args.addAll(List.of(extra));
        return new CommandLine(new TlaCommand())
                .setExecutionExceptionHandler(new TlaCommand.Errors())
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args.toArray(String[]::new));
    }

    @Test
    void printsTheFallbackPathTheAnsweringProviderItsUsageAndCost() {
        int exit = execute("--text", "Guten Morgen, wie geht es euch?", "--to", "en");

        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString())
                .contains("fallback 1: primary -> backup (http-500)")
                .contains("path: primary (http-500) -> backup")
                .contains("provider: backup (model backup-model)")
                .contains("tokens: 200 in, 25 out")
                // 200 * 0.5 / 1000 + 25 * 2 / 1000
                .contains("cost: 0.15 USD")
                .contains("translation en: Good morning, how are you?")
                .containsPattern("latency: \\d+ ms")
                .contains("smoke model: ok");
        primary.verify(1, postRequestedFor(urlPathEqualTo("/v1/chat/completions")));
    }

    @Test
    void oneNamedProviderThatFailsExitsNonZeroWithItsPath() {
        int exit = execute("--provider", "primary", "--to", "en");

        assertThat(exit).isEqualTo(1);
        assertThat(out.toString()).contains("path: primary (http-500) -> none").contains("smoke model: failed");
        assertThat(err.toString()).contains("FAIL no provider answered");
        backup.verify(0, postRequestedFor(urlPathEqualTo("/v1/chat/completions")));
    }

    @Test
    void theTenantsRegionPolicySkipsThePrimaryWithoutCallingIt() {
        int exit = execute("--tenant", "tenant-eu", "--set", "tenant.tenant-eu.allowed-regions=eu-west", "--to", "en");

        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).contains("path: primary (policy-region) -> backup");
        primary.verify(0, postRequestedFor(urlPathEqualTo("/v1/chat/completions")));
    }

    @Test
    void aProviderNotInTheChainIsAConfigurationError() {
        assertThat(execute("--provider", "nosuch")).isEqualTo(2);
        assertThat(err.toString()).contains("--provider nosuch is not in model.providers");
    }
}
