package io.tla.app.reliability;


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
            outcome.assertExactlyOnceInOrder();
        }
    }
}
