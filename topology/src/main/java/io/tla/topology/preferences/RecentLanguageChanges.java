package io.tla.topology.preferences;

import io.tla.schemas.LanguagePreference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The changes one task made to {@code tla.languages.v1} that the global store may not show yet: the global thread
 * applies a committed record a moment after the transaction that wrote it, so without these a second command (or
 * the next message) right after the first would read the old languages. An entry is dropped as soon as the store
 * shows the same value, after {@link #KEEP}, or when more than {@link #MAX_ENTRIES} changes are newer. Stream
 * thread only: the task's command stage and context retrieval run on the same thread.
 */
final class RecentLanguageChanges {

    /** Changes kept per task at most; commands are rare, so this is minutes of them even in a busy tenant. */
    static final int MAX_ENTRIES = 1_000;
    /** Far longer than the global thread ever lags; after it, a change made elsewhere (tla languages) shows. */
    static final Duration KEEP = Duration.ofMinutes(5);

    /** A change under one key: the new value, or null when it was cleared; when, in epoch ms. */
    record Change(String key, LanguagePreference value, long atMs) {
    }

    private final LinkedHashMap<String, Change> changes = new LinkedHashMap<>(16, 0.75f, false);

    void put(String key, LanguagePreference value, long nowMs) {
        changes.remove(key); // re-inserted as the newest
        changes.put(key, new Change(key, value, nowMs));
        Iterator<Change> eldest = changes.values().iterator();
        while (changes.size() > MAX_ENTRIES && eldest.hasNext()) {
            eldest.next();
            eldest.remove();
        }
    }

    /** The change under {@code key} if it is still newer than what the store shows ({@code stored}), else null. */
    Change current(String key, LanguagePreference stored, long nowMs) {
        Change change = changes.get(key);
        if (change == null) {
            return null;
        }
        boolean caughtUp = java.util.Objects.equals(change.value(), stored);
        if (caughtUp || nowMs - change.atMs() > KEEP.toMillis() || nowMs < change.atMs()) {
            changes.remove(key);
            return null;
        }
        return change;
    }

    /** The changes whose key starts with {@code prefix}, oldest first. */
    List<Change> withPrefix(String prefix) {
        List<Change> matching = new ArrayList<>();
        for (Map.Entry<String, Change> entry : changes.entrySet()) {
            if (entry.getKey().startsWith(prefix)) {
                matching.add(entry.getValue());
            }
        }
        return matching;
    }

    void clear() {
        changes.clear();
    }

    int size() {
        return changes.size();
    }
}
