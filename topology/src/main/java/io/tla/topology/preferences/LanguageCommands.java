package io.tla.topology.preferences;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.platform.config.LanguagesConfig;
import io.tla.schemas.LanguagePreference;
import io.tla.schemas.LanguagePreference.Scope;
import io.tla.schemas.LanguageTag;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import io.tla.schemas.TelemetryEvent;
import io.tla.schemas.Translation;
import io.tla.topology.ReplyIds;
import io.tla.topology.StageOutput;
import io.tla.topology.TelemetryEvents;
import io.tla.topology.TopologySettings;
import io.tla.topology.preferences.LanguageCommand.Action;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command stage, between the duplicate filter and the budget guard: a message that is exactly a language
 * command ({@link LanguageCommand}) is answered here with a {@code confirmation} reply and goes no further, so it
 * is neither translated nor charged; any other message passes on unchanged.
 *
 * <p>A personal command changes the sender's languages (the sender is {@code from.aadObjectId}, else
 * {@code from.id}); a channel command changes {@code channelId}'s, and only a sender listed in
 * {@code tenant.ID.language-admins} may give one. The tenant is always the message's, which the ingress set from
 * the webhook key. A change is written to {@code tla.languages.v1} by the topology in the transaction of the reply
 * ({@link LanguageCommandOutcome#preferenceWrites()}) and remembered in the task's {@link RecentLanguageChanges},
 * so the answer, the next command and the next message see it before the global store does. A new person's first
 * {@code add} is refused once the tenant has {@code languages.max-users-per-tenant} people with languages of their
 * own: a sender picks the id a choice is kept under.
 *
 * <p>Each answer is counted in {@code tla.language.commands} by outcome ({@code changed}, {@code listed},
 * {@code refused}, {@code invalid}) and reported in the message's one telemetry event ({@code language.command} and
 * {@code reply.emitted}). The reply is in English.
 */
public final class LanguageCommands implements Processor<String, NormalizedMessage, String, LanguageCommandOutcome> {

    public static final String NAME = "language-commands";
    public static final String COMMANDS_METER = "tla.language.commands";

    private static final Logger log = LoggerFactory.getLogger(LanguageCommands.class);
    private static final String REPLY_LANGUAGE = "en";
    private static final String USAGE = "Change yours with 'languages add fr' or 'languages remove fr'.";

    enum Outcome {
        CHANGED, LISTED, REFUSED, INVALID;

        String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What a command comes to: the outcome, the reply's text and, when something changed, the record. */
    private record Decision(Outcome outcome, String text, String key, LanguagePreference value, List<String> named,
                            int invalid) {
        static Decision answer(Outcome outcome, String text) {
            return new Decision(outcome, text, null, null, List.of(), 0);
        }
    }

    private final TopologySettings settings;
    private final LanguagesConfig config;
    private final Clock clock;
    private final LanguagePreferenceState state;
    private final Map<Outcome, Counter> outcomes = new EnumMap<>(Outcome.class);
    private LanguagePreferences preferences;
    private ProcessorContext<String, LanguageCommandOutcome> context;

    public LanguageCommands(TopologySettings settings, Clock clock, MeterRegistry meters,
                            LanguagePreferenceState state) {
        this.settings = settings;
        this.config = settings.languages();
        this.clock = clock;
        this.state = state;
        for (Outcome outcome : Outcome.values()) {
            outcomes.put(outcome, Counter.builder(COMMANDS_METER)
                    .description("Language commands sent to the bot, by outcome")
                    .tag("outcome", outcome.wireName()).register(meters));
        }
    }

    @Override
    public void init(ProcessorContext<String, LanguageCommandOutcome> context) {
        this.context = context;
        this.preferences = state.open(context, config, clock);
    }

    @Override
    public void process(Record<String, NormalizedMessage> record) {
        NormalizedMessage message = record.value();
        Optional<LanguageCommand> command = LanguageCommand.parse(message.text());
        if (command.isEmpty()) {
            context.forward(record.withValue(LanguageCommandOutcome.passOn(message)));
            return;
        }
        Instant now = clock.instant();
        LanguageCommand parsed = command.get();
        Decision decision = decide(message, parsed, now);
        outcomes.get(decision.outcome()).increment();
        log.info("event=language_command tenant={} conversation={} message_id={} scope={} action={} outcome={}",
                message.tenantId(), message.conversationId(), message.messageId(), parsed.scope().wireName(),
                parsed.action().wireName(), decision.outcome().wireName());

        ReplyEvent reply = ReplyEvent.answering(message, ReplyIds.of(message, ReplyKind.CONFIRMATION),
                ReplyKind.CONFIRMATION, REPLY_LANGUAGE, List.of(new Translation(REPLY_LANGUAGE, decision.text())),
                NAME, null, null, now);
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("scope", parsed.scope().wireName());
        attributes.put("action", parsed.action().wireName());
        attributes.put("outcome", decision.outcome().wireName());
        attributes.put("languages", String.join(",", decision.named()));
        attributes.put("invalid", decision.invalid());
        Map<String, Map<String, Object>> facts = TelemetryEvents.withFact(Map.of(),
                TelemetryEvent.Types.LANGUAGE_COMMAND, attributes, now);
        facts = TelemetryEvents.withFact(facts, TelemetryEvent.Types.REPLY_EMITTED,
                TelemetryEvents.replyEmitted(message, reply, now), now);
        StageOutput answer = StageOutput.reply(reply, TelemetryEvents.processed(message, facts, now));
        context.forward(record.withValue(decision.key() == null ? LanguageCommandOutcome.answered(answer)
                : LanguageCommandOutcome.changed(answer, decision.key(), decision.value())));
    }

    private Decision decide(NormalizedMessage message, LanguageCommand command, Instant now) {
        String tenant = message.tenantId();
        Scope scope = command.scope();
        if (command.action() == Action.LIST) {
            return Decision.answer(Outcome.LISTED, overview(message, scope == Scope.CHANNEL
                    ? (inChannel(message) ? "This channel's languages:" : "This conversation is not a channel.")
                    : "Your languages:") + "\n" + USAGE);
        }
        if (!LanguagePreferences.usableTenant(tenant)) {
            // tenant ids are set by the ingress from its configuration; one that cannot be a key is refused here
            return Decision.answer(Outcome.REFUSED, "Sorry, languages cannot be kept for your organisation.");
        }
        String sender = LanguagePreferences.senderId(message);
        String id;
        if (scope == Scope.CHANNEL) {
            if (!inChannel(message)) {
                return Decision.answer(Outcome.REFUSED, "A channel's languages can only be changed in that channel. "
                        + USAGE);
            }
            String aad = message.from() == null ? null : message.from().aadObjectId();
            if (!config.isLanguageAdmin(tenant, aad)) {
                return Decision.answer(Outcome.REFUSED, "Sorry, only your organisation's language admins can change "
                        + "this channel's languages. " + USAGE);
            }
            id = message.channelId();
        } else {
            if (sender == null) {
                return Decision.answer(Outcome.REFUSED, "Sorry, Teams did not say who you are, so I cannot keep "
                        + "languages for you.");
            }
            id = sender;
        }

        List<String> tags = new ArrayList<>();
        List<String> invalid = new ArrayList<>();
        for (String argument : command.arguments()) {
            String tag = LanguageTag.canonical(argument);
            if (tag == null) {
                invalid.add(argument);
            } else if (!tags.contains(tag)) {
                tags.add(tag);
            }
        }
        if (!invalid.isEmpty()) {
            return new Decision(Outcome.INVALID, "Nothing changed: " + unknownTags(invalid)
                    + " Use language tags such as fr, de or pt-BR.", null, null, tags, invalid.size());
        }

        String whose = scope == Scope.CHANNEL ? "This channel's" : "Your";
        LanguagePreference stored = preferences.stored(tenant, scope, id);
        List<String> before = stored == null ? List.of() : stored.languages();
        List<String> configured = scope == Scope.CHANNEL ? config.channelLanguages(tenant, id)
                : config.userLanguages(tenant, id);
        Set<String> after = new LinkedHashSet<>(before);
        List<String> notes = new ArrayList<>();
        if (command.action() == Action.ADD) {
            for (String tag : tags) {
                if (configured.contains(tag)) {
                    notes.add(LanguageConfirmations.describe(tag) + " is already set by your administrator.");
                } else if (before.contains(tag)) {
                    notes.add(LanguageConfirmations.describe(tag) + " was already among them.");
                } else {
                    after.add(tag);
                }
            }
            if (after.size() > LanguagePreference.MAX_LANGUAGES) {
                return new Decision(Outcome.REFUSED, "Nothing changed: " + whose.toLowerCase(java.util.Locale.ROOT)
                        + " languages can be at most " + LanguagePreference.MAX_LANGUAGES + " (this would make "
                        + after.size() + ").", null, null, tags, 0);
            }
            if (scope == Scope.USER && stored == null && !after.isEmpty()
                    && preferences.storedUsers(tenant) >= config.maxUsersPerTenant()) {
                return new Decision(Outcome.REFUSED, "Sorry, no more people in your organisation can choose "
                        + "languages of their own right now (the limit of " + config.maxUsersPerTenant()
                        + " is reached). Please ask your administrator.", null, null, tags, 0);
            }
        } else {
            for (String tag : tags) {
                if (configured.contains(tag)) {
                    notes.add(LanguageConfirmations.describe(tag) + " is set by your administrator and stays.");
                } else if (!before.contains(tag)) {
                    notes.add(LanguageConfirmations.describe(tag) + " was not among them.");
                }
                after.remove(tag);
            }
        }

        String noteText = notes.isEmpty() ? "" : " " + String.join(" ", notes);
        if (List.copyOf(after).equals(before)) {
            return new Decision(Outcome.LISTED, overview(message, "Nothing changed." + noteText + "\n" + whose
                    + " languages:"), null, null, tags, 0);
        }
        String key = LanguagePreference.storeKey(tenant, scope, id);
        LanguagePreference value = after.isEmpty() ? null : new LanguagePreference(tenant, scope, id,
                List.copyOf(after), now.truncatedTo(ChronoUnit.MILLIS), "teams:" + sender);
        // the answer, and the commands and messages right after, read the new state
        preferences.changed(key, value);
        return new Decision(Outcome.CHANGED, overview(message, "Done." + noteText + "\n" + whose + " languages:"),
                key, value, tags, 0);
    }

    /**
     * {@code headline}, then the languages of this conversation's replies now: the organisation's, the channel's,
     * the sender's, and their union.
     */
    private String overview(NormalizedMessage message, String headline) {
        String tenant = message.tenantId();
        List<String> tenantLanguages = settings.targetLanguagesForTenant().apply(tenant);
        List<String> channel = inChannel(message) ? preferences.channelLanguages(tenant, message.channelId())
                : List.of();
        String sender = LanguagePreferences.senderId(message);
        List<String> own = sender == null ? List.of() : preferences.userLanguages(tenant, sender);
        TargetLanguages union = TargetLanguages.union(tenantLanguages, channel, List.of(own));
        StringBuilder text = new StringBuilder(headline);
        text.append("\nYour organisation: ").append(LanguageConfirmations.list(tenantLanguages, "none"));
        if (inChannel(message)) {
            text.append("\nThis channel: ").append(LanguageConfirmations.list(channel, "none of its own"));
        }
        text.append("\nYou: ").append(LanguageConfirmations.list(own, "none of your own"));
        text.append("\nReplies here are translated into ").append(LanguageConfirmations.list(union.languages(), "-"))
                .append(", and the languages of the others who wrote here recently.");
        return text.toString();
    }

    private static boolean inChannel(NormalizedMessage message) {
        return LanguagePreferences.usable(message.channelId());
    }

    private static String unknownTags(List<String> invalid) {
        List<String> named = new ArrayList<>();
        for (String argument : invalid) {
            String hint = LanguageTag.forEnglishName(argument);
            named.add("'" + argument + "'" + (hint == null ? "" : " (did you mean " + hint + "?)"));
        }
        return String.join(", ", named) + (invalid.size() == 1 ? " is not a language tag I know."
                : " are not language tags I know.");
    }

    @Override
    public void close() {
        if (context != null) {
            state.detach(context.taskId());
        }
    }
}
