package io.tla.topology.tone;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ToneTemplateEntry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which tone template a message is translated with, read from {@link ToneTemplateStore#STORE}: the template of
 * the message's channel, else its tenant's, else none. Two point reads by key ({@code TENANT/CHANNEL},
 * {@code TENANT/*}); the tenant is the message's {@code tenantId}, so another tenant's template can never be read.
 *
 * <p>A template longer than {@code tone.template-max-chars} (which {@code tla tone set} refuses, so it was
 * produced to the topic directly) is not used, as if it were absent: a channel's then falls back to the tenant's.
 * Each such message counts in {@code tla.tone.templates.rejected}; the key is logged once per stored version,
 * without the text.
 */
public final class ToneTemplates {

    public static final String REJECTED_METER = "tla.tone.templates.rejected";

    private static final Logger log = LoggerFactory.getLogger(ToneTemplates.class);
    /** Over-long template versions already logged in this process; written by operators, bounded anyway. */
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();
    private static final int MAX_LOGGED = 1024;

    private final ReadOnlyKeyValueStore<String, ToneTemplateEntry> store;
    private final int maxChars;
    private final Counter rejected;

    /** @param store null when the topology has no tone template store: then no message has a template */
    public ToneTemplates(ReadOnlyKeyValueStore<String, ToneTemplateEntry> store, int maxChars, MeterRegistry meters) {
        this.store = store;
        this.maxChars = maxChars;
        this.rejected = Counter.builder(REJECTED_METER)
                .description("Messages whose tone template was not used because it is longer than tone.template-max-chars")
                .register(meters);
    }

    /** The lookup over the global store, from a processor's {@code init()}; a global store needs no connection. */
    public static ToneTemplates from(ProcessorContext<?, ?> context, int maxChars, MeterRegistry meters) {
        return new ToneTemplates(context.getStateStore(ToneTemplateStore.STORE), maxChars, meters);
    }

    /** The template {@code message} is translated with. */
    public ToneTemplate forMessage(NormalizedMessage message) {
        return resolve(message.tenantId(), message.channelId());
    }

    /** The template of a message of {@code tenantId} in {@code channelId} (null in chats). */
    public ToneTemplate resolve(String tenantId, String channelId) {
        if (store == null || !usableId(tenantId)) {
            return ToneTemplate.NONE;
        }
        if (usableId(channelId) && !ToneTemplateEntry.TENANT_WIDE.equals(channelId)) {
            String text = usableText(ToneTemplateEntry.storeKey(tenantId, channelId), tenantId);
            if (text != null) {
                return new ToneTemplate(text, ToneTemplate.Scope.CHANNEL);
            }
        }
        String text = usableText(ToneTemplateEntry.storeKey(tenantId, null), tenantId);
        return text == null ? ToneTemplate.NONE : new ToneTemplate(text, ToneTemplate.Scope.TENANT);
    }

    private String usableText(String key, String tenantId) {
        ToneTemplateEntry entry = store.get(key);
        if (entry == null || !tenantId.equals(entry.tenantId())) {
            return null;
        }
        int length = ToneTemplateEntry.length(entry.text());
        if (length > maxChars) {
            rejected.increment();
            if (LOGGED.size() >= MAX_LOGGED) {
                LOGGED.clear();
            }
            if (LOGGED.add(key + "@" + entry.updatedAt())) {
                log.warn("event=tone_template_rejected reason=too_long key={} length={} max={} updated_at={}", key,
                        length, maxChars, entry.updatedAt());
            }
            return null;
        }
        return entry.text();
    }

    private static boolean usableId(String id) {
        return id != null && !id.isBlank() && !id.contains(ToneTemplateEntry.KEY_SEPARATOR);
    }
}
