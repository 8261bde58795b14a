package io.tla.topology.model;

import static io.tla.topology.TopologyHarness.message;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.tla.topology.StageOutput;
import io.tla.topology.TopologyHarness;
import io.tla.topology.TranslationRequest;
import io.tla.topology.budget.BudgetReservation;
import io.tla.topology.budget.BudgetSettlement;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** What a finished call becomes, without Kafka Streams. */
class ModelOutcomesTest {

    private static final BudgetReservation RESERVATION = new BudgetReservation("2026-11-25", 20, 100,
            new BigDecimal("0.1"));

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ModelOutcomes outcomes = new ModelOutcomes("primary", Clock.fixed(TopologyHarness.NOW,
            ZoneOffset.UTC), meters);

    private static PendingCall call(int replayAttempt) {
        TranslationRequest request = new TranslationRequest(message("tenant-a", "conv-a", "a1", "Guten Morgen"),
                List.of("en"), RESERVATION, List.of())
                .withFact("budget.decision", Map.of("decision", "allowed"), TopologyHarness.NOW);
        return new PendingCall(request, 1L, replayAttempt);
    }

    private static String key(long offset) {
        return PendingQueue.key(PendingQueue.conversationOf(message("tenant-a", "conv-a", "a1", "x")), offset);
    }

    @Test
    void anAnswerBecomesTheReplyItsRealCostTheMessagesOneEventAndItsFallbacks() {
        ModelResponse response = new ModelResponse("backup", "backup-1", "de", List.of(new Translation("en", "Hi")),
                new Usage(30, 10, new BigDecimal("0.002")), List.of(new ModelResponse.Fallback("primary", "backup",
                "http-503", 1)));

        ModelOutcome outcome = outcomes.of(call(0), new ModelCompletion("c", key(7), "de", response, null,
                2_000_000, 1, 1, false, "k"), "app-messages-by-tenant-repartition", 3);

        assertThat(outcome).isInstanceOfSatisfying(ModelOutcome.Translated.class, translated -> {
            assertThat(translated.reply().kind()).isEqualTo(ReplyKind.TRANSLATION);
            assertThat(translated.reply().provider()).isEqualTo("backup");
            assertThat(translated.settlement()).isEqualTo(new BudgetSettlement("tenant-a", "a1", RESERVATION,
                    response.usage()));
            assertThat(translated.processed().attributes()).containsOnlyKeys("budget.decision", "model.call",
                    "reply.emitted");
            assertThat(translated.processed().facts("model.call").orElseThrow()).containsEntry("outcome", "ok")
                    .containsEntry("provider", "primary").containsEntry("latencyMs", 2.0);
            assertThat(translated.rare()).extracting(TelemetryEvent::type).containsExactly("model.fallback");
        });
        StageOutput output = outcome.output();
        assertThat(output.telemetry()).extracting(TelemetryEvent::type)
                .containsExactly("message.processed", "model.fallback");
        assertThat(output.deadLetters()).isEmpty();
        assertThat(meters.get("tla.model.calls").tag("outcome", "ok").counter().count()).isEqualTo(1);
        assertThat(meters.get("tla.model.cost.usd").counter().count()).isEqualTo(0.002);
    }

    @Test
    void noAnswerBecomesAFailedReplyItsReleaseAndADeadLetterNamingWhereTheMessageWasRead() {
        AllProvidersFailedException failure = new AllProvidersFailedException("backup", "http-500", List.of(
                new ModelResponse.Fallback("primary", "backup", "breaker-open", 1),
                new ModelResponse.Fallback("backup", "none", "http-500", 2)));

        ModelOutcome outcome = outcomes.of(call(2), new ModelCompletion("c", key(42), null, null,
                new CompletionException(failure), 1_000_000, 1, 1, false, "k"),
                "app-messages-by-tenant-repartition", 3);

        assertThat(outcome).isInstanceOfSatisfying(ModelOutcome.Failed.class, failed -> {
            assertThat(failed.reply().kind()).isEqualTo(ReplyKind.FAILED);
            assertThat(failed.release()).isEqualTo(BudgetSettlement.release("tenant-a", "a1", RESERVATION));
            assertThat(failed.deadLetter().reason()).isEqualTo("all-providers-failed:http-500");
            assertThat(failed.deadLetter().topic()).isEqualTo("app-messages-by-tenant-repartition");
            assertThat(failed.deadLetter().partition()).isEqualTo(3);
            assertThat(failed.deadLetter().offset()).isEqualTo(42);
            assertThat(failed.deadLetter().replayAttempt()).isEqualTo(2);
            assertThat(failed.processed().facts("model.call").orElseThrow()).containsEntry("outcome", "error")
                    .containsEntry("error", "all-providers-failed:http-500");
            assertThat(failed.processed().facts("reply.emitted").orElseThrow()).containsEntry("kind", "failed");
            assertThat(failed.fallbacks()).extracting(e -> e.attributes().get("reason"))
                    .containsExactly("breaker-open", "http-500");
        });
        assertThat(outcome.output().deadLetters()).hasSize(1);
        assertThat(meters.get("tla.model.calls").tag("outcome", "error").counter().count()).isEqualTo(1);
    }

    @Test
    void nothingToTranslateBecomesTheReleaseAndTheMessagesOneEventWithoutAReply() {
        ModelOutcome outcome = outcomes.of(call(0), new ModelCompletion("c", key(1), "en", null, null, 0, 1, 1,
                false, "k"), "unused", 0);

        assertThat(outcome).isInstanceOfSatisfying(ModelOutcome.Skipped.class, skipped -> {
            assertThat(skipped.release()).isEqualTo(BudgetSettlement.release("tenant-a", "a1", RESERVATION));
            assertThat(skipped.processed().facts("translation.skipped").orElseThrow())
                    .containsEntry("reason", "already-in-target-language").containsEntry("language", "en");
        });
        assertThat(outcome.output().replies()).isEmpty();
        assertThat(meters.get("tla.translation.skipped").counter().count()).isEqualTo(1);
    }
}
