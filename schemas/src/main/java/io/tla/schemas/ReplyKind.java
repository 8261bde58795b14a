package io.tla.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * What a reply event carries: a translation, a polite budget refusal, a failure notice, a polite refusal of a
 * message that waited too long for its tenant's rate limit, or a confirmation (the answer to a command sent to the
 * bot, such as {@code languages add fr}; not a translation and not charged).
 */
public enum ReplyKind {
    TRANSLATION("translation"),
    BUDGET_EXCEEDED("budget-exceeded"),
    FAILED("failed"),
    RATE_LIMITED("rate-limited"),
    CONFIRMATION("confirmation");

    private final String wireName;

    ReplyKind(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static ReplyKind fromWireName(String value) {
        for (ReplyKind kind : values()) {
            if (kind.wireName.equals(value)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown reply kind: " + value);
    }
}
