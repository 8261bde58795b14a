package io.tla.topology.language;

import java.util.Locale;

/**
 * The register translations are written in: a channel's ({@code tenant.ID.channel-tones}), else the tenant's
 * ({@code tenant.ID.tone}), else {@code translation.tone}.
 */
public enum Tone {
    POLITE, CASUAL, BUSINESS, TECHNICAL;

    /** The configuration's default, and what an unknown name falls back to. */
    public static final Tone DEFAULT = BUSINESS;

    /** The tone of a configured name ({@code polite}, {@code casual}, {@code business}, {@code technical}). */
    public static Tone of(String name) {
        if (name == null) {
            return DEFAULT;
        }
        for (Tone tone : values()) {
            if (tone.configName().equals(name.trim().toLowerCase(Locale.ROOT))) {
                return tone;
            }
        }
        return DEFAULT;
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
