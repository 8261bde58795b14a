package io.tla.schemas;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Every topic of the contract, typed. Names are stable: operators and acceptance checks rely on them. */
public final class Topics {

    /** Accepted Teams activities, normalised; key: conversation id. */
    public static final Topic<String, NormalizedMessage> MESSAGES =
            new Topic<>("teams.messages.v1", Serdes.String(), new JsonSerde<>(NormalizedMessage.class));

    /** Reply events; key: conversation id. */
    public static final Topic<String, ReplyEvent> REPLIES =
            new Topic<>("teams.replies.v1", Serdes.String(), new JsonSerde<>(ReplyEvent.class));

    /** Telemetry events; key: tenant id. */
    public static final Topic<String, TelemetryEvent> TELEMETRY =
            new Topic<>("tla.telemetry.v1", Serdes.String(), new JsonSerde<>(TelemetryEvent.class));

    /** Messages the topology could not process, original bytes plus {@link ErrorHeaders}. */
    public static final Topic<byte[], byte[]> MESSAGES_DLQ =
            new Topic<>("teams.messages.dlq.v1", Serdes.ByteArray(), Serdes.ByteArray());

    /** Replies a connector could not post, original bytes plus {@link ErrorHeaders}. */
    public static final Topic<byte[], byte[]> REPLIES_DLQ =
            new Topic<>("teams.replies.dlq.v1", Serdes.ByteArray(), Serdes.ByteArray());

    /**
     * Tenant glossaries, compacted: the latest entry per key is kept; key {@link GlossaryEntry#storeKey()}
     * ({@code tenant|scope|scopeId|folded source term|language}); a null value deletes the entry. Read whole by
     * every topology instance as the global store {@code glossary-store}.
     */
    public static final Topic<String, GlossaryEntry> GLOSSARY =
            new Topic<>("tla.glossary.v1", Serdes.String(), new JsonSerde<>(GlossaryEntry.class));

    /**
     * Target languages chosen per channel and per person, compacted: key {@link LanguagePreference#storeKey()}
     * ({@code TENANT/channel/ID} or {@code TENANT/user/ID}), value {@link LanguagePreference}; a null value clears
     * the choice. Written by the topology (commands sent to the bot, in the transaction of their reply) and by
     * {@code tla languages}; read whole by every topology instance as the global store
     * {@code language-preferences-store}.
     */
    public static final Topic<String, LanguagePreference> LANGUAGES =
            new Topic<>("tla.languages.v1", Serdes.String(), new JsonSerde<>(LanguagePreference.class));

    /**
     * Dead-letter positions {@code tla replay} has re-published, compacted; key {@code topic/partition/offset} of
     * the dead-letter record, value JSON {@code {"at": ISO-8601, "attempt": n}}. Written in the same transaction as
     * the re-published records, so a second run never replays a record twice.
     */
    public static final Topic<String, String> REPLAY =
            new Topic<>("tla.replay.v1", Serdes.String(), Serdes.String());

    /**
     * The Graph reply connector's record of what it posted, keyed by reply id: {@link ReplyLedgerEntry}. Written to
     * the partition of the same number as the reply's {@link #REPLIES} partition, so an instance that takes over a
     * replies partition reads exactly that ledger partition. Compacted and deleted after {@link #LEDGER_RETENTION}.
     */
    public static final Topic<String, ReplyLedgerEntry> REPLY_LEDGER =
            new Topic<>("tla.replies.ledger.v1", Serdes.String(), new JsonSerde<>(ReplyLedgerEntry.class));

    /**
     * Replies the ingress delivered as the webhook's HTTP response ({@code sync-reply}), keyed by reply id:
     * {@link WebhookAnswer}; a tombstone withdraws one. Every reply connector instance follows all of it. Compacted
     * and deleted after {@link #ANSWERS_RETENTION}: an answer matters only for seconds after its reply is produced.
     */
    public static final Topic<String, WebhookAnswer> WEBHOOK_ANSWERS =
            new Topic<>("tla.replies.answered.v1", Serdes.String(), new JsonSerde<>(WebhookAnswer.class));

    /** How long answers delivered in webhook responses are kept. */
    public static final Duration ANSWERS_RETENTION = Duration.ofDays(1);

    /**
     * The team directory, compacted: key a team's {@code 19:...@thread} id, value {@link TeamDirectoryEntry} (its
     * AAD group id, tenant and where that was learned). Written by the ingress when an activity or a registration
     * names both ids, and by the Graph reply connector after a Bot Framework lookup; read whole by both, so a team
     * is looked up once, not per message.
     */
    public static final Topic<String, TeamDirectoryEntry> TEAM_DIRECTORY =
            new Topic<>("tla.teams.directory.v1", Serdes.String(), new JsonSerde<>(TeamDirectoryEntry.class));

    /**
     * Tenants' tone templates (their own style guides), compacted: key {@link ToneTemplateEntry#storeKey()}
     * ({@code TENANT/*} for the tenant-wide template, {@code TENANT/CHANNEL_ID} for a channel's), value
     * {@link ToneTemplateEntry}; a null value removes the template. Written by {@code tla tone set|remove}; read
     * whole by every topology instance as the global store {@code tone-template-store}.
     */
    public static final Topic<String, ToneTemplateEntry> TONES =
            new Topic<>("tla.tones.v1", Serdes.String(), new JsonSerde<>(ToneTemplateEntry.class));

    /** How long the reply ledger remembers a reply: replaying a reply older than this checks Graph instead. */
    public static final Duration LEDGER_RETENTION = Duration.ofDays(7);

    /** The topics a deployment must have before any role starts. */
    public static final List<Topic<?, ?>> ALL = List.of(MESSAGES, REPLIES, TELEMETRY, MESSAGES_DLQ, REPLIES_DLQ);

    /** Tables rather than logs: created with {@code cleanup.policy=compact}. */
    public static final List<Topic<?, ?>> COMPACTED = List.of(GLOSSARY, REPLAY, REPLY_LEDGER, WEBHOOK_ANSWERS,
            TEAM_DIRECTORY, TONES, LANGUAGES);

    /** Every topic a process creates and checks before its roles start: {@link #ALL} and {@link #COMPACTED}. */
    public static final List<Topic<?, ?>> REQUIRED = List.of(MESSAGES, REPLIES, TELEMETRY, MESSAGES_DLQ, REPLIES_DLQ,
            GLOSSARY, REPLY_LEDGER, WEBHOOK_ANSWERS, TEAM_DIRECTORY, TONES, LANGUAGES);

    private Topics() {
    }

    /** Whether a topic of this name is created compacted ({@link #COMPACTED}). */
    public static boolean isCompacted(String topicName) {
        return COMPACTED.stream().anyMatch(topic -> topic.name().equals(topicName));
    }

    /** Configuration a topic of this name is created with, beyond partitions and replication. */
    public static Map<String, String> creationConfigs(String topicName) {
        if (REPLY_LEDGER.name().equals(topicName)) {
            return Map.of("cleanup.policy", "compact,delete",
                    "retention.ms", Long.toString(LEDGER_RETENTION.toMillis()));
        }
        if (WEBHOOK_ANSWERS.name().equals(topicName)) {
            return Map.of("cleanup.policy", "compact,delete",
                    "retention.ms", Long.toString(ANSWERS_RETENTION.toMillis()));
        }
        return isCompacted(topicName) ? Map.of("cleanup.policy", "compact") : Map.of();
    }

    public static <T> Serde<T> json(Class<T> type) {
        return new JsonSerde<>(type);
    }
}
