package io.tla.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonValue;
import java.text.Normalizer;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One term of a tenant's glossary: the value of the compacted topic {@code tla.glossary.v1}, keyed by
 * {@link #storeKey()}. A null value under a key deletes that entry.
 *
 * <p>{@code scopeId} is null for {@link Scope#TENANT}, the Teams channel id (e.g. {@code 19:…@thread.tacv2})
 * for {@link Scope#CHANNEL} and the sender's Azure AD object id for {@link Scope#USER}. Ids may not contain
 * {@code |}, the key separator, so the key of an entry can never be mistaken for another's.
 */
public record GlossaryEntry(
        String tenantId,
        Scope scope,
        String scopeId,
        String sourceTerm,
        String targetLanguage,
        String targetTerm,
        boolean strict,
        Instant updatedAt) {

    /** Separates the parts of {@link #storeKey()}; ids may not contain it. */
    public static final String KEY_SEPARATOR = "|";

    private static final Pattern LANGUAGE_TAG = Pattern.compile("[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*");
    private static final Pattern SPACES = Pattern.compile("[\\s\\p{Z}]+");

    public GlossaryEntry {
        requireId(tenantId, "tenantId");
        Objects.requireNonNull(scope, "scope");
        if (scope == Scope.TENANT) {
            if (scopeId != null && !scopeId.isEmpty()) {
                throw new IllegalArgumentException("scopeId must be empty for the tenant scope");
            }
            scopeId = null;
        } else {
            requireId(scopeId, "scopeId (the " + (scope == Scope.CHANNEL ? "channel id" : "user's AAD object id") + ")");
        }
        requireText(sourceTerm, "sourceTerm");
        requireText(targetTerm, "targetTerm");
        Objects.requireNonNull(targetLanguage, "targetLanguage");
        if (!LANGUAGE_TAG.matcher(targetLanguage).matches()) {
            throw new IllegalArgumentException("targetLanguage is not a language tag such as en or pt-BR: " + targetLanguage);
        }
        sourceTerm = sourceTerm.strip();
        targetTerm = targetTerm.strip();
        Objects.requireNonNull(updatedAt, "updatedAt");
    }

    /**
     * {@code tenant|scope|scopeId|folded source term|language}, language lower-case: the same term re-imported in
     * another case replaces the entry, and a tenant's entries of one scope are one prefix range
     * ({@link #keyPrefix}).
     */
    @JsonIgnore
    public String storeKey() {
        return keyPrefix(tenantId, scope, scopeId) + foldTerm(sourceTerm) + KEY_SEPARATOR
                + targetLanguage.toLowerCase(Locale.ROOT);
    }

    /** The key prefix of every entry of one tenant and scope ({@code scopeId} null for the tenant scope). */
    public static String keyPrefix(String tenantId, Scope scope, String scopeId) {
        return tenantId + KEY_SEPARATOR + scope.wireName() + KEY_SEPARATOR + (scopeId == null ? "" : scopeId)
                + KEY_SEPARATOR;
    }

    /** The key prefix of every entry of one tenant, all scopes. */
    public static String keyPrefix(String tenantId) {
        return tenantId + KEY_SEPARATOR;
    }

    /**
     * The form in which terms are compared: compatibility-normalised (NFKC: full-width Latin becomes ASCII),
     * case-folded through upper then lower case (so {@code ß} equals {@code SS}), runs of white space as one
     * space, stripped.
     */
    public static String foldTerm(String text) {
        String compatible = Normalizer.normalize(text, Normalizer.Form.NFKC);
        String folded = compatible.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
        return SPACES.matcher(Normalizer.normalize(folded, Normalizer.Form.NFC)).replaceAll(" ").strip();
    }

    private static void requireId(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
        if (value.contains(KEY_SEPARATOR)) {
            throw new IllegalArgumentException(name + " may not contain '" + KEY_SEPARATOR + "'");
        }
    }

    private static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
        if (value.codePoints().anyMatch(cp -> Character.isISOControl(cp))) {
            throw new IllegalArgumentException(name + " may not contain control characters");
        }
    }

    /** Where an entry applies. More specific scopes win: user over channel over tenant. */
    public enum Scope {
        TENANT("tenant", 0),
        CHANNEL("channel", 1),
        USER("user", 2);

        private final String wireName;
        private final int precedence;

        Scope(String wireName, int precedence) {
            this.wireName = wireName;
            this.precedence = precedence;
        }

        @JsonValue
        public String wireName() {
            return wireName;
        }

        /** Higher wins when entries of several scopes define the same term and language. */
        public int precedence() {
            return precedence;
        }

        @JsonCreator
        public static Scope fromWireName(String value) {
            for (Scope scope : values()) {
                if (scope.wireName.equals(value)) {
                    return scope;
                }
            }
            throw new IllegalArgumentException("unknown glossary scope: " + value + " (tenant, channel or user)");
        }
    }
}
