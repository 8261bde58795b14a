package io.tla.topology.errors;

import io.tla.schemas.NormalizedMessage;
import java.time.Instant;

/**
 * A message a stage gave up on without an exception reaching Kafka Streams (every model provider failed), to be
 * written to {@code teams.messages.dlq.v1} with {@code tla.error.*} headers like the records
 * {@link DeadLetterHandler} writes, so the replay tool treats both alike.
 *
 * @param errorClass  what failed, e.g. the provider exception's class
 * @param message     a description without secrets or message text
 * @param reason      the machine-readable cause, e.g. {@code http-503}; may be null
 * @param topic       the input topic, partition and offset the message was read from
 * @param replayAttempt how often replay re-published the message before (its {@code tla.replay.attempt}), 0 if never
 */
public record DeadLetter(NormalizedMessage message, String stage, String errorClass, String errorMessage,
                         String reason, String topic, int partition, long offset, int replayAttempt, Instant at) {
}
