package io.tla.topology.preferences;

import io.tla.platform.config.LanguagesConfig;
import io.tla.schemas.LanguagePreference;
import io.tla.schemas.LanguagePreference.Scope;
import io.tla.schemas.NormalizedMessage;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The languages of channels and people as one task sees them: configuration ({@code tenant.ID.channel-languages},
 * {@code tenant.ID.user-languages}) united with {@code tla.languages.v1} (the global store, overlaid with the
 * task's own {@link RecentLanguageChanges}). Obtained in a processor's {@code init()} from
 * {@link LanguagePreferenceState#open}. Every read is keyed by the message's tenant, so no tenant reads another's.
 */
public final class LanguagePreferences {

    private final ReadOnlyKeyValueStore<String, LanguagePreference> store;
    private final RecentLanguageChanges recent;
    private final LanguagesConfig config;
    private final LanguagePreferenceState.Counts counts;
    private final Clock clock;

    LanguagePreferences(ReadOnlyKeyValueStore<String, LanguagePreference> store, RecentLanguageChanges recent,
                        LanguagesConfig config, LanguagePreferenceState.Counts counts, Clock clock) {
        this.store = store;
        this.recent = recent;
        this.config = config;
        this.counts = counts;
        this.clock = clock;
    }

    /** Who a message is from, as languages are kept: the sender's AAD object id, else their Teams id; may be null. */
    public static String senderId(NormalizedMessage message) {
        if (message.from() == null) {
            return null;
        }
        String aad = message.from().aadObjectId();
        if (usable(aad)) {
            return aad;
        }
        return usable(message.from().id()) ? message.from().id() : null;
    }

    public LanguagesConfig config() {
        return config;
    }

    /** The choice on the topic for one channel or person (this task's newer change if any); null when none. */
    public LanguagePreference stored(String tenantId, Scope scope, String id) {
        if (!usableTenant(tenantId) || !usable(id)) {
            return null;
        }
        String key = LanguagePreference.storeKey(tenantId, scope, id);
        LanguagePreference stored = store.get(key);
        RecentLanguageChanges.Change change = recent.current(key, stored, clock.millis());
        return change == null ? stored : change.value();
    }

    /** A channel's languages: configured, then chosen; empty for a null channel. */
    public List<String> channelLanguages(String tenantId, String channelId) {
        return united(config.channelLanguages(tenantId, channelId), stored(tenantId, Scope.CHANNEL, channelId));
    }

    /** A person's languages: configured, then chosen; empty for a null id. */
    public List<String> userLanguages(String tenantId, String userId) {
        return united(config.userLanguages(tenantId, userId), stored(tenantId, Scope.USER, userId));
    }

    /**
     * The target languages of a reply to {@code message}: {@code tenantLanguages}, then its channel's, then the
     * sender's, then those of {@code earlierSenders} (who wrote the conversation's recent turns, newest first).
     */
    public TargetLanguages targetsFor(NormalizedMessage message, List<String> tenantLanguages,
                                      List<String> earlierSenders) {
        String tenant = message.tenantId();
        if (noneKept(tenant)) {
            // most tenants choose no languages per channel or person: no store read for them
            return TargetLanguages.union(tenantLanguages, List.of(), List.of());
        }
        Set<String> people = new LinkedHashSet<>();
        String sender = senderId(message);
        if (sender != null) {
            people.add(sender);
        }
        people.addAll(earlierSenders);
        List<List<String>> peoples = new ArrayList<>(people.size());
        for (String person : people) {
            peoples.add(userLanguages(tenant, person));
        }
        return TargetLanguages.union(tenantLanguages, channelLanguages(tenant, message.channelId()), peoples);
    }

    /**
     * True when nothing could add languages for {@code tenantId}: no channel or person configured for it, no
     * channel's choice on the topic (of any tenant: channels are not counted per tenant), none of its people's, and
     * no change of this task waiting for the store.
     */
    private boolean noneKept(String tenantId) {
        LanguagesConfig.Tenant configured = config.tenant(tenantId);
        return configured.channels().isEmpty() && configured.users().isEmpty()
                && counts.records(Scope.CHANNEL) == 0 && counts.users(tenantId) == 0 && recent.size() == 0;
    }

    /** People of the tenant with a choice on the topic, counting this task's changes the store does not show yet. */
    public long storedUsers(String tenantId) {
        long count = counts.users(tenantId);
        long now = clock.millis();
        for (RecentLanguageChanges.Change change : recent.withPrefix(LanguagePreference.keyPrefix(tenantId, Scope.USER))) {
            LanguagePreference stored = store.get(change.key());
            if (recent.current(change.key(), stored, now) == null) {
                continue; // the store shows it already
            }
            if (change.value() != null && stored == null) {
                count++;
            } else if (change.value() == null && stored != null) {
                count--;
            }
        }
        return count;
    }

    /** Remembers a change this task is writing ({@code value} null: cleared), until the store shows it. */
    public void changed(String key, LanguagePreference value) {
        recent.put(key, value, clock.millis());
    }

    private static List<String> united(List<String> configured, LanguagePreference stored) {
        if (stored == null) {
            return configured;
        }
        if (configured.isEmpty()) {
            return stored.languages();
        }
        Set<String> union = new LinkedHashSet<>(configured);
        union.addAll(stored.languages());
        return List.copyOf(union);
    }

    /** Whether choices can be kept under {@code tenantId}: a usable id without the key separator. */
    static boolean usableTenant(String tenantId) {
        return usable(tenantId) && !tenantId.contains(LanguagePreference.KEY_SEPARATOR);
    }

    /** Whether {@code id} can name a channel or person on the topic (the record refuses blanks and white space). */
    static boolean usable(String id) {
        return id != null && !id.isBlank()
                && id.codePoints().noneMatch(cp -> Character.isWhitespace(cp) || Character.isISOControl(cp));
    }
}
