package io.tla.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.connectors.ingress.ActivityParser;
import io.tla.connectors.ingress.HmacSignature;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngressScenarioTest {

    @TempDir
    Path dir;

    @Test
    void withoutWrkOnThePathTheScenarioIsRefusedWithWhatToInstall() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("bin"));

        assertThatThrownBy(() -> IngressScenario.requireWrk(empty.toString()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("wrk, which is not on PATH")
                .hasMessageContaining("apt-get install wrk");
        assertThatThrownBy(() -> IngressScenario.requireWrk(null)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theRequestsAreDistinctFreshlySignedValidActivitiesOfTheKeysTenantSplitOverTheWrkThreads() throws Exception {
        SyntheticTraffic traffic = new SyntheticTraffic(IngressScenario.ID_PREFIX, 50, 1, 256);
        HmacSignature signer = HmacSignature.ofBase64Key("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0");
        Instant before = Instant.now();

        Path name = IngressScenario.Requests.write(dir.resolve("measured"), traffic, "m-", 2_001, signer);

        List<byte[]> first = requests(name.resolveSibling("measured.1"));
        List<byte[]> all = new ArrayList<>(first);
        all.addAll(requests(name.resolveSibling("measured.2")));
        assertThat(first).hasSize(1_001);
        assertThat(all).hasSize(2_001);
        Set<String> ids = new HashSet<>();
        for (byte[] raw : all) {
            String request = new String(raw, StandardCharsets.UTF_8);
            int end = request.indexOf("\r\n\r\n");
            String head = request.substring(0, end);
            byte[] body = request.substring(end + 4).getBytes(StandardCharsets.UTF_8);
            assertThat(head).startsWith("POST /api/messages HTTP/1.1\r\n")
                    .contains("\r\nContent-Type: application/json; charset=utf-8")
                    .contains("\r\nContent-Length: " + body.length);
            String authorization = head.lines().filter(l -> l.startsWith("Authorization: ")).findFirst().orElseThrow()
                    .substring("Authorization: ".length());
            assertThat(signer.verify(authorization, body).valid()).isTrue();
            JsonNode activity = ActivityParser.parse(body);
            ids.add(activity.get("id").asText());
            assertThat(activity.at("/conversation/tenantId").asText()).isEqualTo(traffic.tenantIds().get(0));
            assertThat(Duration.between(Instant.parse(activity.get("timestamp").asText()), before).abs())
                    .isLessThan(Duration.ofMinutes(1));
        }
        assertThat(ids).hasSize(2_001);
    }

    /** The file as wrk's script reads it: a line with the length, then that many bytes, again and again. */
    private static List<byte[]> requests(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        List<byte[]> requests = new ArrayList<>();
        int at = 0;
        while (at < bytes.length) {
            int newline = at;
            while (bytes[newline] != '\n') {
                newline++;
            }
            int length = Integer.parseInt(new String(bytes, at, newline - at, StandardCharsets.US_ASCII));
            requests.add(Arrays.copyOfRange(bytes, newline + 1, newline + 1 + length));
            at = newline + 1 + length;
        }
        return requests;
    }
}
