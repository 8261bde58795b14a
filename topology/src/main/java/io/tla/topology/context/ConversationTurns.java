package io.tla.topology.context;

import java.util.ArrayList;
import java.util.List;

/** The most recent turns of one conversation, oldest first, at most {@code limit} of them. */
public record ConversationTurns(List<Turn> turns) {

    public static final ConversationTurns EMPTY = new ConversationTurns(List.of());

    public ConversationTurns {
        turns = List.copyOf(turns);
    }

    public ConversationTurns append(Turn turn, int limit) {
        List<Turn> next = new ArrayList<>(turns);
        next.removeIf(existing -> existing.messageId().equals(turn.messageId()));
        next.add(turn);
        int from = Math.max(0, next.size() - limit);
        return new ConversationTurns(next.subList(from, next.size()));
    }
}
