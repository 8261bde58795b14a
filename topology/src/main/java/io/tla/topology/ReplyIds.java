package io.tla.topology;

import io.tla.schemas.NormalizedMessage;
import io.tla.schemas.ReplyKind;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** Reply ids are deterministic per message and kind, so a re-processed message yields the same reply id. */
public final class ReplyIds {

    private ReplyIds() {
    }

    public static String of(NormalizedMessage message, ReplyKind kind) {
        return of(message.tenantId(), message.messageId(), kind);
    }

    public static String of(String tenantId, String messageId, ReplyKind kind) {
        return UUID.nameUUIDFromBytes((tenantId + "\n" + messageId + "\n" + kind.wireName())
                .getBytes(StandardCharsets.UTF_8)).toString();
    }
}
