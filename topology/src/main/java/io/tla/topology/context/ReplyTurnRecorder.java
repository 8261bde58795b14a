package io.tla.topology.context;

import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Feeds the model's answers back into the conversation: a {@code translation} reply is recorded on the turn of
 * the message it answers, with the language the message was in, so a later request's context shows what was said,
 * in which language, and how it was translated (consistent names and terms across a conversation). Shares
 * {@link ConversationStore} (and its decoded turns) with context retrieval, so both run in the same task; only the
 * answered turn is rewritten. Other replies (failed, budget-exceeded) carry no translation and are ignored; so is a
 * reply whose turn is gone (dropped by the bounds, or the conversation expired): nothing is recreated.
 */
public final class ReplyTurnRecorder implements Processor<String, ReplyEvent, Void, Void> {

    public static final String NAME = "record-reply-turns";

    private final ConversationStore.Caches caches;
    private ProcessorContext<Void, Void> context;
    private ConversationStore turns;

    /** A recorder whose decoded turns no other processor shares. */
    public ReplyTurnRecorder() {
        this(new ConversationStore.Caches());
    }

    /** @param caches shared with the {@link ContextRetrieval} of the same topology */
    public ReplyTurnRecorder(ConversationStore.Caches caches) {
        this.caches = caches;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        this.turns = ConversationStore.open(context, caches);
    }

    @Override
    public void process(Record<String, ReplyEvent> record) {
        record(turns, record.value());
    }

    /** Records {@code reply} on its turn in {@code store}; for callers that hold the store themselves. */
    public static void record(ConversationStore store, ReplyEvent reply) {
        if (reply == null || reply.kind() != ReplyKind.TRANSLATION || reply.translations().isEmpty()) {
            return;
        }
        store.recordAnswer(reply.tenantId(), reply.conversationId(), reply.replyToId(), reply.sourceLanguage(),
                reply.translations());
    }

    @Override
    public void close() {
        if (context != null) {
            caches.detach(context.taskId());
        }
    }
}
