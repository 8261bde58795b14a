package io.tla.topology.language;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DetectionScoreTest {

    @Test
    void countsAWrongAnswerAsASkipOnlyWhereItNamesATarget() {
        DetectionScore score = DetectionScore.of(List.of(
                new DetectionScore.Answer("de", "de"),   // right
                new DetectionScore.Answer("nl", "und"),  // costs a translation, skips none
                new DetectionScore.Answer("nl", "de"),   // skips the German translation a Dutch text needs
                new DetectionScore.Answer("da", "nb"))); // wrong, but nb is no target here

        assertThat(score.right()).isEqualTo(1);
        assertThat(score.undetermined()).isEqualTo(1);
        assertThat(score.wrong()).isEqualTo(2);
        assertThat(score.wrongSkips()).isEqualTo(1);
        // de needs 4 of the 5 targets, the others all 5
        assertThat(score.needed()).isEqualTo(4 + 5 + 5 + 5);
        assertThat(score.accuracy()).isEqualTo(0.25);
        assertThat(score.wrongSkipRate()).isEqualTo(1.0 / 19);
    }
}
