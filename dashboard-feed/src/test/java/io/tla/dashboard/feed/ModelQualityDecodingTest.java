package io.tla.dashboard.feed;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.dashboard.store.ModelQuality;
import io.tla.dashboard.store.ModelQuality.Action;
import io.tla.dashboard.store.ModelQuality.Attempt;
import io.tla.dashboard.store.ModelQuality.Problem;
import io.tla.dashboard.store.ModelQuality.Verification;
import io.tla.dashboard.store.StoredEvent;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The verification facts of a {@code model.call} ({@code verification}, {@code attempts}) as the feed decodes
 * them from a {@code message.processed} record: read exactly when well-formed, tolerantly when not, never failing
 * the event.
 */
class ModelQualityDecodingTest {

    /** A message.processed record whose model.call fact has {@code callAttributes} (JSON members) besides provider. */
    static TelemetryDecoder.Decoded processed(String callAttributes) {
        return TelemetryDecoder.decode(processedJson(callAttributes).getBytes(StandardCharsets.UTF_8));
    }

    static String processedJson(String callAttributes) {
        return """
                {"eventId":"message.processed:t1:m1","type":"message.processed","tenantId":"t1","conversationId":"c1",
                 "messageId":"m1","at":"2026-11-25T15:00:01Z","attributes":{
                   "budget.decision":{"at":"2026-11-25T15:00:00.010Z","decision":"allowed"},
                   "model.call":{"at":"2026-11-25T15:00:00.900Z","provider":"chain","model":"gpt-4o-mini",
                                 "outcome":"ok","costUsd":0.001%s},
                   "reply.emitted":{"at":"2026-11-25T15:00:01Z","replyId":"r1","kind":"translation","endToEndMs":900}}}"""
                .formatted(callAttributes.isEmpty() ? "" : "," + callAttributes);
    }

    static StoredEvent modelCall(TelemetryDecoder.Decoded decoded) {
        assertThat(decoded.ok()).as(decoded.reason()).isTrue();
        return decoded.events().stream().filter(e -> e.type().equals("model.call")).findFirst().orElseThrow();
    }

    @Test
    void readsEachCheckedAnswerInOrderAndTheFinalStatus() {
        StoredEvent call = modelCall(processed("""
                "verification":"verified","attempts":[
                 {"provider":"primary","model":"gpt-4o-mini","problems":["wrong-language","glossary-miss"],"action":"retried"},
                 {"provider":"primary","model":"gpt-4o-mini","problems":["unchanged"],"action":"fell-back"},
                 {"provider":"backup","model":"claude-haiku","problems":[],"action":"accepted"}]"""));

        ModelQuality quality = call.quality();
        assertThat(quality.verification()).isEqualTo(Verification.VERIFIED);
        assertThat(quality.attempts()).containsExactly(
                new Attempt("primary", "gpt-4o-mini", false, Set.of(Problem.WRONG_LANGUAGE, Problem.GLOSSARY_MISS),
                        Action.RETRIED),
                new Attempt("primary", "gpt-4o-mini", false, Set.of(Problem.UNCHANGED), Action.FELL_BACK),
                new Attempt("backup", "claude-haiku", true, Set.of(), Action.ACCEPTED));
        assertThat(quality.answeredBy()).as("the answer that was sent").isEqualTo("backup");
        assertThat(quality.answeredModel()).isEqualTo("claude-haiku");
        assertThat(quality.skipped()).isZero();
        // the rest of the fact is read as before
        assertThat(call.costUsd()).isEqualTo(0.001);
        assertThat(call.attributesJson()).contains("\"attempts\"");
    }

    @Test
    void countsAnAnswerSentUnverifiedUnderTheProviderThatGaveIt() {
        ModelQuality quality = modelCall(processed("""
                "verification":"unverified","attempts":[
                 {"provider":"backup","model":"m2","problems":["malformed"],"action":"retried"},
                 {"provider":"backup","model":"m2","problems":["malformed"],"action":"kept-unverified"}]""")).quality();

        assertThat(quality.verification()).isEqualTo(Verification.UNVERIFIED);
        assertThat(quality.attempts()).extracting(Attempt::action)
                .containsExactly(Action.RETRIED, Action.KEPT_UNVERIFIED);
        assertThat(quality.answeredBy()).isEqualTo("backup");
    }

    @Test
    void aCacheHitOrTheOfflineProviderIsNotCheckedUnderTheCallsOwnProviderAndModel() {
        ModelQuality quality = modelCall(processed("\"verification\":\"not-checked\",\"cache\":\"hit\"")).quality();

        assertThat(quality.verification()).isEqualTo(Verification.NOT_CHECKED);
        assertThat(quality.attempts()).isEmpty();
        assertThat(quality.answeredBy()).isEqualTo("chain");
        assertThat(quality.answeredModel()).isEqualTo("gpt-4o-mini");
    }

    @Test
    void eventsOfOlderReleasesHaveNoVerificationFacts() {
        StoredEvent call = modelCall(processed(""));

        assertThat(call.quality()).isNull();
        assertThat(call.provider()).isEqualTo("chain");
    }

    @Test
    void aFailedMessageCarriesItsAttemptsWithoutAFinalStatus() {
        String json = processedJson("""
                "error":"all-providers-failed","attempts":[
                 {"provider":"primary","model":"m","problems":["unchanged"],"action":"fell-back"}]""")
                .replace("\"outcome\":\"ok\"", "\"outcome\":\"error\"");
        StoredEvent call = modelCall(TelemetryDecoder.decode(json.getBytes(StandardCharsets.UTF_8)));
        ModelQuality quality = call.quality();

        assertThat(call.outcome()).isEqualTo("error");
        assertThat(quality.verification()).isNull();
        assertThat(quality.attempts()).hasSize(1);
    }

    @Test
    void ignoresAnAttemptsAttributeThatIsNotAnArrayWithoutFailingTheEvent() {
        TelemetryDecoder.Decoded decoded = processed("\"verification\":\"verified\",\"attempts\":{\"provider\":\"primary\"}");

        assertThat(decoded.events()).extracting(StoredEvent::type)
                .containsExactlyInAnyOrder("budget.decision", "model.call", "reply.emitted");
        ModelQuality quality = modelCall(decoded).quality();
        assertThat(quality.attempts()).isEmpty();
        assertThat(quality.skipped()).isEqualTo(1);
        assertThat(quality.verification()).as("the status is still read").isEqualTo(Verification.VERIFIED);
    }

    @Test
    void skipsMalformedAttemptsAndReadsTheWellFormedOnes() {
        ModelQuality quality = modelCall(processed("""
                "verification":"surely","attempts":[
                 "primary",
                 42,
                 null,
                 {"model":"m","problems":[],"action":"accepted"},
                 {"provider":"  ","problems":[],"action":"accepted"},
                 {"provider":7,"problems":[],"action":"accepted"},
                 {"provider":"primary","model":"m","problems":"wrong-language","action":"retried"},
                 {"provider":"primary","model":"m","action":"retried"},
                 {"provider":"primary","model":{"name":"m"},"problems":[],"action":"accepted"}]""")).quality();

        assertThat(quality.skipped()).isEqualTo(8);
        assertThat(quality.attempts()).containsExactly(new Attempt("primary", "", true, Set.of(), Action.ACCEPTED));
        assertThat(quality.verification()).as("an unknown status counts nowhere").isNull();
    }

    @Test
    void ignoresUnknownProblemNamesAndActionsButAnAnswerWithAnyProblemDidNotPass() {
        ModelQuality quality = modelCall(processed("""
                "verification":"verified","attempts":[
                 {"provider":"primary","model":"m","problems":["too-polite",3,null],"action":"asked-a-human"},
                 {"provider":"primary","model":"m","problems":["too-polite","unchanged"],"action":"retried"}]""")).quality();

        assertThat(quality.attempts()).containsExactly(
                new Attempt("primary", "m", false, Set.of(), null),
                new Attempt("primary", "m", false, Set.of(Problem.UNCHANGED), Action.RETRIED));
        assertThat(quality.skipped()).isZero();
    }

    @Test
    void readsAtMostSixteenAttemptsAndCutsLongNames() {
        String longName = "p".repeat(300);
        String attempts = IntStream.range(0, 20)
                .mapToObj(i -> "{\"provider\":\"" + longName + "\",\"model\":\"m" + i + "\",\"problems\":[\"malformed\"],"
                        + "\"action\":\"retried\"}")
                .collect(Collectors.joining(","));
        ModelQuality quality = modelCall(processed("\"attempts\":[" + attempts + "]")).quality();

        assertThat(quality.attempts()).hasSize(ModelQuality.MAX_ATTEMPTS);
        assertThat(quality.skipped()).isEqualTo(20 - ModelQuality.MAX_ATTEMPTS);
        assertThat(quality.attempts().get(15).model()).isEqualTo("m15");
        assertThat(quality.attempts()).allSatisfy(a -> assertThat(a.provider()).hasSize(ModelQuality.MAX_NAME));
    }

    @Test
    void neverCutsANameInsideASurrogatePair() {
        String name = "x".repeat(ModelQuality.MAX_NAME - 1) + "\uD83D\uDE00tail";
        ModelQuality quality = modelCall(processed("\"attempts\":[{\"provider\":\"" + name
                + "\",\"problems\":[],\"action\":\"accepted\"}]")).quality();

        assertThat(quality.attempts().get(0).provider()).isEqualTo("x".repeat(ModelQuality.MAX_NAME - 1));
    }

    @Test
    void aStandaloneModelCallEventIsReadTheSameWay() {
        TelemetryDecoder.Decoded decoded = TelemetryDecoder.decode("""
                {"eventId":"model.call:t1:m2","type":"model.call","tenantId":"t1","messageId":"m2",
                 "at":"2026-11-25T15:00:00Z","attributes":{"provider":"chain","outcome":"ok","verification":"verified",
                 "attempts":[{"provider":"primary","model":"m","problems":[],"action":"accepted"}]}}"""
                .getBytes(StandardCharsets.UTF_8));

        assertThat(modelCall(decoded).quality().attempts()).hasSize(1);
    }

    @Test
    void otherTypesCarryNoVerificationFactsEvenWithTheAttributeNames() {
        TelemetryDecoder.Decoded decoded = TelemetryDecoder.decode("""
                {"eventId":"reply.posted:t1:r1","type":"reply.posted","tenantId":"t1","at":"2026-11-25T15:00:00Z",
                 "attributes":{"replyId":"r1","attempts":1,"verification":"verified"}}"""
                .getBytes(StandardCharsets.UTF_8));

        assertThat(decoded.events().get(0).quality()).isNull();
    }
}
