package io.tla.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What the Graph reply connector knows about posting one reply: the value of {@code tla.replies.ledger.v1}, keyed
 * by reply id, in the partition of the same number as the reply's. {@code posting} is written before the first
 * request for the reply and {@code posted} after Graph confirmed every part; a reply still {@code posting} when its
 * partition is next read may have been created in Teams, so its marker is looked for before any new post.
 */
public record ReplyLedgerEntry(String replyId, State state, Instant at, int parts, List<String> messageIds) {

    public enum State {
        POSTING, POSTED;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static State fromWireName(String value) {
            return valueOf(value.toUpperCase(Locale.ROOT));
        }
    }

    public ReplyLedgerEntry {
        Objects.requireNonNull(replyId, "replyId");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(at, "at");
        messageIds = messageIds == null ? List.of() : List.copyOf(messageIds);
    }
}
