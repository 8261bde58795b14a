package io.tla.topology.budget;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.ConversationType;
import io.tla.schemas.JsonSerde;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Sender;
import io.tla.topology.StageOutput;
import io.tla.topology.TopologySettings;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** The guard alone, with {@link MockProcessorContext}: how a refusal is worded for the sender. */
class BudgetGuardTest {

    private static final Instant NOW = Instant.parse("2026-11-25T10:15:30Z");

    /** Every request passes the daily USD limit of 0.05: its reservation is 0.10 USD. */
    private static final TopologySettings SETTINGS = TopologySettings.from(TlaConfig.of(Map.of(
            "context.turns", "0",
            "model.max-output-tokens", "100",
            "model.provider.offline.output-usd-per-1k-tokens", "1.0",
            "budget.daily-usd", "0.05")));

    private final List<String> languageAsked = new ArrayList<>();

    private StageOutput process(String detectedLanguage, String text, TopologySettings settings) {
        MockProcessorContext<String, StageOutput> context = new MockProcessorContext<>();
        KeyValueStore<String, TenantSpend> store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(BudgetGuard.TENANT_BUDGET_STORE), Serdes.String(),
                        new JsonSerde<>(TenantSpend.class))
                .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        BudgetGuard guard = new BudgetGuard(settings, new MutableClock(NOW), new SimpleMeterRegistry(), t -> {
            languageAsked.add(t);
            return detectedLanguage;
        });
        guard.init(context);
        NormalizedMessage message = new NormalizedMessage("m-1", "tenant-a", "conv-1", ConversationType.PERSONAL,
                new Sender("29:1abc", "Anna Müller", "aad-anna"), text, null, null, null,
                "https://smba.trafficmanager.net/emea/", NOW);
        guard.process(new Record<>("tenant-a", message, NOW.toEpochMilli()));
        assertThat(context.forwarded()).hasSize(1);
        return context.forwarded().get(0).record().value();
    }

    @Test
    void shouldWordTheRefusalInTheSendersLanguage() {
        StageOutput output = process("de", "Guten Morgen, wie geht es?", SETTINGS);

        ReplyEvent reply = output.replies().get(0);
        assertThat(reply.kind()).isEqualTo(ReplyKind.BUDGET_EXCEEDED);
        assertThat(reply.sourceLanguage()).isEqualTo("de");
        assertThat(reply.translations()).singleElement().satisfies(t -> {
            assertThat(t.language()).isEqualTo("de");
            assertThat(t.text()).isEqualTo(BudgetRefusals.refusal("de", BudgetLimit.DAILY_USD).text())
                    .contains("tägliches Übersetzungsbudget");
        });
        assertThat(languageAsked).containsExactly("Guten Morgen, wie geht es?");
    }

    @Test
    void shouldFallBackToEnglishForALanguageWithoutARefusalText() {
        StageOutput output = process("sw", "Habari za asubuhi", SETTINGS);

        assertThat(output.replies().get(0).translations()).singleElement().satisfies(t -> {
            assertThat(t.language()).isEqualTo("en");
            assertThat(t.text()).contains("daily translation budget");
        });
    }

    @Test
    void shouldFallBackToEnglishWhenTheLanguageIsUndetermined() {
        StageOutput output = process("und", "ok", SETTINGS);

        assertThat(output.replies().get(0).translations().get(0).language()).isEqualTo("en");
    }

    @Test
    void shouldNotAskForTheLanguageOfAnAllowedMessage() {
        StageOutput output = process("de", "Guten Morgen", TopologySettings.from(TlaConfig.of(Map.of())));

        assertThat(output.next()).isPresent();
        assertThat(output.replies()).isEmpty();
        assertThat(languageAsked).isEmpty();
    }
}
