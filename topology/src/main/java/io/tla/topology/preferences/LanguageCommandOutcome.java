package io.tla.topology.preferences;

import io.tla.schemas.LanguagePreference;
import io.tla.schemas.NormalizedMessage;
import io.tla.topology.StageOutput;
import java.util.List;
import org.apache.kafka.streams.KeyValue;

/**
 * What the command stage made of one message: either the message, passed on to the budget guard (it is not a
 * command), or the command's answer (a confirmation reply and its telemetry) and, when the command changed
 * something, the record written to {@code tla.languages.v1} under {@code preferenceKey} (a null
 * {@code preference} clears it).
 */
public record LanguageCommandOutcome(NormalizedMessage passedOn, StageOutput answer, String preferenceKey,
                                     LanguagePreference preference) {

    public static LanguageCommandOutcome passOn(NormalizedMessage message) {
        return new LanguageCommandOutcome(message, null, null, null);
    }

    public static LanguageCommandOutcome answered(StageOutput answer) {
        return new LanguageCommandOutcome(null, answer, null, null);
    }

    public static LanguageCommandOutcome changed(StageOutput answer, String key, LanguagePreference preference) {
        return new LanguageCommandOutcome(null, answer, key, preference);
    }

    /** Zero or one message for the next stage, for {@code flatMapValues}. */
    public List<NormalizedMessage> continuation() {
        return passedOn == null ? List.of() : List.of(passedOn);
    }

    /** Zero or one answer, for {@code flatMapValues}. */
    public List<StageOutput> answers() {
        return answer == null ? List.of() : List.of(answer);
    }

    /** Zero or one record for {@code tla.languages.v1} (a null value is a tombstone), for {@code flatMap}. */
    public List<KeyValue<String, LanguagePreference>> preferenceWrites() {
        return preferenceKey == null ? List.of() : List.of(KeyValue.pair(preferenceKey, preference));
    }
}
