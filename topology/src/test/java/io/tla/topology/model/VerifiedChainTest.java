package io.tla.topology.model;

import static io.tla.topology.model.ChatCompletions.answer;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.QualityConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.GlossaryEntry;
import io.tla.topology.glossary.GlossaryTerm;
import io.tla.topology.quality.Check;
import io.tla.topology.quality.Verification;
import io.tla.topology.quality.Verification.Action;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Checked answers through the chain as the pipeline builds it, against two local OpenAI-compatible servers that
 * answer in the wrong language, echo the message, drop a required glossary term or send no JSON.
 */
class VerifiedChainTest {

    private static final String MESSAGE = "Guten Morgen zusammen, die Lieferung kommt heute Nachmittag an.";
    private static final String ENGLISH = "Good morning everyone, the delivery arrives this afternoon.";
    private static final String FRENCH = "Bonjour à tous, la livraison arrive cet après-midi.";

    private final LocalChatServer primary = new LocalChatServer();
    private final LocalChatServer backup = new LocalChatServer();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final Map<String, String> keys = new HashMap<>();

    @BeforeEach
    void start() {
        primary.start();
        backup.start();
        keys.put("model.providers", "primary,backup");
        for (String name : List.of("primary", "backup")) {
            LocalChatServer server = name.equals("primary") ? primary : backup;
            keys.put("model.provider." + name + ".type", "openai");
            keys.put("model.provider." + name + ".base-url", server.url("/v1"));
            keys.put("model.provider." + name + ".model", name + "-model");
            keys.put("model.provider." + name + ".max-attempts", "1");
        }
    }

    @AfterEach
    void stop() {
        primary.close();
        backup.close();
    }

    private ModelProvider chain() {
        TlaConfig config = TlaConfig.of(keys);
        return ModelProviders.chain(ChatCompletions.config(keys), new ChatCompletions.Secrets(), meters,
                Clock.systemUTC(), null, QualityConfig.from(config));
    }

    private static ModelRequest request(List<GlossaryTerm> glossary) {
        return new ModelRequest("tenant-a", "conv-a", "m1", MESSAGE, List.of("en"), List.of(), 256, "de", "business",
                glossary);
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder english(String text) {
        return answer("{\"sourceLanguage\":\"de\",\"translations\":[{\"language\":\"en\",\"text\":\"" + text + "\"}]}");
    }

    private ModelResponse translate(List<GlossaryTerm> glossary) {
        return chain().translate(request(glossary)).toCompletableFuture().join();
    }

    private double counted(String name, String provider, String... tags) {
        var search = meters.find(name).tags("provider", provider).tags(tags);
        return search.counter() == null ? 0 : search.counter().count();
    }

    private static String systemPrompt(LoggedRequest request) {
        return request.getBodyAsString();
    }

    @Test
    void anAnswerInTheWrongLanguageIsAskedAgainWithACorrectionAndThePassingAnswerIsVerified() {
        primary.enqueue(english(FRENCH)).enqueue(english(ENGLISH));

        ModelResponse response = translate(List.of());

        assertThat(response.translations().get(0).text()).isEqualTo(ENGLISH);
        assertThat(response.verification().status()).isEqualTo(Verification.Status.VERIFIED);
        assertThat(response.verification().attempts()).extracting(Verification.Attempt::action)
                .containsExactly(Action.RETRIED, Action.ACCEPTED);
        assertThat(response.verification().attempts().get(0).problems()).singleElement()
                .satisfies(problem -> assertThat(problem.check()).isEqualTo(Check.WRONG_LANGUAGE));
        List<LoggedRequest> sent = primary.requests();
        assertThat(systemPrompt(sent.get(0))).doesNotContain("rejected by an automatic check");
        assertThat(systemPrompt(sent.get(1))).contains("rejected by an automatic check")
                .contains("The en text was not written in English (en) (it read as French (fr))");
        assertThat(backup.requestCount()).isZero();
        assertThat(counted("tla.model.answers", "primary", "model", "primary-model")).isEqualTo(2);
        assertThat(counted("tla.model.answers.failed", "primary")).isEqualTo(1);
        assertThat(counted("tla.model.answer.problems", "primary", "problem", "wrong-language")).isEqualTo(1);
        assertThat(counted("tla.model.answers.retried", "primary")).isEqualTo(1);
        assertThat(meters.find("tla.model.quality.pass.rate").tag("provider", "primary").gauge()).isNotNull();
    }

    @Test
    void anEchoAfterItsRetryGoesToTheNextProviderAndCountsAsFellBack() {
        primary.enqueue(english(MESSAGE)).enqueue(english(MESSAGE));
        backup.enqueue(english(ENGLISH));

        ModelResponse response = translate(List.of());

        assertThat(response.provider()).isEqualTo("backup");
        assertThat(response.verification().verified()).isTrue();
        assertThat(response.verification().attempts()).extracting(Verification.Attempt::provider,
                Verification.Attempt::action).containsExactly(
                org.assertj.core.groups.Tuple.tuple("primary", Action.RETRIED),
                org.assertj.core.groups.Tuple.tuple("primary", Action.FELL_BACK),
                org.assertj.core.groups.Tuple.tuple("backup", Action.ACCEPTED));
        assertThat(response.fallbacks()).singleElement().satisfies(fallback -> {
            assertThat(fallback.reason()).isEqualTo("unverified-unchanged");
            assertThat(fallback.to()).isEqualTo("backup");
        });
        assertThat(counted("tla.model.answer.problems", "primary", "problem", "unchanged")).isEqualTo(2);
        assertThat(counted("tla.model.answers.fell.back", "primary")).isEqualTo(1);
    }

    @Test
    void whenNoProviderPassesTheAnswerWithFewestProblemsIsKeptAndMarkedUnverified() {
        GlossaryTerm shipment = new GlossaryTerm("Lieferung", "en", "shipment", true, GlossaryEntry.Scope.TENANT);
        // primary: French twice (wrong language and the term missing); backup: English without the term, twice
        primary.enqueue(english(FRENCH)).enqueue(english(FRENCH));
        backup.enqueue(english(ENGLISH)).enqueue(english(ENGLISH));

        ModelResponse response = translate(List.of(shipment));

        assertThat(response.verification().status()).isEqualTo(Verification.Status.UNVERIFIED);
        assertThat(response.provider()).isEqualTo("backup");
        assertThat(response.translations().get(0).text()).isEqualTo(ENGLISH);
        assertThat(response.verification().problems()).extracting(p -> p.check()).containsExactly(Check.GLOSSARY_MISS);
        assertThat(response.verification().attempts()).extracting(Verification.Attempt::action).containsExactly(
                Action.RETRIED, Action.FELL_BACK, Action.RETRIED, Action.KEPT_UNVERIFIED);
        assertThat(systemPrompt(backup.requests().get(1)))
                .contains("did not use the required glossary term \\\"shipment\\\"");
        assertThat(counted("tla.model.answers.unverified", "backup")).isEqualTo(1);
    }

    @Test
    void anAnswerNotInTheJsonFormAskedForIsMalformedAndAskedAgainWithTheFormatRestated() {
        primary.enqueue(answer("{\"sourceLanguage\":\"de\",\"translations\":\"none\"}"))
                .enqueue(english(ENGLISH));

        ModelResponse response = translate(List.of());

        assertThat(response.verification().verified()).isTrue();
        assertThat(response.verification().attempts().get(0).problems()).extracting(p -> p.check())
                .containsExactly(Check.MALFORMED);
        assertThat(systemPrompt(primary.requests().get(1))).contains("not the JSON object asked for");
        assertThat(counted("tla.model.answer.problems", "primary", "problem", "malformed")).isEqualTo(1);
    }

    @Test
    void anAnswerMissingItsTargetLanguageIsNeverSentEvenWhenNoProviderDoesBetter() {
        String french = "{\"sourceLanguage\":\"de\",\"translations\":[{\"language\":\"fr\",\"text\":\"" + FRENCH
                + "\"}]}";
        primary.enqueue(answer(french)).enqueue(answer(french));
        backup.enqueue(answer(french)).enqueue(answer(french));

        Throwable failure = chain().translate(request(List.of())).toCompletableFuture()
                .handle((response, error) -> error).join();

        assertThat(failure).hasCauseInstanceOf(AllProvidersFailedException.class);
        AllProvidersFailedException failed = (AllProvidersFailedException) failure.getCause();
        assertThat(failed.attempts()).extracting(Verification.Attempt::action)
                .containsExactly(Action.RETRIED, Action.FELL_BACK, Action.RETRIED, Action.FELL_BACK);
        assertThat(failed.attempts()).allSatisfy(attempt -> assertThat(attempt.problems())
                .extracting(p -> p.check()).containsExactly(Check.MALFORMED));
        assertThat(primary.requestCount()).isEqualTo(2);
        assertThat(backup.requestCount()).isEqualTo(2);
    }

    @Test
    void withChecksTurnedOffAnAnswerInTheWrongLanguageIsTakenAsItIsAndNotChecked() {
        keys.put(QualityConfig.VERIFICATION, "false");
        primary.enqueue(english(FRENCH));

        ModelResponse response = translate(List.of());

        assertThat(response.translations().get(0).text()).isEqualTo(FRENCH);
        assertThat(response.verification()).isEqualTo(Verification.NOT_CHECKED);
        assertThat(primary.requestCount()).isEqualTo(1);
    }
}
