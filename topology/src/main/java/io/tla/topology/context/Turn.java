package io.tla.topology.context;

import java.time.Instant;

/** One earlier message of a conversation, as context for the model: who wrote what, when. */
public record Turn(String messageId, String senderName, String text, Instant at) {
}
