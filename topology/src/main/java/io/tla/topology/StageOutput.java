package io.tla.topology;

import io.tla.schemas.ReplyEvent;
import io.tla.schemas.TelemetryEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Everything one stage made of one input: the request that continues to the next stage (if any), the replies it
 * emits and what it observed. The topology routes each part to its topic, so stages never know topic names.
 */
public record StageOutput(Optional<TranslationRequest> next, List<ReplyEvent> replies, List<TelemetryEvent> telemetry) {

    public StageOutput {
        replies = List.copyOf(replies);
        telemetry = List.copyOf(telemetry);
    }

    public static StageOutput proceed(TranslationRequest next, TelemetryEvent... telemetry) {
        return new StageOutput(Optional.of(next), List.of(), List.of(telemetry));
    }

    public static StageOutput reply(ReplyEvent reply, TelemetryEvent... telemetry) {
        return new StageOutput(Optional.empty(), List.of(reply), List.of(telemetry));
    }

    public static StageOutput observe(TelemetryEvent... telemetry) {
        return new StageOutput(Optional.empty(), List.of(), List.of(telemetry));
    }

    /** The same output with more telemetry after what it already has. */
    public StageOutput and(TelemetryEvent... more) {
        List<TelemetryEvent> all = new ArrayList<>(telemetry);
        all.addAll(List.of(more));
        return new StageOutput(next, replies, all);
    }

    /** Zero or one request, for {@code flatMapValues}. */
    public List<TranslationRequest> continuation() {
        return next.map(List::of).orElse(List.of());
    }
}
