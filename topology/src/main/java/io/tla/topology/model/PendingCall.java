package io.tla.topology.model;

import io.tla.topology.TranslationRequest;
import java.util.List;

/**
 * A request accepted by the model stage and not yet answered, as kept in {@code model-pending-store}: written in
 * the same transaction as the input offset, deleted in the same transaction as the reply. {@code timestamp} is
 * the input record's, so the reply carries it whenever it leaves; {@code replayAttempt} is its
 * {@code tla.replay.attempt} header (0 when it was not replayed), which its dead-letter record keeps.
 */
public record PendingCall(TranslationRequest request, long timestamp, int replayAttempt) {

    /** A request read for the first time (not replayed from a dead-letter topic). */
    public PendingCall(TranslationRequest request, long timestamp) {
        this(request, timestamp, 0);
    }

    /**
     * What the store keeps: the request without its context turns, which are most of its size and already are
     * in {@code conversation-turns-store}; {@code ModelCall} reads them back from there after a restart.
     */
    public PendingCall withoutContext() {
        return request.context().isEmpty() ? this
                : new PendingCall(request.withContext(List.of()), timestamp, replayAttempt);
    }
}
