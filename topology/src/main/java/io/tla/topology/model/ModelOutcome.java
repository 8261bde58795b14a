package io.tla.topology.model;

import io.tla.schemas.ReplyEvent;
import io.tla.schemas.TelemetryEvent;
import io.tla.topology.StageOutput;
import io.tla.topology.budget.BudgetSettlement;
import io.tla.topology.errors.DeadLetter;
import java.util.List;

/**
 * What a finished model call becomes ({@link ModelOutcomes} decides): a reply, a skip or a failure, each with the
 * budget settlement and the message's one telemetry event; {@link #output()} is the stage's output for it.
 */
sealed interface ModelOutcome {

    StageOutput output();

    /**
     * The model answered: the translation reply, the reservation settled with the real usage, the message's one
     * event, and the rare events of its own (glossary violations, then the fallbacks taken).
     */
    record Translated(ReplyEvent reply, BudgetSettlement settlement, TelemetryEvent processed,
                      List<TelemetryEvent> rare) implements ModelOutcome {
        public Translated {
            rare = List.copyOf(rare);
        }

        @Override
        public StageOutput output() {
            return StageOutput.reply(reply, processed).and(rare.toArray(TelemetryEvent[]::new)).settling(settlement);
        }
    }

    /** Already in the tenant's only target language: no reply, the reservation released, the message's one event. */
    record Skipped(BudgetSettlement release, TelemetryEvent processed) implements ModelOutcome {
        /** The {@code reason} of {@code translation.skipped}. */
        public static final String ALREADY_IN_TARGET_LANGUAGE = "already-in-target-language";

        @Override
        public StageOutput output() {
            return StageOutput.observe(processed).settling(release);
        }
    }

    /**
     * No provider answered: a {@code failed} reply, the reservation released, the message dead-lettered for
     * replay, its one event, and a {@code model.fallback} event per provider passed over.
     */
    record Failed(ReplyEvent reply, BudgetSettlement release, DeadLetter deadLetter, TelemetryEvent processed,
                  List<TelemetryEvent> fallbacks) implements ModelOutcome {
        public Failed {
            fallbacks = List.copyOf(fallbacks);
        }

        @Override
        public StageOutput output() {
            return StageOutput.reply(reply, processed).and(fallbacks.toArray(TelemetryEvent[]::new))
                    .settling(release).deadLettering(deadLetter);
        }
    }
}
