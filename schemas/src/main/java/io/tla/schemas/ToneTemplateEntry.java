package io.tla.schemas;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;
import java.util.Objects;

/**
 * A tenant's own style guide for translations ("address readers formally; keep product names in English"): the
 * value of the compacted topic {@code tla.tones.v1}, keyed by {@link #storeKey()}, {@code TENANT/*} for the
 * tenant-wide template and {@code TENANT/CHANNEL_ID} for one channel's. A null value under a key removes that
 * template. A channel's template wins over the tenant's.
 *
 * <p>The text is data that goes into the prompt as a quoted string, never instructions: it may hold line breaks
 * and tabs but no other control character. Its length limit is configuration ({@code tone.template-max-chars}),
 * checked where the template is written and again where it is read, so it is not part of this record.
 *
 * @param channelId the Teams channel id ({@code 19:…@thread.tacv2}); null for the tenant-wide template
 */
public record ToneTemplateEntry(String tenantId, String channelId, String text, Instant updatedAt) {

    /** Separates tenant and channel in {@link #storeKey()}; ids may not contain it. */
    public static final String KEY_SEPARATOR = "/";
    /** Stands for "every channel" in the key of the tenant-wide template; no channel id may be it. */
    public static final String TENANT_WIDE = "*";

    public ToneTemplateEntry {
        requireId(tenantId, "tenantId");
        if (channelId != null) {
            requireId(channelId, "channelId");
            if (channelId.equals(TENANT_WIDE)) {
                throw new IllegalArgumentException("channelId may not be '" + TENANT_WIDE + "'");
            }
        }
        Objects.requireNonNull(text, "text");
        String problem = textProblem(text);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        Objects.requireNonNull(updatedAt, "updatedAt");
    }

    /** {@code TENANT/*} or {@code TENANT/CHANNEL_ID}. */
    @JsonIgnore
    public String storeKey() {
        return storeKey(tenantId, channelId);
    }

    /** Whether this is the tenant-wide template rather than one channel's. */
    @JsonIgnore
    public boolean tenantWide() {
        return channelId == null;
    }

    /** The key of a tenant's template ({@code channelId} null) or of one of its channels'. */
    public static String storeKey(String tenantId, String channelId) {
        return tenantId + KEY_SEPARATOR + (channelId == null ? TENANT_WIDE : channelId);
    }

    /** The prefix of every key of one tenant's templates. */
    public static String keyPrefix(String tenantId) {
        return tenantId + KEY_SEPARATOR;
    }

    /** Length as people count it: in characters (code points), not UTF-16 units. */
    public static int length(String text) {
        return text.codePointCount(0, text.length());
    }

    /**
     * Why {@code text} cannot be a template, or null when it can: blank, or holding a control character other than
     * line feed and tab (named with its position, counted from 1, so the author can find it).
     */
    public static String textProblem(String text) {
        if (text == null || text.isBlank()) {
            return "the template text is empty";
        }
        int position = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            position++;
            if (Character.isISOControl(cp) && cp != '\n' && cp != '\t') {
                return String.format("the template text holds control character U+%04X at character %d; only line "
                        + "breaks and tabs are allowed", cp, position);
            }
            i += Character.charCount(cp);
        }
        return null;
    }

    private static void requireId(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
        if (value.contains(KEY_SEPARATOR)) {
            throw new IllegalArgumentException(name + " may not contain '" + KEY_SEPARATOR + "'");
        }
        if (value.codePoints().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(name + " may not contain control characters");
        }
    }
}
