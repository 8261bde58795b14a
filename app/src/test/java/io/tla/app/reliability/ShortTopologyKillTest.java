package io.tla.app.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 1 of the reliability suite in its short form, for CI (no tag): 300 signed webhook messages over 30
 * conversations at 20/s through the HTTP ingress, two topology processes of which one is killed with SIGKILL and
 * restarted, replies posted to a Graph mock. Nothing lost, nothing posted or committed twice, conversation order
 * kept. The full form is {@link ReliabilityScenariosTest#scenario1TopologyKilledAndRestarted}.
 */
class ShortTopologyKillTest {

    @TempDir
    Path dir;

    @Test
    void aTopologyInstanceKilledMidStreamLosesAndDuplicatesNothing() throws Exception {
        try (Brokers brokers = EmbeddedBrokers.start(dir)) {
            Outcome outcome = Scenarios.topologyKill("scenario1-short", dir, brokers,
                    new Scenarios.Load(300, 30, 20), false);
            assertThat(outcome.notAccepted).as("messages the ingress never accepted").isZero();
            assertThat(outcome.lost).as("accepted messages without a committed reply").isZero();
            assertThat(outcome.duplicated).as("extra committed replies").isZero();
            assertThat(outcome.outOfOrder).as("replies out of conversation order").isZero();
            assertThat(outcome.graphLost).as("committed replies never posted to Graph").isZero();
            assertThat(outcome.graphDuplicated).as("extra Graph posts").isZero();
        }
    }
}
