package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;

/**
 * Timing of replies delivered inside Teams' 5-second outgoing-webhook window, for registrations with
 * {@code sync-reply}: how long the ingress waits for the reply, and how long reply connectors hold such a reply
 * past that deadline before posting it themselves (clock skew between hosts and the lag of following
 * {@code tla.replies.answered.v1}).
 */
public record SyncReplyConfig(Duration deadline, Duration handoffGrace) {

    public static final String DEADLINE_MS = "webhook.sync-reply.deadline-ms";
    public static final String HANDOFF_GRACE_MS = "webhook.sync-reply.handoff-grace-ms";

    /** Teams abandons an outgoing-webhook call after 5 s; the answer must be on its way before then. */
    public static final int MAX_DEADLINE_MS = 4_500;

    public static final ConfigDef DEF = new ConfigDef()
            .define(DEADLINE_MS, INT, 4_000, Range.between(200, MAX_DEADLINE_MS), MEDIUM,
                    "How long after receiving a message of a sync-reply registration the ingress waits for its reply "
                            + "before answering 202 and leaving the reply to the reply connector (Teams allows 5 s).")
            .define(HANDOFF_GRACE_MS, INT, 1_500, Range.between(0, 60_000), MEDIUM,
                    "How long past that deadline a reply connector holds a sync-reply reply that the ingress has not "
                            + "answered, before posting it itself; covers clock skew between hosts.");

    public static SyncReplyConfig from(TlaConfig config) {
        var v = config.parse(DEF);
        return new SyncReplyConfig(Duration.ofMillis((Integer) v.get(DEADLINE_MS)),
                Duration.ofMillis((Integer) v.get(HANDOFF_GRACE_MS)));
    }

    /** The defaults, for tests and tools that do not read a configuration. */
    public static SyncReplyConfig defaults() {
        return from(TlaConfig.of(Map.of()));
    }
}
