package io.tla.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.Objects;

/**
 * What is known about one team: the value of the compacted topic {@code tla.teams.directory.v1}, keyed by
 * {@link #teamId()} (the team's {@code 19:...@thread} id). Channel activities usually carry only that thread id,
 * while Graph addresses a team by its AAD group id; this entry links the two. {@code teamName} is known only from
 * a Bot Framework lookup; {@code tenantId} may be null when the mapping was learned without one.
 */
public record TeamDirectoryEntry(String teamId, String tenantId, String aadGroupId, String teamName, Source source,
                                 Instant resolvedAt) {

    /** Where the mapping came from. */
    public enum Source {
        /** A signed activity carrying both {@code channelData.team.id} and {@code channelData.team.aadGroupId}. */
        ACTIVITY("activity"),
        /** A webhook registration's {@code team-aad-group-id} together with the team id of one of its activities. */
        REGISTRATION("registration"),
        /** {@code GET {serviceUrl}/v3/teams/{teamId}} of the Bot Framework connector. */
        BOT_FRAMEWORK("bot-framework");

        private final String wireName;

        Source(String wireName) {
            this.wireName = wireName;
        }

        @JsonValue
        public String wireName() {
            return wireName;
        }

        @JsonCreator
        public static Source fromWireName(String value) {
            for (Source source : values()) {
                if (source.wireName.equals(value)) {
                    return source;
                }
            }
            throw new IllegalArgumentException("unknown team directory source: " + value);
        }
    }

    public TeamDirectoryEntry {
        Objects.requireNonNull(teamId, "teamId");
        Objects.requireNonNull(aadGroupId, "aadGroupId");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(resolvedAt, "resolvedAt");
    }
}
