package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;

/**
 * Tone templates: the free-text style guides tenants write ({@code tla tone set}), kept in {@code tla.tones.v1}
 * and sent to the model as quoted data beside the named tone of {@code translation.tone}.
 */
public record ToneConfig(int templateMaxChars) {

    public static final String TEMPLATE_MAX_CHARS = "tone.template-max-chars";
    public static final int DEFAULT_TEMPLATE_MAX_CHARS = 1000;
    /** Upper bound of {@link #TEMPLATE_MAX_CHARS}: a style guide, not a document, goes with every request. */
    public static final int TEMPLATE_MAX_CHARS_CEILING = 8000;

    public static final ConfigDef DEF = new ConfigDef()
            .define(TEMPLATE_MAX_CHARS, INT, DEFAULT_TEMPLATE_MAX_CHARS, Range.between(1, TEMPLATE_MAX_CHARS_CEILING),
                    MEDIUM, "Longest tone template (characters) a tenant may set with tla tone set; the template goes "
                            + "into every prompt of its tenant or channel, so it costs input tokens on each request. "
                            + "A longer template found on tla.tones.v1 (produced there directly) is not used: the "
                            + "topology counts it in tla_tone_templates_rejected_total, logs its key once, and "
                            + "translates as if it were not there (a channel's then falls back to the tenant's).");

    public static ToneConfig from(TlaConfig config) {
        return new ToneConfig((Integer) config.parse(DEF).get(TEMPLATE_MAX_CHARS));
    }
}
