package io.tla.topology.tone;

import io.tla.platform.kafka.CompactedTopics;
import io.tla.platform.kafka.KafkaClients;
import io.tla.schemas.Json;
import io.tla.schemas.ToneTemplateEntry;
import io.tla.schemas.Topics;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Writes and reads {@code tla.tones.v1} with plain Kafka clients, for the {@code tla tone} command. A template is
 * one record, written with {@code acks=all} and waited for, so when {@code set} or {@code remove} returns the
 * change is on the topic and every topology instance's global store picks it up within moments.
 */
public final class ToneTemplateTopic {

    private ToneTemplateTopic() {
    }

    /** The latest template per key as of the read, and how many records could not be read as templates. */
    public record Snapshot(Map<String, ToneTemplateEntry> templates, int invalidRecords) {
        public Snapshot {
            templates = Collections.unmodifiableMap(new TreeMap<>(templates));
        }

        /** Every template, in key order: per tenant, the tenant-wide one ({@code TENANT/*}) before its channels'. */
        public List<ToneTemplateEntry> all() {
            return templates.values().stream()
                    .sorted(java.util.Comparator.comparing(ToneTemplateEntry::tenantId)
                            .thenComparing(entry -> entry.channelId() == null ? "" : entry.channelId()))
                    .toList();
        }

        /** One tenant's templates, the tenant-wide one first. */
        public List<ToneTemplateEntry> tenant(String tenantId) {
            return all().stream().filter(entry -> entry.tenantId().equals(tenantId)).toList();
        }

        /** The template under exactly this key, or null. */
        public ToneTemplateEntry get(String tenantId, String channelId) {
            return templates.get(ToneTemplateEntry.storeKey(tenantId, channelId));
        }
    }

    /** Puts {@code entry} under its {@link ToneTemplateEntry#storeKey()}. */
    public static void put(KafkaClients clients, ToneTemplateEntry entry, Duration timeout) {
        send(clients, entry.storeKey(), entry, timeout);
    }

    /** Writes the tombstone that removes the template of a tenant ({@code channelId} null) or channel. */
    public static void remove(KafkaClients clients, String tenantId, String channelId, Duration timeout) {
        send(clients, ToneTemplateEntry.storeKey(tenantId, channelId), null, timeout);
    }

    private static void send(KafkaClients clients, String key, ToneTemplateEntry value, Duration timeout) {
        Map<String, ToneTemplateEntry> records = new HashMap<>();
        records.put(key, value);
        CompactedTopics.writeAll(clients, Topics.TONES, "tla-tone-" + key.substring(0, key.indexOf('/')), records,
                timeout, "the tone template change");
    }

    /** Reads the whole topic up to its current end (committed records only). Empty when the topic is missing. */
    public static Snapshot read(KafkaClients clients, Duration timeout) {
        Map<String, ToneTemplateEntry> templates = new HashMap<>();
        Map<String, Boolean> invalid = new HashMap<>();
        CompactedTopics.readAll(clients, Topics.TONES.name(), "tla-tone-list", timeout,
                record -> apply(record, templates, invalid));
        return new Snapshot(templates, (int) invalid.values().stream().filter(Boolean::booleanValue).count());
    }

    /**
     * As the topology's store does: a valid record replaces, a tombstone removes, an invalid one leaves the
     * template as it was. {@code invalid} tracks per key whether its latest record was unreadable.
     */
    private static void apply(ConsumerRecord<String, byte[]> record, Map<String, ToneTemplateEntry> templates,
                              Map<String, Boolean> invalid) {
        String key = record.key() == null ? "" : record.key();
        if (record.key() == null) {
            invalid.put(key, true);
        } else if (record.value() == null) {
            templates.remove(key);
            invalid.put(key, false);
        } else {
            try {
                ToneTemplateEntry entry = Json.mapper().readValue(record.value(), ToneTemplateEntry.class);
                if (key.equals(entry.storeKey())) {
                    templates.put(key, entry);
                    invalid.put(key, false);
                } else {
                    invalid.put(key, true);
                }
            } catch (Exception e) {
                invalid.put(key, true);
            }
        }
    }
}
