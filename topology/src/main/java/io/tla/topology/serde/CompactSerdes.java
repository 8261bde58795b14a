package io.tla.topology.serde;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.tla.schemas.ConversationType;
import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.Json;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.Sender;
import io.tla.schemas.Translation;
import io.tla.topology.TranslationRequest;
import io.tla.topology.budget.BudgetReservation;
import io.tla.topology.budget.TenantSpend;
import io.tla.topology.context.Turn;
import io.tla.topology.glossary.GlossaryTerm;
import io.tla.topology.model.CachedTranslation;
import io.tla.topology.model.PendingCall;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The binary serdes of the topology's own data: its stores and the {@code messages-by-tenant} repartition topic.
 * Nothing outside the topology reads these bytes; the public topics keep their JSON contract. Each serde still
 * reads the JSON an earlier release stored ({@link BinarySerde}). Fields are written in declaration order; a
 * field added later goes at the end under a new format byte.
 */
public final class CompactSerdes {

    /** The by-tenant repartition topic's value: a message as the ingress normalised it. */
    public static final BinarySerde<NormalizedMessage> MESSAGE = new BinarySerde<>(NormalizedMessage.class, 1536,
            CompactSerdes::writeMessage, CompactSerdes::readMessage);

    /** {@code tenant-budget-store}: a tenant's spend in one period. */
    public static final BinarySerde<TenantSpend> TENANT_SPEND = new BinarySerde<>(TenantSpend.class, 64,
            CompactSerdes::writeSpend, CompactSerdes::readSpend);

    /** {@code model-pending-store}: an accepted request not yet answered. */
    public static final BinarySerde<PendingCall> PENDING_CALL = new BinarySerde<>(PendingCall.class, 1792,
            CompactSerdes::writePendingCall, CompactSerdes::readPendingCall);

    /** {@code translation-cache-store}: a provider's answer, served again. */
    public static final BinarySerde<CachedTranslation> CACHED_TRANSLATION = new BinarySerde<>(CachedTranslation.class,
            2048, CompactSerdes::writeCachedTranslation, CompactSerdes::readCachedTranslation);

    private CompactSerdes() {
    }

    // --- messages --------------------------------------------------------------------------------------------

    static void writeMessage(BinaryWriter out, NormalizedMessage message) {
        out.writeString(message.messageId());
        out.writeString(message.tenantId());
        out.writeString(message.conversationId());
        out.writeString(message.conversationType().wireName());
        Sender from = message.from();
        out.writeString(from.id());
        out.writeString(from.name());
        out.writeString(from.aadObjectId());
        out.writeString(message.text());
        out.writeString(message.teamAadGroupId());
        out.writeString(message.channelId());
        out.writeString(message.rootMessageId());
        out.writeString(message.serviceUrl());
        out.writeInstant(message.receivedAt());
        out.writeString(message.teamId());
        out.writeString(message.registration());
        out.writeInstant(message.replyDeadline());
    }

    static NormalizedMessage readMessage(BinaryReader in) {
        String messageId = in.readString();
        String tenantId = in.readString();
        String conversationId = in.readString();
        ConversationType type = ConversationType.fromWireName(in.readString());
        Sender from = new Sender(in.readString(), in.readString(), in.readString());
        return new NormalizedMessage(messageId, tenantId, conversationId, type, from, in.readString(), in.readString(),
                in.readString(), in.readString(), in.readString(), in.readInstant(), in.readString(), in.readString(),
                in.readInstant());
    }

    // --- turns and translations ------------------------------------------------------------------------------

    public static void writeTurn(BinaryWriter out, Turn turn) {
        out.writeString(turn.messageId());
        out.writeString(turn.senderName());
        out.writeString(turn.text());
        out.writeInstant(turn.at());
        out.writeString(turn.sourceLanguage());
        writeTranslations(out, turn.translations());
    }

    public static Turn readTurn(BinaryReader in) {
        return new Turn(in.readString(), in.readString(), in.readString(), in.readInstant(), in.readString(),
                readTranslations(in));
    }

    static void writeTranslations(BinaryWriter out, List<Translation> translations) {
        out.writeVarLong(translations.size());
        for (Translation translation : translations) {
            out.writeString(translation.language());
            out.writeString(translation.text());
        }
    }

    static List<Translation> readTranslations(BinaryReader in) {
        int count = in.readVarInt();
        List<Translation> translations = new ArrayList<>(Math.min(count, 16));
        for (int i = 0; i < count; i++) {
            translations.add(new Translation(in.readString(), in.readString()));
        }
        return translations;
    }

    // --- budget ----------------------------------------------------------------------------------------------

    static void writeSpend(BinaryWriter out, TenantSpend spend) {
        out.writeDecimal(spend.spentUsd());
        out.writeSignedVarLong(spend.tokens());
        out.writeSignedVarLong(spend.allowed());
        out.writeSignedVarLong(spend.refused());
        out.writeStrings(spend.thresholdsReported());
    }

    static TenantSpend readSpend(BinaryReader in) {
        return new TenantSpend(in.readDecimal(), in.readSignedVarLong(), in.readSignedVarLong(), in.readSignedVarLong(),
                in.readStrings());
    }

    static void writeReservation(BinaryWriter out, BudgetReservation reservation) {
        out.writeBoolean(reservation != null);
        if (reservation != null) {
            out.writeString(reservation.day());
            out.writeString(reservation.month());
            out.writeSignedVarLong(reservation.estimatedInputTokens());
            out.writeSignedVarLong(reservation.maxOutputTokens());
            out.writeDecimal(reservation.estimatedCostUsd());
        }
    }

    static BudgetReservation readReservation(BinaryReader in) {
        if (!in.readBoolean()) {
            return null;
        }
        return new BudgetReservation(in.readString(), in.readString(), in.readSignedVarLong(), in.readSignedVarLong(),
                in.readDecimal());
    }

    // --- model stage -----------------------------------------------------------------------------------------

    static void writePendingCall(BinaryWriter out, PendingCall call) {
        writeRequest(out, call.request());
        out.writeSignedVarLong(call.timestamp());
        out.writeSignedVarLong(call.replayAttempt());
    }

    static PendingCall readPendingCall(BinaryReader in) {
        TranslationRequest request = readRequest(in);
        return new PendingCall(request, in.readSignedVarLong(), Math.toIntExact(in.readSignedVarLong()));
    }

    public static void writeRequest(BinaryWriter out, TranslationRequest request) {
        out.writeBoolean(request.message() != null);
        if (request.message() != null) {
            writeMessage(out, request.message());
        }
        out.writeStrings(request.targetLanguages());
        writeReservation(out, request.reservation());
        out.writeVarLong(request.context().size());
        for (Turn turn : request.context()) {
            writeTurn(out, turn);
        }
        out.writeString(request.sourceLanguage());
        out.writeString(request.tone());
        out.writeVarLong(request.glossary().size());
        for (GlossaryTerm term : request.glossary()) {
            out.writeString(term.sourceTerm());
            out.writeString(term.targetLanguage());
            out.writeString(term.targetTerm());
            out.writeBoolean(term.strict());
            out.writeString(term.scope().wireName());
        }
        // what the stages observed so far, for the message's one telemetry event: small, open-ended attribute
        // maps, kept as JSON (numbers and strings come back as the telemetry event's JSON would carry them)
        out.writeString(request.facts().isEmpty() ? null : writeFacts(request.facts()));
    }

    private static final ObjectWriter FACTS_WRITER = Json.mapper().writer();
    private static final ObjectReader FACTS_READER = Json.mapper()
            .readerFor(new TypeReference<Map<String, Map<String, Object>>>() { });

    private static String writeFacts(Map<String, Map<String, Object>> facts) {
        try {
            return FACTS_WRITER.writeValueAsString(facts);
        } catch (JsonProcessingException e) {
            throw new SerializationException("telemetry facts are not serialisable: " + e.getOriginalMessage());
        }
    }

    private static Map<String, Map<String, Object>> readFacts(String json) {
        if (json == null) {
            return Map.of();
        }
        try {
            return FACTS_READER.readValue(json);
        } catch (IOException e) {
            throw new SerializationException("stored telemetry facts are not valid JSON");
        }
    }

    public static TranslationRequest readRequest(BinaryReader in) {
        NormalizedMessage message = in.readBoolean() ? readMessage(in) : null;
        List<String> targets = in.readStrings();
        if (targets == null) {
            throw new SerializationException("request without target languages");
        }
        BudgetReservation reservation = readReservation(in);
        int turns = in.readVarInt();
        List<Turn> context = new ArrayList<>(Math.min(turns, 64));
        for (int i = 0; i < turns; i++) {
            context.add(readTurn(in));
        }
        String sourceLanguage = in.readString();
        String tone = in.readString();
        int terms = in.readVarInt();
        List<GlossaryTerm> glossary = new ArrayList<>(Math.min(terms, 64));
        for (int i = 0; i < terms; i++) {
            glossary.add(new GlossaryTerm(in.readString(), in.readString(), in.readString(), in.readBoolean(),
                    GlossaryEntry.Scope.fromWireName(in.readString())));
        }
        return new TranslationRequest(message, targets, reservation, context, sourceLanguage, tone, glossary,
                readFacts(in.readString()));
    }

    static void writeCachedTranslation(BinaryWriter out, CachedTranslation cached) {
        out.writeString(cached.provider());
        out.writeString(cached.model());
        out.writeString(cached.sourceLanguage());
        writeTranslations(out, cached.translations());
        out.writeSignedVarLong(cached.cachedAt());
    }

    static CachedTranslation readCachedTranslation(BinaryReader in) {
        return new CachedTranslation(in.readString(), in.readString(), in.readString(), readTranslations(in),
                in.readSignedVarLong());
    }
}
