package io.tla.app.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reliability scenarios of issue 17 at full size (docs/reliability.md), run only by
 * {@code mvn -B verify -Preliability}. Each prints a one-line JSON summary and appends it to
 * {@code target/reliability/<scenario>.json}. They share one Kafka: the three-broker cluster of
 * {@code ops/cluster/cluster.sh} when it is in the tree, else the embedded broker (see {@link Brokers#best}).
 * Scenarios 4 (Graph storm) and 6 (fuzzing) live elsewhere.
 */
@Tag("reliability")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReliabilityScenariosTest {

    @TempDir
    static Path dir;

    static Brokers brokers;

    @BeforeAll
    static void startKafka() {
        brokers = Brokers.best(dir); // the one line: LocalCluster.start(dir) or EmbeddedBrokers.start(dir)
    }

    @AfterAll
    static void stopKafka() {
        if (brokers != null) {
            brokers.close();
        }
    }

    /** 1. 2 000 messages over 200 conversations; a topology instance killed (SIGKILL) mid-stream, restarted. */
    @Test
    @Order(1)
    void scenario1TopologyKilledAndRestarted() throws Exception {
        Outcome outcome = Scenarios.topologyKill("scenario1-topology-kill", dir.resolve("s1"), brokers,
                new Scenarios.Load(2_000, 200, 20), true);
        outcome.assertExactlyOnceInOrder();
    }

    /**
     * 2. The same load with the broker that leads most partitions killed (SIGKILL) and restarted 30 s later. Every
     * webhook request is answered within 5 s: 202, or 503 with Retry-After (retried after it, as Teams would).
     */
    @Test
    @Order(2)
    void scenario2LeadingBrokerKilledAndRestarted() throws Exception {
        assumeTrue(brokers.isCluster(), "needs the three-broker cluster (ops/cluster/cluster.sh)");
        Scenarios.Load size = new Scenarios.Load(2_000, 200, 20);
        Outcome outcome = Scenarios.pipeline("scenario2-broker-kill", dir.resolve("s2"), brokers, size, true,
                (stack, deployment, load, replies, faults) -> {
                    Scenarios.awaitThird(load, replies, size);
                    var leaders = brokers.leaders();
                    int node = brokers.busiestNode();
                    brokers.kill(node);
                    faults.add(new Outcome.Fault("kill -9 broker " + node + " (leaders " + leaders + ")", System.nanoTime()));
                    Thread.sleep(30_000);
                    brokers.startNode(node);
                    faults.add(new Outcome.Fault("restart broker " + node, System.nanoTime()));
                });
        outcome.assertExactlyOnceInOrder();
        assertAnsweredWithin5s(outcome);
    }

    /** 3. A rolling restart (clean stop, start) of all three brokers under 100 msg/s. */
    @Test
    @Order(3)
    void scenario3RollingBrokerRestartAt100PerSecond() throws Exception {
        assumeTrue(brokers.isCluster(), "needs the three-broker cluster (ops/cluster/cluster.sh)");
        Scenarios.Load size = new Scenarios.Load(15_000, 200, 100);
        Outcome outcome = Scenarios.pipeline("scenario3-rolling-restart", dir.resolve("s3"), brokers, size, true,
                (stack, deployment, load, replies, faults) -> {
                    Thread.sleep(15_000);
                    for (int node = 1; node <= brokers.nodes(); node++) {
                        brokers.stopNode(node);
                        faults.add(new Outcome.Fault("stop broker " + node, System.nanoTime()));
                        Thread.sleep(10_000);
                        brokers.startNode(node);
                        faults.add(new Outcome.Fault("start broker " + node, System.nanoTime()));
                        Thread.sleep(20_000); // the restarted broker catches up before the next one goes
                    }
                });
        outcome.assertExactlyOnceInOrder();
        assertAnsweredWithin5s(outcome);
    }

    /**
     * 5. PostgreSQL stopped and started again under the dashboard feed (the machine's cluster, via pg_ctlcluster):
     * no telemetry lost, none counted twice, the pipeline unaffected.
     */
    @Test
    @Order(5)
    void scenario5PostgresRestartedUnderTheDashboardFeed() throws Exception {
        assumeTrue(Postgres.controllable(), "needs pg_ctlcluster and a local cluster (root)");
        Scenarios.Load size = new Scenarios.Load(2_000, 200, 20);
        Outcome outcome = Scenarios.pipeline("scenario5-postgres-restart", dir.resolve("s5"), brokers, size, true,
                (stack, deployment, load, replies, faults) -> {
                    Scenarios.awaitThird(load, replies, size);
                    Postgres.stop();
                    faults.add(new Outcome.Fault("stop postgresql", System.nanoTime()));
                    Thread.sleep(Long.getLong("tla.reliability.pg-down-ms", 15_000));
                    Postgres.start();
                    faults.add(new Outcome.Fault("start postgresql", System.nanoTime()));
                });
        assertThat(outcome.telemetryLost).as("telemetry rows missing from the store").isZero();
        assertThat(outcome.telemetryExtra).as("store rows no telemetry event stands for").isZero();
        assertThat(outcome.telemetryCountedTwice).as("rollup counts off their rows").isZero();
        outcome.assertExactlyOnceInOrder();
    }

    /**
     * 7. Soak: the all-in-one runtime ({@code tla run}, every role and its embedded broker in one JVM, the
     * launcher's JVM options) at 100 msg/s for 30 minutes ({@code -Dtla.reliability.soak-minutes}, e.g. 3 to try
     * it). RSS and the heap kept after a full collection flat within 10 % (second half against the first, after
     * the warm-up in which the ingress's 10-minute replay window fills; see {@link Soak}), no ERROR lines (the
     * embedded broker's refusals of batches a transactional producer retries are counted apart), consumer lag
     * bounded.
     */
    @Test
    @Order(7)
    void scenario7SoakAllInOne() throws Exception {
        Soak.Result result = Soak.run("scenario7-soak", dir.resolve("s7"),
                Duration.ofMinutes(Long.getLong("tla.reliability.soak-minutes", 30)),
                Integer.getInteger("tla.reliability.soak-rate", 100));
        assertThat(result.outcome().lost).as("accepted messages without a committed reply").isZero();
        assertThat(result.outcome().duplicated).as("extra committed replies").isZero();
        assertThat(result.errorLines()).as("ERROR log lines (besides %d broker refusals the producer retried)",
                result.retriedRefusals().size()).isEmpty();
        assertThat(result.rssGrowth()).as("RSS second half / first half - 1").isLessThanOrEqualTo(0.10);
        assertThat(result.heapGrowth()).as("heap after a full GC, second half / first half - 1")
                .isLessThanOrEqualTo(0.10);
        assertThat(result.lagBounded()).as("consumer lag bounded: " + result.lag()).isTrue();
    }

    /** 8. docker compose: the stack starts and answers a signed message, where a Docker engine runs. */
    @Test
    @Order(8)
    void scenario8ComposeStackAnswersASignedMessage() throws Exception {
        assumeTrue(Compose.engineAvailable(), "no Docker engine here (docker info fails)");
        Compose.Result result = Compose.upAndSend("scenario8-compose", dir.resolve("s8"));
        assertThat(result.status()).as("POST /api/messages").isEqualTo(202);
        assertThat(result.replied()).as("a reply on teams.replies.v1").isTrue();
    }

    private static void assertAnsweredWithin5s(Outcome outcome) {
        assertThat(outcome.noAnswerWithin5s).as("webhook requests not answered within 5 s").isZero();
        assertThat(outcome.webhook.keySet()).as("webhook answers").isSubsetOf(List.of("202", "503"));
    }
}
