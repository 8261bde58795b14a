package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.connectors.ingress.ActivityNormalizer.Defaults;
import io.tla.schemas.Json;
import io.tla.schemas.NormalizedMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The payloads under {@code src/test/resources/teams-activities/}, shaped after Microsoft's documented outgoing
 * webhook and Bot Framework activities (see the README there), and what each must normalise to
 * ({@code expected.json}, which assumes the webhook registration it names).
 */
final class TeamsActivityFixtures {

    static final String DIR = "/teams-activities/";

    /** One fixture: its file, raw bytes (as Teams would sign them) and the expected normalised fields. */
    record Fixture(String file, byte[] body, Expected expected) {
        @Override
        public String toString() {
            return file;
        }
    }

    record Expected(String tenantId, String conversationType, String conversationId, String channelId, String teamId,
                    String teamAadGroupId, String rootMessageId, String text, int deliveries) {
    }

    private TeamsActivityFixtures() {
    }

    /** Asserts every normalised field a fixture's expectation names. */
    static void assertNormalisedAsExpected(NormalizedMessage m, Expected expected) {
        assertThat(m.tenantId()).as("tenantId").isEqualTo(expected.tenantId());
        assertThat(m.conversationType().wireName()).as("conversationType").isEqualTo(expected.conversationType());
        assertThat(m.conversationId()).as("conversationId").isEqualTo(expected.conversationId());
        assertThat(m.channelId()).as("channelId").isEqualTo(expected.channelId());
        assertThat(m.teamId()).as("teamId").isEqualTo(expected.teamId());
        assertThat(m.teamAadGroupId()).as("teamAadGroupId").isEqualTo(expected.teamAadGroupId());
        assertThat(m.rootMessageId()).as("rootMessageId").isEqualTo(expected.rootMessageId());
        assertThat(m.text()).as("text").isEqualTo(expected.text());
    }

    static JsonNode expectations() {
        try {
            return Json.mapper().readTree(bytes("expected.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The registration every fixture is assumed to be signed for. */
    static Defaults registration() {
        JsonNode registration = expectations().get("registration");
        return new Defaults(registration.get("tenantId").asText(), registration.get("teamAadGroupId").asText());
    }

    static Stream<Fixture> all() {
        List<Fixture> fixtures = new ArrayList<>();
        expectations().get("fixtures").fields().forEachRemaining(entry -> {
            JsonNode e = entry.getValue();
            fixtures.add(new Fixture(entry.getKey(), bytes(entry.getKey()), new Expected(
                    e.get("tenantId").asText(), e.get("conversationType").asText(), e.get("conversationId").asText(),
                    e.get("channelId").asText(null), e.get("teamId").asText(null),
                    e.get("teamAadGroupId").asText(null), e.get("rootMessageId").asText(null),
                    e.get("text").asText(), e.path("deliveries").asInt(1))));
        });
        return fixtures.stream();
    }

    /** The names of the fixture files in the directory (everything but {@code expected.json} and the README). */
    static List<String> files() {
        URL dir = TeamsActivityFixtures.class.getResource(DIR);
        try (Stream<Path> paths = Files.list(Path.of(dir.toURI()))) {
            return paths.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".json") && !n.equals("expected.json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] bytes(String name) {
        try (InputStream in = TeamsActivityFixtures.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
