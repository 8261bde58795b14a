package io.tla.topology.preferences;

import io.tla.platform.kafka.CompactedTopics;
import io.tla.platform.kafka.KafkaClients;
import io.tla.schemas.Json;
import io.tla.schemas.LanguagePreference;
import io.tla.schemas.Topics;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes and reads {@code tla.languages.v1} with plain Kafka clients, for the {@code tla languages} command. A
 * write is transactional (its transactional id is per tenant), so the topology's global store (read committed
 * under exactly-once) never sees half of one.
 */
public final class LanguagePreferencesTopic {

    private LanguagePreferencesTopic() {
    }

    /** The latest choice per key as of the read, and how many records could not be read as choices. */
    public record Snapshot(Map<String, LanguagePreference> preferences, int invalidRecords) {
        public Snapshot {
            preferences = Collections.unmodifiableMap(new TreeMap<>(preferences));
        }

        /** The choices of one tenant, in key order (channels, then people). */
        public List<LanguagePreference> tenant(String tenantId) {
            String prefix = LanguagePreference.keyPrefix(tenantId);
            return preferences.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                    .map(Map.Entry::getValue).filter(p -> p.tenantId().equals(tenantId)).toList();
        }

        /** The choice of one channel or person; null when none. */
        public LanguagePreference get(String tenantId, LanguagePreference.Scope scope, String id) {
            return preferences.get(LanguagePreference.storeKey(tenantId, scope, id));
        }
    }

    /** Puts {@code preference} under {@code key}, or clears the key when it is null. */
    public static void publish(KafkaClients clients, String tenantId, String key, LanguagePreference preference,
                               Duration timeout) {
        Map<String, LanguagePreference> records = new HashMap<>();
        records.put(key, preference);
        CompactedTopics.writeAll(clients, Topics.LANGUAGES, "tla-languages-" + tenantId, records, timeout,
                "the language change");
    }

    /** Reads the whole topic up to its current end (committed records only). Empty when the topic is missing. */
    public static Snapshot read(KafkaClients clients, Duration timeout) {
        Map<String, LanguagePreference> preferences = new HashMap<>();
        int[] invalid = {0};
        CompactedTopics.readAll(clients, Topics.LANGUAGES.name(), "tla-languages-list", timeout, record -> {
            if (record.key() == null) {
                invalid[0]++;
            } else if (record.value() == null) {
                preferences.remove(record.key());
            } else {
                try {
                    LanguagePreference preference = Json.mapper().readValue(record.value(), LanguagePreference.class);
                    if (record.key().equals(preference.storeKey())) {
                        preferences.put(record.key(), preference);
                    } else {
                        invalid[0]++;
                    }
                } catch (Exception e) {
                    invalid[0]++;
                }
            }
        });
        return new Snapshot(preferences, invalid[0]);
    }
}
