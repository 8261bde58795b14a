package io.tla.topology.preferences;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tla.platform.config.LanguagesConfig;
import io.tla.schemas.LanguagePreference;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * What the processors of one built topology share about languages per channel and person: the counts the global
 * store's updater keeps (gauge {@code tla.language.preferences}, and people per tenant for
 * {@code languages.max-users-per-tenant}), and each task's {@link RecentLanguageChanges}, so the command stage and
 * context retrieval of a task see a change before the global store does.
 */
public final class LanguagePreferenceState {

    public static final String GAUGE = "tla.language.preferences";

    private final Counts counts = new Counts();
    private final Map<TaskId, RecentLanguageChanges> recentByTask = new ConcurrentHashMap<>();

    /** State without gauges: for a processor built on its own (tests, tools). */
    public LanguagePreferenceState() {
    }

    /** State whose gauges are registered in {@code meters}: records in the store, by scope. */
    public static LanguagePreferenceState create(MeterRegistry meters) {
        LanguagePreferenceState state = new LanguagePreferenceState();
        for (LanguagePreference.Scope scope : LanguagePreference.Scope.values()) {
            Gauge.builder(GAUGE, state.counts, counts -> counts.records(scope))
                    .description("Channels and people with languages of their own on tla.languages.v1, by scope")
                    .tag("scope", scope.wireName()).strongReference(true).register(meters);
        }
        return state;
    }

    Counts counts() {
        return counts;
    }

    /**
     * The preferences as {@code context}'s task sees them: the global store, this task's recent changes (emptied:
     * after a restore or an aborted transaction the store is the truth) and {@code config}.
     */
    public LanguagePreferences open(ProcessorContext<?, ?> context, LanguagesConfig config, Clock clock) {
        ReadOnlyKeyValueStore<String, LanguagePreference> store = context.getStateStore(LanguagePreferenceStore.STORE);
        RecentLanguageChanges recent = recentByTask.computeIfAbsent(context.taskId(), id -> new RecentLanguageChanges());
        recent.clear();
        return new LanguagePreferences(store, recent, config, counts, clock);
    }

    public void detach(TaskId task) {
        recentByTask.remove(task);
    }

    int tasks() {
        return recentByTask.size();
    }

    /**
     * Records in the store by scope, and people per tenant. Written by the global thread only; read by stream
     * threads and the metrics scrape. The per-tenant map holds tenants that have records on the topic, which only
     * the topology (tenant from the ingress) and {@code tla languages} write.
     */
    static final class Counts {
        private final AtomicLong channels = new AtomicLong();
        private final AtomicLong users = new AtomicLong();
        private final Map<String, AtomicLong> usersByTenant = new ConcurrentHashMap<>();

        long records(LanguagePreference.Scope scope) {
            return (scope == LanguagePreference.Scope.CHANNEL ? channels : users).get();
        }

        /** People of {@code tenantId} with a record in the store. */
        long users(String tenantId) {
            AtomicLong count = usersByTenant.get(tenantId);
            return count == null ? 0 : count.get();
        }

        /** Counts everything in {@code store} afresh (the updater's start, after the store was restored). */
        void recount(ReadOnlyKeyValueStore<String, LanguagePreference> store) {
            long channelCount = 0;
            long userCount = 0;
            Map<String, Long> perTenant = new HashMap<>();
            try (KeyValueIterator<String, LanguagePreference> all = store.all()) {
                while (all.hasNext()) {
                    KeyValue<String, LanguagePreference> entry = all.next();
                    if (entry.value.scope() == LanguagePreference.Scope.CHANNEL) {
                        channelCount++;
                    } else {
                        userCount++;
                        perTenant.merge(entry.value.tenantId(), 1L, Long::sum);
                    }
                }
            }
            channels.set(channelCount);
            users.set(userCount);
            usersByTenant.keySet().retainAll(perTenant.keySet());
            perTenant.forEach((tenant, count) ->
                    usersByTenant.computeIfAbsent(tenant, t -> new AtomicLong()).set(count));
        }

        /** One key's record went from {@code before} to {@code after} (either may be null). */
        void replaced(LanguagePreference before, LanguagePreference after) {
            if (before != null) {
                add(before, -1);
            }
            if (after != null) {
                add(after, 1);
            }
        }

        private void add(LanguagePreference preference, int delta) {
            if (preference.scope() == LanguagePreference.Scope.CHANNEL) {
                channels.addAndGet(delta);
                return;
            }
            users.addAndGet(delta);
            AtomicLong tenant = usersByTenant.computeIfAbsent(preference.tenantId(), t -> new AtomicLong());
            if (tenant.addAndGet(delta) <= 0) {
                usersByTenant.remove(preference.tenantId());
            }
        }
    }
}
