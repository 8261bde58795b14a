package io.tla.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Where a Teams message was written; decides how the reply is addressed in Graph. */
public enum ConversationType {
    CHANNEL("channel"),
    GROUP_CHAT("groupChat"),
    PERSONAL("personal");

    private final String wireName;

    ConversationType(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static ConversationType fromWireName(String value) {
        for (ConversationType type : values()) {
            if (type.wireName.equals(value)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown conversation type: " + value);
    }
}
