package io.tla.topology.preferences;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.LanguagesConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.ConversationType;
import io.tla.schemas.JsonSerde;
import io.tla.schemas.LanguagePreference;
import io.tla.schemas.LanguagePreference.Scope;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Sender;
import io.tla.topology.TopologySettings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The global store lags behind the transaction that wrote a change: the command stage answers, and the next
 * command builds, on the change it made (the task's recent changes), until the store shows it or something newer.
 * Here the store is updated by hand only, so it lags for as long as the test wants.
 */
class LanguagePreferencesTest {

    private static final String TENANT = "t1";
    private static final Instant NOW = Instant.parse("2026-11-25T10:15:30Z");
    private static final Sender ANNA = new Sender("29:1anna", "Anna", "aad-anna");

    private final MutableClock clock = new MutableClock(NOW);
    private final LanguagePreferenceState state = new LanguagePreferenceState();
    private KeyValueStore<String, LanguagePreference> store;
    private MockProcessorContext<String, LanguageCommandOutcome> context;
    private LanguageCommands commands;
    private int sequence;

    @BeforeEach
    void setUp() {
        TopologySettings settings = TopologySettings.from(TlaConfig.of(Map.of("translation.target-languages", "en")));
        context = new MockProcessorContext<>();
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(LanguagePreferenceStore.STORE),
                Serdes.String(), new JsonSerde<>(LanguagePreference.class)).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        commands = new LanguageCommands(settings, clock, new SimpleMeterRegistry(), state);
        commands.init(context);
    }

    private LanguageCommandOutcome command(String text) {
        NormalizedMessage message = new NormalizedMessage("m-" + ++sequence, TENANT, "conv-1",
                ConversationType.PERSONAL, ANNA, text, null, null, null, "https://smba.example/", NOW);
        context.resetForwards();
        commands.process(new Record<>(TENANT, message, NOW.toEpochMilli()));
        return context.forwarded().get(0).record().value();
    }

    private static List<String> written(LanguageCommandOutcome outcome) {
        assertThat(outcome.preferenceWrites()).hasSize(1);
        LanguagePreference value = outcome.preferenceWrites().get(0).value;
        return value == null ? List.of() : value.languages();
    }

    @Test
    void twoQuickCommandsComposeWhileTheStoreLags() {
        assertThat(written(command("languages add fr"))).containsExactly("fr");
        assertThat(written(command("languages add de"))).containsExactly("fr", "de");
        assertThat(written(command("languages remove fr"))).containsExactly("de");
        assertThat(store.approximateNumEntries()).as("the store has seen none of it").isZero();
        assertThat(command("languages").answer().replies().get(0).translations().get(0).text())
                .contains("You: German (de)");
    }

    @Test
    void theStoreWinsOnceItShowsTheChangeSoALaterChangeFromElsewhereIsSeen() {
        LanguageCommandOutcome added = command("languages add fr");
        LanguagePreferences view = state.open(context, LanguagesConfig.NONE, clock);
        // opening a view again (a task initialised again) forgets what the task changed: the store is the truth
        assertThat(view.userLanguages(TENANT, "aad-anna")).isEmpty();

        LanguagePreferences fresh = reopenAfter(added);
        store.put(added.preferenceKey(), added.preference()); // the global thread catches up
        assertThat(fresh.userLanguages(TENANT, "aad-anna")).containsExactly("fr");
        store.put(added.preferenceKey(), new LanguagePreference(TENANT, Scope.USER, "aad-anna", List.of("it"),
                NOW.plusSeconds(1), "cli:ops")); // tla languages changes it afterwards
        assertThat(fresh.userLanguages(TENANT, "aad-anna")).containsExactly("it");
    }

    @Test
    void aChangeTheStoreNeverShowsIsForgottenAfterAWhile() {
        LanguagePreferences view = state.open(context, LanguagesConfig.NONE, clock);
        view.changed(LanguagePreference.storeKey(TENANT, Scope.USER, "aad-anna"),
                new LanguagePreference(TENANT, Scope.USER, "aad-anna", List.of("fr"), NOW, "teams:aad-anna"));
        assertThat(view.userLanguages(TENANT, "aad-anna")).containsExactly("fr");
        assertThat(view.storedUsers(TENANT)).isEqualTo(1);

        clock.advance(RecentLanguageChanges.KEEP.plusSeconds(1));
        assertThat(view.userLanguages(TENANT, "aad-anna")).isEmpty();
        assertThat(view.storedUsers(TENANT)).isZero();
    }

    @Test
    void recentChangesAreBounded() {
        RecentLanguageChanges recent = new RecentLanguageChanges();
        for (int i = 0; i < RecentLanguageChanges.MAX_ENTRIES + 50; i++) {
            recent.put("t1/user/u" + i, null, 0);
        }
        assertThat(recent.size()).isEqualTo(RecentLanguageChanges.MAX_ENTRIES);
        assertThat(recent.current("t1/user/u0", new LanguagePreference(TENANT, Scope.USER, "u0", List.of("fr"), NOW,
                "x"), 0)).as("the oldest went first").isNull();
        assertThat(recent.current("t1/user/u" + (RecentLanguageChanges.MAX_ENTRIES + 49),
                new LanguagePreference(TENANT, Scope.USER, "u", List.of("fr"), NOW, "x"), 0)).isNotNull();
    }

    @Test
    void theUnionIsCappedForChannelsAndPeopleButKeepsAllOfTheTenants() {
        List<String> tenant = List.of("en", "de");
        List<String> many = List.of("fr", "it", "es", "pt", "nl", "sv", "da", "fi", "pl", "cs");
        TargetLanguages union = TargetLanguages.union(tenant, List.of("EN", "ja"), List.of(many, List.of("ko",
                "zh", "ar", "he", "tr", "uk")));
        assertThat(union.languages()).hasSize(TargetLanguages.MAX).startsWith("en", "de", "ja", "fr");
        assertThat(union.fromTenant()).isEqualTo(2);
        assertThat(union.fromChannel()).as("EN is the tenant's en").isEqualTo(1);
        assertThat(union.fromUsers()).isEqualTo(13);
        assertThat(union.dropped()).isEqualTo(3);

        List<String> twenty = java.util.stream.IntStream.range(0, 20).mapToObj(i -> "x" + (char) ('a' + i)).toList();
        assertThat(TargetLanguages.union(twenty, List.of("fr"), List.of()).languages()).isEqualTo(twenty);
        assertThat(TargetLanguages.union(List.of("en"), List.of(), List.of()).tenantOnly()).isTrue();
    }

    /** A view opened after {@code outcome}'s command, as context retrieval of the same task holds it. */
    private LanguagePreferences reopenAfter(LanguageCommandOutcome outcome) {
        LanguagePreferences view = state.open(context, LanguagesConfig.NONE, clock);
        view.changed(outcome.preferenceKey(), outcome.preference());
        return view;
    }

    private static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
