package io.tla.topology.glossary;

import io.tla.platform.kafka.CompactedTopics;
import io.tla.platform.kafka.KafkaClients;
import io.tla.schemas.GlossaryEntry;
import io.tla.schemas.Json;
import io.tla.schemas.Topics;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes and reads {@code tla.glossary.v1} with plain Kafka clients, for the {@code tla glossary} command. An
 * import is one transaction, so the topology's global store (read committed under exactly-once) sees a file's
 * entries all at once or not at all.
 */
public final class GlossaryTopic {

    private GlossaryTopic() {
    }

    /** The latest entry per key as of the read, and how many records could not be read as entries. */
    public record Snapshot(Map<String, GlossaryEntry> entries, int invalidRecords) {
        public Snapshot {
            entries = java.util.Collections.unmodifiableMap(new TreeMap<>(entries));
        }

        /** Entries of one tenant, in key order (scope, scope id, term, language). */
        public List<GlossaryEntry> tenant(String tenantId) {
            String prefix = GlossaryEntry.keyPrefix(tenantId);
            return entries.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                    .map(Map.Entry::getValue).filter(entry -> entry.tenantId().equals(tenantId)).toList();
        }
    }

    /**
     * Puts {@code entries} under their {@link GlossaryEntry#storeKey()} and writes a tombstone for each of
     * {@code deletedKeys}, in one transaction. The transactional id is per tenant, so two imports for one tenant
     * at the same time fence each other instead of interleaving.
     */
    public static void publish(KafkaClients clients, String tenantId, Collection<GlossaryEntry> entries,
                               Collection<String> deletedKeys, Duration timeout) {
        Map<String, GlossaryEntry> records = new LinkedHashMap<>();
        entries.forEach(entry -> records.put(entry.storeKey(), entry));
        deletedKeys.forEach(key -> records.put(key, null));
        CompactedTopics.writeAll(clients, Topics.GLOSSARY, "tla-glossary-import-" + tenantId, records, timeout,
                "the glossary import");
    }

    /** Reads the whole topic up to its current end (committed records only). Empty when the topic is missing. */
    public static Snapshot read(KafkaClients clients, Duration timeout) {
        Map<String, GlossaryEntry> entries = new HashMap<>();
        int[] invalid = {0};
        CompactedTopics.readAll(clients, Topics.GLOSSARY.name(), "tla-glossary-list", timeout, record -> {
            if (record.key() == null) {
                invalid[0]++;
            } else if (record.value() == null) {
                entries.remove(record.key());
            } else {
                try {
                    GlossaryEntry entry = Json.mapper().readValue(record.value(), GlossaryEntry.class);
                    if (record.key().equals(entry.storeKey())) {
                        entries.put(record.key(), entry);
                    } else {
                        invalid[0]++;
                    }
                } catch (Exception e) {
                    invalid[0]++;
                }
            }
        });
        return new Snapshot(entries, invalid[0]);
    }
}
