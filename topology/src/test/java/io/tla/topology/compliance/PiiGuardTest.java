package io.tla.topology.compliance;

import static io.tla.topology.TopologyHarness.message;
import static org.assertj.core.api.Assertions.assertThat;

import io.tla.schemas.Json;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import io.tla.schemas.Usage;
import io.tla.topology.TopologyHarness;
import io.tla.topology.budget.BudgetGuard;
import io.tla.topology.budget.TenantSpend;
import io.tla.topology.context.ConversationStore;
import io.tla.topology.context.Turn;
import io.tla.topology.model.ModelProvider;
import io.tla.topology.model.ModelRequest;
import io.tla.topology.model.ModelResponse;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The personal-data policy through the whole topology: what reaches the model, what the sender gets. */
class PiiGuardTest {

    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final String ADDRESS = "anna.mueller@contoso.de";
    private static final String TEXT = "Schick die Rechnung bitte an " + ADDRESS + " oder ruf +49 30 1234567 an.";

    @TempDir
    Path stateDir;

    private final List<ModelRequest> requests = new ArrayList<>();
    private TopologyHarness topology;

    @AfterEach
    void close() {
        if (topology != null) {
            topology.close();
        }
    }

    private void start(Map<String, String> config) {
        Map<String, String> all = new HashMap<>(config);
        all.put("translation.target-languages", "en");
        all.put("model.max-output-tokens", "100");
        all.put("model.provider.offline.output-usd-per-1k-tokens", "1.0");
        topology = new TopologyHarness(stateDir, all, new ModelProvider() {
            @Override
            public String name() {
                return "recording";
            }

            @Override
            public CompletionStage<ModelResponse> translate(ModelRequest request) {
                requests.add(request);
                return CompletableFuture.completedFuture(new ModelResponse("recording", "echo", "de",
                        List.of(new Translation("en", "translated")), Usage.NONE));
            }
        });
    }

    /** The pii.detected facts, as the message's one event carries them. */
    private List<TelemetryEvent> detected(List<TelemetryEvent> events) {
        return events.stream().flatMap(e -> e.perType().stream()).filter(e -> e.type().equals("pii.detected")).toList();
    }

    @Test
    void redactsPersonalDataBeforeTheModelAndTheStoredTurnsSeeTheMessage() throws Exception {
        start(Map.of());
        topology.send(message(TENANT, "conv-1", "m-1", TEXT));

        assertThat(requests).singleElement().satisfies(r ->
                assertThat(r.text()).isEqualTo("Schick die Rechnung bitte an [email] oder ruf [phone] an."));
        List<Turn> turns = ConversationStore.over(topology.driver.<String, byte[]>getKeyValueStore(
                ConversationStore.NAME)).turns(TENANT, "conv-1");
        assertThat(turns).singleElement().satisfies(t -> assertThat(t.text()).doesNotContain(ADDRESS));
        assertThat(topology.replies.readValue().kind()).isEqualTo(ReplyKind.TRANSLATION);

        List<TelemetryEvent> events = topology.telemetry.readValuesToList();
        assertThat(detected(events)).singleElement().satisfies(e -> {
            assertThat(e.attributes()).containsEntry("action", "redacted")
                    .containsEntry("rules", List.of("email", "phone"));
        });
        // no telemetry event carries the matched text
        assertThat(Json.mapper().writeValueAsString(events)).doesNotContain(ADDRESS).doesNotContain("1234567");
    }

    @Test
    void refusesAMessageWithPersonalDataWhenTheTenantsPolicySaysSoAndReleasesItsReservation() throws Exception {
        start(Map.of("tenant." + TENANT + ".pii-policy", "refuse"));
        topology.send(message(TENANT, "conv-1", "m-1", TEXT));

        assertThat(requests).isEmpty();
        ReplyEvent reply = topology.replies.readValue();
        assertThat(reply.kind()).isEqualTo(ReplyKind.FAILED);
        // the sender wrote German: the refusal is German, naming the kinds of data found, not the data
        assertThat(reply.sourceLanguage()).isEqualTo("de");
        assertThat(reply.translations()).singleElement().satisfies(t -> {
            assertThat(t.language()).isEqualTo("de");
            assertThat(t.text()).isEqualTo(PiiRefusals.refusal("de", List.of("email", "phone")).text())
                    .contains("personenbezogene Daten (E-Mail-Adresse, Telefonnummer)");
            assertThat(t.text()).doesNotContain(ADDRESS).doesNotContain("1234567");
        });
        TenantSpend spend = topology.driver.<String, TenantSpend>getKeyValueStore(BudgetGuard.TENANT_BUDGET_STORE)
                .get(TENANT + "|2026-11-25");
        assertThat(spend.spentUsd()).isEqualByComparingTo(BigDecimal.ZERO);
        assertThat(spend.tokens()).isZero();
        List<TelemetryEvent> events = topology.telemetry.readValuesToList();
        // the refusal ends the message's path here: one event with what the budget guard and this stage observed
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(TelemetryEvent.Types.MESSAGE_PROCESSED);
            assertThat(e.attributes()).containsOnlyKeys("budget.decision", "pii.detected", "reply.emitted");
        });
        assertThat(detected(events)).singleElement()
                .satisfies(e -> assertThat(e.attributes()).containsEntry("action", "refused"));
        assertThat(Json.mapper().writeValueAsString(events)).doesNotContain(ADDRESS);
    }

    @Test
    void sendsTheTextUnchangedWhenThePolicyIsOffAndSaysNothing() {
        start(Map.of("compliance.pii-policy", "off"));
        topology.send(message(TENANT, "conv-1", "m-1", TEXT));

        assertThat(requests).singleElement().satisfies(r -> assertThat(r.text()).isEqualTo(TEXT));
        assertThat(detected(topology.telemetry.readValuesToList())).isEmpty();
    }

    @Test
    void letsAMessageWithoutPersonalDataThroughUntouchedAndUnreported() {
        start(Map.of("compliance.pii-policy", "refuse"));
        topology.send(message(TENANT, "conv-1", "m-1", "Können wir das Meeting auf Donnerstag verschieben?"));

        assertThat(requests).singleElement()
                .satisfies(r -> assertThat(r.text()).isEqualTo("Können wir das Meeting auf Donnerstag verschieben?"));
        assertThat(detected(topology.telemetry.readValuesToList())).isEmpty();
    }

    @Test
    void refusesAGermanSendersMessageWithAnIbanInGerman() {
        start(Map.of("tenant." + TENANT + ".pii-policy", "refuse"));
        topology.send(message(TENANT, "conv-1", "m-1",
                "Hallo zusammen, bitte überweist die Kaution bis Freitag auf mein Konto DE89 3704 0044 0532 0130 00."));

        assertThat(requests).isEmpty();
        ReplyEvent reply = topology.replies.readValue();
        assertThat(reply.kind()).isEqualTo(ReplyKind.FAILED);
        assertThat(reply.sourceLanguage()).isEqualTo("de");
        assertThat(reply.translations()).singleElement().satisfies(t -> {
            assertThat(t.language()).isEqualTo("de");
            assertThat(t.text()).startsWith("Diese Nachricht wurde nicht übersetzt").contains("(IBAN)")
                    .doesNotContain("3704");
        });
        assertThat(detected(topology.telemetry.readValuesToList())).singleElement().satisfies(e ->
                assertThat(e.attributes()).containsEntry("rules", List.of("iban")).containsEntry("action", "refused"));
    }

    @Test
    void redactsAnIbanToItsPlaceholderBeforeTheModel() {
        start(Map.of());
        topology.send(message(TENANT, "conv-1", "m-1", "Konto: NL91 ABNA 0417 1643 00, danke!"));

        assertThat(requests).singleElement().satisfies(r -> assertThat(r.text()).isEqualTo("Konto: [iban], danke!"));
    }
}
