package io.tla.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The target languages chosen for one Teams channel or one person of a tenant: the value of the compacted topic
 * {@code tla.languages.v1}, keyed by {@link #storeKey()} ({@code TENANT/channel/ID} or {@code TENANT/user/ID}). A
 * null value under a key clears that choice. Replies in the channel, and replies in conversations the person
 * takes part in, are translated into these languages as well as the tenant's.
 *
 * <p>{@code id} is the channel id ({@code 19:…@thread.tacv2}) or the person's Azure AD object id (their
 * channel-scoped Teams id when Teams sent none). {@code languages} are canonical {@link LanguageTag}s, at least
 * one and at most {@link #MAX_LANGUAGES}, without repeats. {@code updatedBy} says who made the change:
 * {@code teams:<sender id>} for a command sent to the bot, {@code cli:<user>} for {@code tla languages}.
 */
public record LanguagePreference(
        String tenantId,
        Scope scope,
        String id,
        List<String> languages,
        Instant updatedAt,
        String updatedBy) {

    /** Separates the parts of {@link #storeKey()}; a tenant id may not contain it. */
    public static final String KEY_SEPARATOR = "/";
    /** The most languages one channel or one person may add. */
    public static final int MAX_LANGUAGES = 10;

    public LanguagePreference {
        requireId(tenantId, "tenantId");
        if (tenantId.contains(KEY_SEPARATOR)) {
            throw new IllegalArgumentException("tenantId may not contain '" + KEY_SEPARATOR + "'");
        }
        Objects.requireNonNull(scope, "scope");
        requireId(id, scope == Scope.CHANNEL ? "id (the channel id)" : "id (the person's AAD object id)");
        Objects.requireNonNull(languages, "languages");
        List<String> canonical = new ArrayList<>(languages.size());
        for (String language : languages) {
            String tag = LanguageTag.canonical(language);
            if (tag == null) {
                throw new IllegalArgumentException("not a language tag of a known language, such as fr or pt-BR: "
                        + language);
            }
            if (!canonical.contains(tag)) {
                canonical.add(tag);
            }
        }
        if (canonical.isEmpty()) {
            throw new IllegalArgumentException("languages may not be empty (a null value clears a choice)");
        }
        if (canonical.size() > MAX_LANGUAGES) {
            throw new IllegalArgumentException("at most " + MAX_LANGUAGES + " languages per channel or person");
        }
        languages = List.copyOf(canonical);
        Objects.requireNonNull(updatedAt, "updatedAt");
        requireId(updatedBy, "updatedBy");
    }

    /** {@code TENANT/channel/ID} or {@code TENANT/user/ID}. */
    @JsonIgnore
    public String storeKey() {
        return storeKey(tenantId, scope, id);
    }

    public static String storeKey(String tenantId, Scope scope, String id) {
        return keyPrefix(tenantId, scope) + id;
    }

    /** The key prefix of every choice of one tenant, both scopes. */
    public static String keyPrefix(String tenantId) {
        return tenantId + KEY_SEPARATOR;
    }

    /** The key prefix of every choice of one tenant and scope. */
    public static String keyPrefix(String tenantId, Scope scope) {
        return tenantId + KEY_SEPARATOR + scope.wireName() + KEY_SEPARATOR;
    }

    private static void requireId(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
        if (value.codePoints().anyMatch(cp -> Character.isISOControl(cp) || Character.isWhitespace(cp))) {
            throw new IllegalArgumentException(name + " may not contain white space or control characters");
        }
    }

    /** Whose choice it is. */
    public enum Scope {
        CHANNEL("channel"),
        USER("user");

        private final String wireName;

        Scope(String wireName) {
            this.wireName = wireName;
        }

        @JsonValue
        public String wireName() {
            return wireName;
        }

        @JsonCreator
        public static Scope fromWireName(String value) {
            for (Scope scope : values()) {
                if (scope.wireName.equals(value)) {
                    return scope;
                }
            }
            throw new IllegalArgumentException("unknown language scope: " + value + " (channel or user)");
        }
    }
}
