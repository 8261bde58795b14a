package io.tla.topology.glossary;

import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.NormalizedMessage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Looks up the glossary terms of a message in {@link GlossaryStore#STORE}. Reads only the entries that can reach
 * the message: three prefix scans, {@code tenant|tenant||}, {@code tenant|channel|<channel id>|} and
 * {@code tenant|user|<sender's AAD object id>|}, so other channels' and other users' entries are never read and
 * another tenant's never can be. {@link Glossary} then applies precedence and the text match.
 *
 * <p>Obtain it in a processor's {@code init()} with {@link #from(ProcessorContext)}; a global store needs no
 * connection to the processor.
 */
public final class GlossaryLookup {

    private static final StringSerializer KEYS = (StringSerializer) Serdes.String().serializer();

    private final ReadOnlyKeyValueStore<String, GlossaryEntry> store;

    public GlossaryLookup(ReadOnlyKeyValueStore<String, GlossaryEntry> store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    public static GlossaryLookup from(ProcessorContext<?, ?> context) {
        KeyValueStore<String, GlossaryEntry> store = context.getStateStore(GlossaryStore.STORE);
        return new GlossaryLookup(store);
    }

    /** The terms that apply to {@code message} for these target languages, after precedence. */
    public List<GlossaryTerm> termsFor(NormalizedMessage message, Collection<String> targetLanguages) {
        String aadObjectId = message.from() == null ? null : message.from().aadObjectId();
        return Glossary.applicableTerms(entriesReaching(message.tenantId(), message.channelId(), aadObjectId),
                message.tenantId(), message.channelId(), aadObjectId, message.text(), targetLanguages);
    }

    /** The tenant's entries whose scope reaches a message in this channel (may be null) from this user (may be null). */
    public List<GlossaryEntry> entriesReaching(String tenantId, String channelId, String senderAadObjectId) {
        List<GlossaryEntry> entries = new ArrayList<>();
        if (!usable(tenantId)) {
            return entries;
        }
        scan(GlossaryEntry.keyPrefix(tenantId, GlossaryEntry.Scope.TENANT, null), entries);
        if (usable(channelId)) {
            scan(GlossaryEntry.keyPrefix(tenantId, GlossaryEntry.Scope.CHANNEL, channelId), entries);
        }
        if (usable(senderAadObjectId)) {
            scan(GlossaryEntry.keyPrefix(tenantId, GlossaryEntry.Scope.USER, senderAadObjectId), entries);
        }
        return entries;
    }

    /** Every entry of one tenant, all scopes. */
    public List<GlossaryEntry> tenantEntries(String tenantId) {
        List<GlossaryEntry> entries = new ArrayList<>();
        if (usable(tenantId)) {
            scan(GlossaryEntry.keyPrefix(tenantId), entries);
        }
        return entries;
    }

    private void scan(String prefix, List<GlossaryEntry> into) {
        try (KeyValueIterator<String, GlossaryEntry> range = store.prefixScan(prefix, KEYS)) {
            range.forEachRemaining(kv -> into.add(kv.value));
        }
    }

    // An id containing the key separator could widen a prefix into another scope's range: never scan with one.
    private static boolean usable(String id) {
        return id != null && !id.isEmpty() && !id.contains(GlossaryEntry.KEY_SEPARATOR);
    }
}
