package io.tla.topology;

import io.tla.schemas.ReplyEvent;
import io.tla.schemas.TelemetryEvent;
import io.tla.topology.budget.BudgetSettlement;
import io.tla.topology.errors.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Everything one stage made of one input: the request that continues to the next stage (if any), the replies it
 * emits, what it observed, the budget reservations it settles and the messages it gives up on (dead letters). The
 * topology routes each part to its topic, so stages never know topic names.
 */
public record StageOutput(Optional<TranslationRequest> next, List<ReplyEvent> replies, List<TelemetryEvent> telemetry,
                          List<BudgetSettlement> settlements, List<DeadLetter> deadLetters) {

    public StageOutput {
        replies = List.copyOf(replies);
        telemetry = List.copyOf(telemetry);
        settlements = List.copyOf(settlements);
        deadLetters = List.copyOf(deadLetters);
    }

    public static StageOutput proceed(TranslationRequest next, TelemetryEvent... telemetry) {
        return new StageOutput(Optional.of(next), List.of(), List.of(telemetry), List.of(), List.of());
    }

    public static StageOutput reply(ReplyEvent reply, TelemetryEvent... telemetry) {
        return new StageOutput(Optional.empty(), List.of(reply), List.of(telemetry), List.of(), List.of());
    }

    public static StageOutput observe(TelemetryEvent... telemetry) {
        return new StageOutput(Optional.empty(), List.of(), List.of(telemetry), List.of(), List.of());
    }

    /** The same output with more telemetry after what it already has. */
    public StageOutput and(TelemetryEvent... more) {
        List<TelemetryEvent> all = new ArrayList<>(telemetry);
        all.addAll(List.of(more));
        return new StageOutput(next, replies, all, settlements, deadLetters);
    }

    /** The same output, also settling a budget reservation. */
    public StageOutput settling(BudgetSettlement settlement) {
        List<BudgetSettlement> all = new ArrayList<>(settlements);
        all.add(settlement);
        return new StageOutput(next, replies, telemetry, all, deadLetters);
    }

    /** The same output, also dead-lettering a message. */
    public StageOutput deadLettering(DeadLetter deadLetter) {
        List<DeadLetter> all = new ArrayList<>(deadLetters);
        all.add(deadLetter);
        return new StageOutput(next, replies, telemetry, settlements, all);
    }

    /** Zero or one request, for {@code flatMapValues}. */
    public List<TranslationRequest> continuation() {
        return next.map(List::of).orElse(List.of());
    }
}
