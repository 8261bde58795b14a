package io.tla.topology.context;

import io.tla.schemas.Translation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The most recent turns of one conversation, oldest first, and when the conversation was last active (the
 * processing time of its newest message), by which idle conversations expire. The bounds that decide which turns
 * are kept and sent ({@link #newestWithin}) are the ones {@link ConversationStore} applies; the store keeps each
 * turn as a record of its own, and this value, once the whole stored conversation, is no longer written.
 */
public record ConversationTurns(List<Turn> turns, Instant lastActivity) {

    public static final ConversationTurns EMPTY = new ConversationTurns(List.of(), null);

    public ConversationTurns {
        turns = List.copyOf(turns);
    }

    /**
     * When the conversation was last active. Entries written before the time was stored fall back to their
     * newest turn's time, or to the epoch, so they expire rather than linger.
     */
    public Instant lastActiveAt() {
        if (lastActivity != null) {
            return lastActivity;
        }
        return turns.isEmpty() || turns.get(turns.size() - 1).at() == null ? Instant.EPOCH
                : turns.get(turns.size() - 1).at();
    }

    /**
     * Adds {@code turn} as the newest (replacing an earlier copy of the same message), then keeps the newest
     * turns within {@code turnLimit} and {@code maxTokens}; the new turn itself is always kept.
     */
    public ConversationTurns append(Turn turn, int turnLimit, long maxTokens, Instant now) {
        List<Turn> next = new ArrayList<>(turns);
        next.removeIf(existing -> existing.messageId().equals(turn.messageId()));
        List<Turn> kept = newestWithin(next, Math.max(0, turnLimit - 1), maxTokens - turn.estimatedTokens());
        List<Turn> all = new ArrayList<>(kept);
        all.add(turn);
        return new ConversationTurns(all, now);
    }

    /** The turns to send with a request for {@code messageId}: the newest others within both bounds, oldest first. */
    public List<Turn> contextFor(String messageId, int turnLimit, long maxTokens) {
        return newestWithin(turns.stream().filter(turn -> !turn.messageId().equals(messageId)).toList(),
                turnLimit, maxTokens);
    }

    /**
     * The context a request for {@code messageId} had when it was retrieved: the turns before it, within both
     * bounds, oldest first; empty when its turn is no longer kept (every kept turn is then newer than it).
     */
    public List<Turn> contextBefore(String messageId, int turnLimit, long maxTokens) {
        for (int i = 0; i < turns.size(); i++) {
            if (turns.get(i).messageId().equals(messageId)) {
                return newestWithin(turns.subList(0, i), turnLimit, maxTokens);
            }
        }
        return List.of();
    }

    /**
     * The same turns, with the model's answer (and the message's source language) recorded on the turn of
     * {@code messageId} if it is still kept.
     */
    public ConversationTurns withAnswer(String messageId, String sourceLanguage, List<Translation> translations) {
        List<Turn> next = turns.stream()
                .map(turn -> turn.messageId().equals(messageId) ? turn.withAnswer(sourceLanguage, translations) : turn)
                .toList();
        return new ConversationTurns(next, lastActivity);
    }

    public boolean contains(String messageId) {
        return turns.stream().anyMatch(turn -> turn.messageId().equals(messageId));
    }

    /**
     * The longest run of newest turns with at most {@code limit} turns and {@code maxTokens} estimated tokens,
     * oldest first. Stops at the first turn that does not fit: the context stays contiguous, so the model
     * never reads a reply without the message it answered.
     */
    static List<Turn> newestWithin(List<Turn> turns, int limit, long maxTokens) {
        int from = turns.size();
        long tokens = 0;
        while (from > 0 && turns.size() - from < limit) {
            long next = turns.get(from - 1).estimatedTokens();
            if (tokens + next > maxTokens) {
                break;
            }
            tokens += next;
            from--;
        }
        return List.copyOf(turns.subList(from, turns.size()));
    }
}
