package io.tla.topology.preferences;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tla.platform.config.TlaConfig;
import io.tla.schemas.ContractSchema;
import io.tla.schemas.ConversationType;
import io.tla.schemas.LanguagePreference;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.Sender;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Topics;
import io.tla.schemas.Translation;
import io.tla.topology.TopologyHarness;
import io.tla.topology.TopologySettings;
import io.tla.topology.TranslationTopology;
import io.tla.topology.budget.BudgetGuard;
import io.tla.topology.budget.TenantSpend;
import io.tla.topology.model.OfflineModelProvider;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Language commands sent to the bot and the target languages of replies, through the whole topology under
 * {@link TopologyTestDriver}: the command stage answers with a confirmation and writes {@code tla.languages.v1},
 * whose records the global store applies, and context retrieval translates into the union of the tenant's, the
 * channel's and the people's languages. The offline provider answers every target with {@code [offline → LANG]}.
 */
class LanguageCommandsTopologyTest {

    private static final Instant NOW = TopologyHarness.NOW;
    private static final String TENANT = "6f1c2a7e-4c1b-4c55-9a43-1c2a7e4c1b4c";
    private static final String CHANNEL = "19:d8a1c2e3f4b5a6978812ab34cd56ef78@thread.tacv2";
    private static final String GERMAN = "Guten Morgen, wie geht es euch allen heute?";
    private static final Sender ANNA = new Sender("29:1anna", "Anna Müller", "aad-anna");
    private static final Sender BEN = new Sender("29:1ben", "Ben Okafor", "aad-ben");
    private static final Sender CHRIS = new Sender("29:1chris", "Chris Admin", "aad-chris");

    @TempDir
    Path stateDir;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private TopologyTestDriver driver;
    private TestInputTopic<String, NormalizedMessage> messages;
    private TestInputTopic<String, String> rawLanguages;
    private TestOutputTopic<String, ReplyEvent> replies;
    private TestOutputTopic<String, TelemetryEvent> telemetry;
    private TestOutputTopic<String, LanguagePreference> languages;
    private int sequence;

    private void start(Map<String, String> config) {
        Map<String, String> all = new HashMap<>(Map.of("translation.target-languages", "en",
                "tenant." + TENANT + ".language-admins", "aad-chris"));
        all.putAll(config);
        TopologySettings settings = TopologySettings.from(TlaConfig.of(all));
        driver = new TopologyTestDriver(TranslationTopology.buildTopology(settings, new OfflineModelProvider("offline"),
                Clock.fixed(NOW, ZoneOffset.UTC), meters, Runnable::run), TopologyHarness.driverProperties(stateDir), NOW);
        messages = driver.createInputTopic(Topics.MESSAGES.name(), Serdes.String().serializer(),
                Topics.MESSAGES.valueSerde().serializer());
        rawLanguages = driver.createInputTopic(Topics.LANGUAGES.name(), Serdes.String().serializer(),
                Serdes.String().serializer());
        replies = driver.createOutputTopic(Topics.REPLIES.name(), Serdes.String().deserializer(),
                Topics.REPLIES.valueSerde().deserializer());
        telemetry = driver.createOutputTopic(Topics.TELEMETRY.name(), Serdes.String().deserializer(),
                Topics.TELEMETRY.valueSerde().deserializer());
        languages = driver.createOutputTopic(Topics.LANGUAGES.name(), Serdes.String().deserializer(),
                Topics.LANGUAGES.valueSerde().deserializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private NormalizedMessage inChannel(String tenant, Sender from, String text) {
        String id = "m-" + ++sequence;
        return new NormalizedMessage(id, tenant, CHANNEL + ";messageid=1700000000000", ConversationType.CHANNEL, from,
                text, "team-aad-1", CHANNEL, "1700000000000", "https://smba.trafficmanager.net/emea/",
                NOW.minusMillis(40));
    }

    private NormalizedMessage inChat(String tenant, Sender from, String text) {
        String id = "m-" + ++sequence;
        return new NormalizedMessage(id, tenant, "19:chat-" + tenant + "@thread.v2", ConversationType.GROUP_CHAT, from,
                text, null, null, null, "https://smba.trafficmanager.net/emea/", NOW.minusMillis(40));
    }

    /** Sends a message and returns the one reply it got. */
    private ReplyEvent send(NormalizedMessage message) {
        messages.pipeInput(message.conversationId(), message, NOW);
        List<ReplyEvent> out = replies.readValuesToList();
        assertThat(out).as("replies to " + message.text()).hasSize(1);
        assertThat(ContractSchema.REPLY_EVENT.violationsOf(out.get(0))).isEmpty();
        return out.get(0);
    }

    private static String text(ReplyEvent reply) {
        return reply.translations().get(0).text();
    }

    private static List<String> languagesOf(ReplyEvent reply) {
        return reply.translations().stream().map(Translation::language).toList();
    }

    private double commands(String outcome) {
        return meters.counter(LanguageCommands.COMMANDS_METER, "outcome", outcome).count();
    }

    @Test
    void aPersonalCommandIsConfirmedNotTranslatedNotChargedAndWritesTheSendersChoice() {
        start(Map.of());
        NormalizedMessage command = inChat(TENANT, ANNA, "Languages  add FR de");
        ReplyEvent reply = send(command);

        assertThat(reply.kind()).isEqualTo(ReplyKind.CONFIRMATION);
        assertThat(reply.provider()).isEqualTo(LanguageCommands.NAME);
        assertThat(reply.replyToId()).isEqualTo(command.messageId());
        assertThat(reply.usage().costUsd()).isZero();
        assertThat(languagesOf(reply)).containsExactly("en");
        assertThat(text(reply)).startsWith("Done.").contains("You: French (fr), German (de)")
                .contains("Your organisation: English (en)")
                .contains("Replies here are translated into English (en), French (fr), German (de)");

        List<KeyValue<String, LanguagePreference>> written = languages.readKeyValuesToList();
        assertThat(written).singleElement().satisfies(kv -> {
            assertThat(kv.key).isEqualTo(TENANT + "/user/aad-anna");
            assertThat(kv.value.languages()).containsExactly("fr", "de");
            assertThat(kv.value.updatedBy()).isEqualTo("teams:aad-anna");
            assertThat(kv.value.updatedAt()).isEqualTo(NOW);
        });
        // the command reached neither the budget guard nor the model
        KeyValueStore<String, TenantSpend> spend = driver.getKeyValueStore(BudgetGuard.TENANT_BUDGET_STORE);
        assertThat(spend.get(TENANT + "|2026-11-25")).isNull();
        assertThat(telemetry.readValuesToList()).singleElement().satisfies(event -> {
            assertThat(event.attributes()).containsOnlyKeys("language.command", "reply.emitted");
            assertThat(event.facts("language.command").orElseThrow()).containsEntry("outcome", "changed")
                    .containsEntry("scope", "user").containsEntry("action", "add").containsEntry("languages", "fr,de");
            assertThat(event.facts("reply.emitted").orElseThrow()).containsEntry("kind", "confirmation");
            assertThat(ContractSchema.TELEMETRY_EVENT.violationsOf(event)).isEmpty();
        });
        assertThat(commands("changed")).isEqualTo(1.0);
        assertThat(meters.get(LanguagePreferenceState.GAUGE).tag("scope", "user").gauge().value()).isEqualTo(1.0);
        assertThat(meters.get(LanguagePreferenceState.GAUGE).tag("scope", "channel").gauge().value()).isZero();

        // the sender's next message is translated into the tenant's language and theirs
        ReplyEvent translated = send(inChat(TENANT, ANNA, GERMAN));
        assertThat(translated.kind()).isEqualTo(ReplyKind.TRANSLATION);
        assertThat(languagesOf(translated)).containsExactly("en", "fr");
        assertThat(translated.translations()).allSatisfy(t ->
                assertThat(t.text()).isEqualTo("[offline → " + t.language() + "] " + GERMAN));
    }

    @Test
    void theUnionHasTheTenantsTheChannelsTheSendersAndThoseOfWhoWroteEarlierInTheConversation() {
        start(Map.of("tenant." + TENANT + ".channel-languages", CHANNEL + "=it",
                "tenant." + TENANT + ".user-languages", "aad-ben=pt-BR"));
        send(inChat(TENANT, ANNA, "languages add fr"));
        send(inChat(TENANT, BEN, "languages add ja"));
        telemetry.readValuesToList();

        // Ben writes in the channel; then Anna: her reply carries Ben's languages too
        assertThat(languagesOf(send(inChannel(TENANT, BEN, GERMAN)))).containsExactly("en", "it", "pt-BR", "ja");
        telemetry.readValuesToList();
        ReplyEvent toAnna = send(inChannel(TENANT, ANNA, GERMAN));
        assertThat(languagesOf(toAnna)).containsExactly("en", "it", "fr", "pt-BR", "ja");

        TelemetryEvent processed = telemetry.readValuesToList().get(0);
        assertThat(processed.facts("languages.resolved").orElseThrow()).containsEntry("tenant", 1)
                .containsEntry("channel", 1).containsEntry("user", 3).containsEntry("total", 5)
                .containsEntry("dropped", 0);

        // a conversation Ben never wrote in is not translated into his languages
        assertThat(languagesOf(send(inChat(TENANT, ANNA, GERMAN)))).containsExactly("en", "fr");
    }

    @Test
    void onlyLanguageAdminsChangeAChannelAndOthersAreToldPolitely() {
        start(Map.of());
        ReplyEvent refused = send(inChannel(TENANT, ANNA, "languages channel add it"));
        assertThat(refused.kind()).isEqualTo(ReplyKind.CONFIRMATION);
        assertThat(text(refused)).startsWith("Sorry, only your organisation's language admins can change this "
                + "channel's languages.");
        assertThat(languages.isEmpty()).isTrue();
        assertThat(commands("refused")).isEqualTo(1.0);

        ReplyEvent done = send(inChannel(TENANT, CHRIS, "languages channel add it"));
        assertThat(text(done)).startsWith("Done.").contains("This channel: Italian (it)");
        assertThat(languages.readKeyValuesToList()).singleElement().satisfies(kv -> {
            assertThat(kv.key).isEqualTo(TENANT + "/channel/" + CHANNEL);
            assertThat(kv.value.languages()).containsExactly("it");
            assertThat(kv.value.updatedBy()).isEqualTo("teams:aad-chris");
        });
        // everyone's replies in the channel now include Italian
        assertThat(languagesOf(send(inChannel(TENANT, ANNA, GERMAN)))).containsExactly("en", "it");

        // a channel command outside a channel changes nothing
        assertThat(text(send(inChat(TENANT, CHRIS, "languages channel add fr"))))
                .startsWith("A channel's languages can only be changed in that channel.");
        assertThat(languages.isEmpty()).isTrue();
    }

    @Test
    void aTenantWithoutLanguageAdminsCannotChangeChannelsFromTeams() {
        start(Map.of());
        String other = "0b0b0b0b-1111-4222-8333-444455556666";
        assertThat(text(send(inChannel(other, CHRIS, "languages channel add it"))))
                .startsWith("Sorry, only your organisation's language admins");
        assertThat(languages.isEmpty()).isTrue();
    }

    @Test
    void unknownTagsAreNamedAndNothingChanges() {
        start(Map.of());
        ReplyEvent reply = send(inChat(TENANT, ANNA, "languages add fr xx french"));
        assertThat(reply.kind()).isEqualTo(ReplyKind.CONFIRMATION);
        assertThat(text(reply)).isEqualTo("Nothing changed: 'xx', 'french' (did you mean fr?) are not language tags "
                + "I know. Use language tags such as fr, de or pt-BR.");
        assertThat(languages.isEmpty()).isTrue();
        assertThat(commands("invalid")).isEqualTo(1.0);
        assertThat(telemetry.readValuesToList().get(0).facts("language.command").orElseThrow())
                .containsEntry("outcome", "invalid").containsEntry("invalid", 2);
    }

    @Test
    void aNewPersonIsRefusedBeyondTheBoundWhilePeopleWithLanguagesCanStillChangeThem() {
        start(Map.of("languages.max-users-per-tenant", "1"));
        send(inChat(TENANT, ANNA, "languages add fr"));
        languages.readKeyValuesToList();

        ReplyEvent refused = send(inChat(TENANT, BEN, "languages add ja"));
        assertThat(text(refused)).contains("the limit of 1 is reached");
        assertThat(languages.isEmpty()).isTrue();
        assertThat(commands("refused")).isEqualTo(1.0);

        assertThat(text(send(inChat(TENANT, ANNA, "languages add de fr")))).startsWith("Done. French (fr) was "
                + "already among them.");
        assertThat(languages.readValuesToList()).singleElement()
                .satisfies(value -> assertThat(value.languages()).containsExactly("fr", "de"));
        // the bound is per tenant
        String other = "0b0b0b0b-1111-4222-8333-444455556666";
        assertThat(text(send(inChat(other, BEN, "languages add ja")))).startsWith("Done.");

        // once Anna clears hers, Ben may have his
        send(inChat(TENANT, ANNA, "languages remove fr de"));
        assertThat(text(send(inChat(TENANT, BEN, "languages add ja")))).startsWith("Done.");
    }

    @Test
    void removingTheLastLanguageWritesATombstoneAndLanguagesSetByConfigurationStay() {
        start(Map.of("tenant." + TENANT + ".user-languages", "aad-anna=ja"));
        send(inChat(TENANT, ANNA, "languages add fr"));
        languages.readKeyValuesToList();

        ReplyEvent removed = send(inChat(TENANT, ANNA, "languages remove FR ja it"));
        assertThat(text(removed)).startsWith("Done. Japanese (ja) is set by your administrator and stays. "
                + "Italian (it) was not among them.").contains("You: Japanese (ja)");
        assertThat(languages.readKeyValuesToList()).singleElement().satisfies(kv -> {
            assertThat(kv.key).isEqualTo(TENANT + "/user/aad-anna");
            assertThat(kv.value).as("a tombstone clears the choice").isNull();
        });
        assertThat(meters.get(LanguagePreferenceState.GAUGE).tag("scope", "user").gauge().value()).isZero();
        assertThat(languagesOf(send(inChat(TENANT, ANNA, GERMAN)))).containsExactly("en", "ja");

        assertThat(text(send(inChat(TENANT, ANNA, "languages add JA")))).startsWith("Nothing changed. Japanese (ja) "
                + "is already set by your administrator.");
        assertThat(languages.isEmpty()).isTrue();
        ReplyEvent nothing = send(inChat(TENANT, ANNA, "languages remove fr"));
        assertThat(text(nothing)).startsWith("Nothing changed. French (fr) was not among them.");
        assertThat(languages.isEmpty()).isTrue();
        assertThat(commands("listed")).isEqualTo(2.0);
    }

    @Test
    void languagesListsWhatThisConversationIsTranslatedInto() {
        start(Map.of("tenant." + TENANT + ".channel-languages", CHANNEL + "=it"));
        send(inChat(TENANT, ANNA, "languages add fr"));
        ReplyEvent list = send(inChannel(TENANT, ANNA, "LANGUAGES"));
        assertThat(text(list)).isEqualTo("""
                Your languages:
                Your organisation: English (en)
                This channel: Italian (it)
                You: French (fr)
                Replies here are translated into English (en), Italian (it), French (fr), and the languages of the \
                others who wrote here recently.
                Change yours with 'languages add fr' or 'languages remove fr'.""");
        assertThat(commands("listed")).isEqualTo(1.0);
    }

    @Test
    void tooManyLanguagesAreRefused() {
        start(Map.of());
        send(inChat(TENANT, ANNA, "languages add fr de it es pt nl sv da fi"));
        languages.readKeyValuesToList();
        ReplyEvent refused = send(inChat(TENANT, ANNA, "languages add pl cs"));
        assertThat(text(refused)).isEqualTo("Nothing changed: your languages can be at most 10 (this would make 11).");
        assertThat(languages.isEmpty()).isTrue();
    }

    @Test
    void recordsWrittenByTheCliReachTheUnionAndBadRecordsAreSkipped() {
        start(Map.of());
        rawLanguages.pipeInput(TENANT + "/user/aad-anna", "{not json", NOW);
        rawLanguages.pipeInput(TENANT + "/user/aad-ben", """
                {"tenantId":"%s","scope":"user","id":"aad-anna","languages":["fr"],
                 "updatedAt":"2026-11-25T10:00:00Z","updatedBy":"cli:ops"}""".formatted(TENANT), NOW);
        rawLanguages.pipeInput(TENANT + "/channel/" + CHANNEL, """
                {"tenantId":"%s","scope":"channel","id":"%s","languages":["nl"],
                 "updatedAt":"2026-11-25T10:00:00Z","updatedBy":"cli:ops"}""".formatted(TENANT, CHANNEL), NOW);

        assertThat(languagesOf(send(inChannel(TENANT, ANNA, GERMAN)))).containsExactly("en", "nl");
        assertThat(meters.get(LanguagePreferenceState.GAUGE).tag("scope", "channel").gauge().value()).isEqualTo(1.0);
        assertThat(meters.get(LanguagePreferenceState.GAUGE).tag("scope", "user").gauge().value()).isZero();
    }

    @Test
    void aSenderWithoutAnyIdCannotKeepLanguages() {
        start(Map.of());
        ReplyEvent reply = send(inChat(TENANT, new Sender(null, "Guest", null), "languages add fr"));
        assertThat(text(reply)).startsWith("Sorry, Teams did not say who you are");
        assertThat(languages.isEmpty()).isTrue();
    }

    @Test
    void withoutChoicesTheRequestCarriesTheTenantsLanguagesAndNoLanguageFact() {
        start(Map.of("translation.target-languages", "en,fr"));
        assertThat(languagesOf(send(inChannel(TENANT, ANNA, GERMAN)))).containsExactly("en", "fr");
        assertThat(telemetry.readValuesToList().get(0).attributes()).doesNotContainKey("languages.resolved");
    }
}
