package io.tla.topology.model;

import io.tla.topology.TranslationRequest;

/**
 * A request accepted by the model stage and not yet answered, as kept in {@code model-pending-store}: written in
 * the same transaction as the input offset, deleted in the same transaction as the reply. {@code timestamp} is
 * the input record's, so the reply carries it whenever it leaves.
 */
public record PendingCall(TranslationRequest request, long timestamp) {
}
