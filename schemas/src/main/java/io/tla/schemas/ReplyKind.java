package io.tla.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What a reply event carries: a translation, a polite budget refusal, or a failure notice. */
public enum ReplyKind {
    TRANSLATION("translation"),
    BUDGET_EXCEEDED("budget-exceeded"),
    FAILED("failed");

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
