package io.tla.topology.context;

import io.tla.schemas.ReplyEvent;
import io.tla.schemas.ReplyKind;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Feeds the model's answers back into the conversation: a {@code translation} reply is recorded on the turn of
 * the message it answers, with the language the message was in, so a later request's context shows what was said,
 * in which language, and how it was translated (consistent names and terms across a conversation). Shares
 * {@link ContextRetrieval#CONVERSATION_TURNS_STORE} with context retrieval, so both run in the same task.
 * Other replies (failed, budget-exceeded) carry no translation and are ignored; so is a reply whose turn is
 * gone (dropped by the bounds, or the conversation expired): nothing is recreated.
 */
public final class ReplyTurnRecorder implements Processor<String, ReplyEvent, Void, Void> {

    public static final String NAME = "record-reply-turns";

    private KeyValueStore<String, ConversationTurns> turns;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.turns = context.getStateStore(ContextRetrieval.CONVERSATION_TURNS_STORE);
    }

    @Override
    public void process(Record<String, ReplyEvent> record) {
        record(turns, record.value());
    }

    /** Records {@code reply} on its turn in {@code store}; for callers that hold the store themselves. */
    public static void record(KeyValueStore<String, ConversationTurns> store, ReplyEvent reply) {
        if (reply == null || reply.kind() != ReplyKind.TRANSLATION || reply.translations().isEmpty()) {
            return;
        }
        String key = ContextRetrieval.storeKey(reply.tenantId(), reply.conversationId());
        ConversationTurns stored = store.get(key);
        if (stored == null || !stored.contains(reply.replyToId())) {
            return;
        }
        store.put(key, stored.withAnswer(reply.replyToId(), reply.sourceLanguage(), reply.translations()));
    }
}
