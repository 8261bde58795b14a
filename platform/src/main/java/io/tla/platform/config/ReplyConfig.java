package io.tla.platform.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import java.time.Duration;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.ValidString;

/**
 * Where reply events are delivered by the replies role. {@code syncReplyGrace} is how long past a sync-reply
 * reply's deadline the connector waits for the ingress's answer before posting it ({@link SyncReplyConfig}).
 */
public record ReplyConfig(String sink, String consumerGroup, Duration syncReplyGrace) {

    public ReplyConfig(String sink, String consumerGroup) {
        this(sink, consumerGroup, SyncReplyConfig.defaults().handoffGrace());
    }

    public static final String SINK = "reply.sink";
    public static final String CONSUMER_GROUP = "reply.consumer-group";

    public static final ConfigDef DEF = new ConfigDef()
            .define(SINK, STRING, "outbox", ValidString.in("outbox", "graph"), HIGH,
                    "outbox: JSON lines under data.dir/outbox/; graph: post to Microsoft Teams through Graph.")
            .define(CONSUMER_GROUP, STRING, "tla-replies", new ConfigDef.NonEmptyString(), HIGH,
                    "Consumer group of the replies role; instances sharing it split the partitions.");

    public static ReplyConfig from(TlaConfig config) {
        var v = config.parse(DEF);
        return new ReplyConfig((String) v.get(SINK), (String) v.get(CONSUMER_GROUP),
                SyncReplyConfig.from(config).handoffGrace());
    }
}
