package io.tla.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.topology.language.DetectionScore;
import io.tla.topology.language.NgramLanguageDetector;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The detection scenario's scoring and timing, on the pipeline's detector only (Lingua takes a minute to load). */
class DetectionScenarioTest {

    private static final List<DetectionScenario.Text> TEXTS = List.of(
            new DetectionScenario.Text("de", "Guten Morgen zusammen, können wir das Meeting verschieben?"),
            new DetectionScenario.Text("en", "Could you send me the latest version of the report?"),
            new DetectionScenario.Text("fr", "ok"));

    @Test
    void scoresEachTextWithItsLanguageAndCountsUndeterminedSeparately() {
        DetectionScore score = DetectionScenario.score(NgramLanguageDetector.load(), TEXTS);

        assertThat(score.texts()).isEqualTo(3);
        assertThat(score.right()).isEqualTo(2);
        assertThat(score.undetermined()).isEqualTo(1);
        assertThat(score.wrongSkips()).isZero();
    }

    @Test
    void timesTheRequestedNumberOfDetections() {
        DetectionScenario.Round round = DetectionScenario.time(NgramLanguageDetector.load(), TEXTS, 500);

        assertThat(round.latencies().count()).isEqualTo(500);
        assertThat(round.perSecond()).isPositive();
        assertThat(round.cpuMicros()).isPositive();
    }
}
