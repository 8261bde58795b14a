package io.tla.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each broker-backed scenario, run end to end with a handful of messages: every message is answered, the
 * result carries its fields, and the run's directory is gone afterwards. Figures are not checked: they depend
 * on the machine.
 */
class BenchScenariosTest {

    @TempDir
    Path dataDir;

    private final ByteArrayOutputStream progress = new ByteArrayOutputStream();

    /** A short warm-up: the measured run then resumes from the warm-up's offsets and must count none of its messages. */
    private static final int WARMUP = 12;

    private JsonNode run(String scenario, int messages, Integer rate) throws Exception {
        TlaConfig config = TlaConfig.of(Map.of("data.dir", dataDir.toString(), "topics.partitions", "2"));
        BenchResult result = Bench.run(Bench.Request.of(scenario, messages, rate,
                "pipeline".equals(scenario) || "async-model".equals(scenario) || "graph-sink".equals(scenario)
                        || "latency".equals(scenario) ? WARMUP : null, false), config,
                new PrintStream(progress, true, StandardCharsets.UTF_8));
        return Json.mapper().readTree(result.toJson());
    }

    @Test
    void pipelineAnswersEveryMessageComparesWithThePassthroughAndRemovesItsDirectory() throws Exception {
        JsonNode result = run("pipeline", 30, null);

        assertThat(result.get("scenario").asText()).isEqualTo("pipeline");
        assertThat(result.get("messages").asInt()).isEqualTo(30);
        assertThat(result.get("warmup_messages").asInt()).isEqualTo(WARMUP);
        assertThat(result.get("completed").asInt()).isEqualTo(30);
        assertThat(result.get("baseline_completed").asInt()).isEqualTo(30);
        assertThat(result.at("/replies/translation").asInt()).isEqualTo(30);
        assertThat(result.get("duplicates").asInt()).isZero();
        assertThat(result.get("throughput_per_s").asDouble()).isPositive();
        assertThat(result.get("baseline_per_s").asDouble()).isPositive();
        assertThat(result.get("ratio").asDouble()).isPositive();
        assertThat(result.get("partitions").asInt()).isEqualTo(2);
        assertThat(Files.exists(dataDir.resolve("bench"))).isFalse();
        assertThat(progress.toString(StandardCharsets.UTF_8)).contains("bench pipeline: ");
    }

    @Test
    void ingressStoresEveryDistinctSignedActivityItAnswers202AndComparesWithTheBareEndpoint() throws Exception {
        Assumptions.assumeTrue(IngressScenario.findOnPath("wrk", System.getenv("PATH")) != null, "wrk is not on PATH");

        JsonNode result = run("ingress", 400, null);

        assertThat(result.get("scenario").asText()).isEqualTo("ingress");
        // each of the 400 prepared activities is posted once, answered 202 and on the topic once
        assertThat(result.get("messages").asInt()).isEqualTo(400);
        assertThat(result.get("posted").asInt()).isEqualTo(400);
        assertThat(result.get("records_on_topic").asInt()).isEqualTo(400);
        assertThat(result.get("non_2xx").asInt()).isZero();
        assertThat(result.get("every_answer_202_and_stored").asBoolean()).isTrue();
        assertThat(result.get("baseline_answered").asInt()).isEqualTo(400);
        assertThat(result.get("baseline_non_2xx").asInt()).isZero();
        assertThat(result.get("throughput_per_s").asDouble()).isPositive();
        assertThat(result.get("baseline_per_s").asDouble()).isPositive();
        assertThat(result.get("p99_ms").asDouble()).isPositive();
        assertThat(result.get("wrk_connections").asInt()).isEqualTo(64);
        assertThat(Files.exists(dataDir.resolve("bench"))).isFalse();
    }

    @Test
    void latencyDrivesTheRealIngressAndMatchesEveryReply() throws Exception {
        JsonNode result = run("latency", 20, 50);

        assertThat(result.get("scenario").asText()).isEqualTo("latency");
        assertThat(result.get("accepted").asInt()).isEqualTo(20);
        assertThat(result.get("completed").asInt()).isEqualTo(20);
        assertThat(result.get("warmup_messages").asInt()).isEqualTo(WARMUP);
        assertThat(result.get("rejected").isEmpty()).isTrue();
        assertThat(result.has("p95_ms")).isTrue();
        assertThat(result.has("ratio")).isFalse();
        assertThat(Files.exists(dataDir.resolve("bench"))).isFalse();
    }

    @Test
    void syncReplyAnswersEveryPendingCallAndComparesWithAConsumerGroupsRead() throws Exception {
        JsonNode result = run("sync-reply", 40, 100);

        assertThat(result.get("scenario").asText()).isEqualTo("sync-reply");
        assertThat(result.get("answered_in_window").asInt()).isEqualTo(40);
        assertThat(result.get("missed_window").asInt()).isZero();
        assertThat(result.get("replies_read_per_instance").asLong()).isGreaterThanOrEqualTo(40);
        assertThat(result.has("baseline_group_consumer_p50_ms")).isTrue();
        assertThat(result.has("follower_cpu_cores_per_instance")).isTrue();
        assertThat(Files.exists(dataDir.resolve("bench"))).isFalse();
    }

    @Test
    void asyncModelRunsBothSidesOnTheDelayedProviderAndSaysSo() throws Exception {
        JsonNode result = run("async-model", 3, null);

        assertThat(result.get("model").asText()).isEqualTo("in-process delay 300 ms");
        assertThat(result.get("in_flight").asInt()).isEqualTo(256);
        assertThat(result.get("completed").asInt()).isEqualTo(3);
        assertThat(result.get("baseline_completed").asInt()).isEqualTo(3);
        assertThat(result.get("timed_out").asBoolean()).isFalse();
        assertThat(result.has("ratio")).isTrue();
    }

    @Test
    void modelClientAnswersEveryCallDirectlyAndThroughTheFallbackAndReportsWhatTheFallbackAdds() throws Exception {
        JsonNode result = run("model-client", 20, null);

        assertThat(result.get("scenario").asText()).isEqualTo("model-client");
        assertThat(result.get("answered").asInt()).isEqualTo(20);
        assertThat(result.get("fallback_answered_by_backup").asInt()).isEqualTo(20);
        // warm-up 20 + direct 20 + fallback 20 × (failed primary + backup)
        assertThat(result.get("requests_served").asInt()).isEqualTo(80);
        assertThat(result.get("throughput_per_s").asDouble()).isPositive();
        assertThat(result.has("fallback_added_p50_ms")).isTrue();
    }

    @Test
    void graphSinkPostsEveryReplyToTheLocalGraphExactlyOnceAndComparesWithTheOutbox() throws Exception {
        JsonNode result = run("graph-sink", 40, null);

        assertThat(result.get("scenario").asText()).isEqualTo("graph-sink");
        assertThat(result.get("messages").asInt()).isEqualTo(40);
        assertThat(result.get("completed").asInt()).isEqualTo(40);
        assertThat(result.get("confirmed").asInt()).isEqualTo(40);
        // every reply once: the warm-up's replies are not posted again after the restart on committed offsets
        assertThat(result.get("duplicates").asInt()).isZero();
        assertThat(result.get("warmup_duplicates").asInt()).isZero();
        assertThat(result.get("stub_unexpected").asInt()).isZero();
        assertThat(result.get("stub_refused").asInt()).isZero();
        assertThat(result.get("posted_channel").asInt() + result.get("posted_chat").asInt()).isEqualTo(40);
        assertThat(result.get("posted_channel").asInt()).isPositive();
        assertThat(result.get("posted_chat").asInt()).isPositive();
        assertThat(result.get("dead_lettered").asInt()).isZero();
        assertThat(result.get("latency_samples").asInt()).isEqualTo(40);
        assertThat(result.get("baseline_completed").asInt()).isEqualTo(40);
        assertThat(result.get("timed_out").asBoolean()).isFalse();
        assertThat(result.get("baseline_per_s").asDouble()).isPositive();
        assertThat(result.has("ratio")).isTrue();
        assertThat(result.get("graph_max_concurrency").asInt()).isEqualTo(16);
        assertThat(result.get("warmup_messages").asInt()).isEqualTo(WARMUP);
        assertThat(Files.exists(dataDir.resolve("bench"))).isFalse();
    }
}
