package io.tla.app.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
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
 * {@code ops/cluster/cluster.sh} when it is in the tree, else the embedded broker.
 */
@Tag("reliability")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReliabilityScenariosTest {

    @TempDir
    static Path dir;

    static Brokers brokers;

    @BeforeAll
    static void startKafka() {
        brokers = Brokers.best(dir);
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
        assertThat(outcome.notAccepted).as("messages the ingress never accepted").isZero();
        assertThat(outcome.lost).as("accepted messages without a committed reply").isZero();
        assertThat(outcome.duplicated).as("extra committed replies").isZero();
        assertThat(outcome.outOfOrder).as("replies out of conversation order").isZero();
        assertThat(outcome.graphLost).as("committed replies never posted to Graph").isZero();
        assertThat(outcome.graphDuplicated).as("extra Graph posts").isZero();
    }
}
