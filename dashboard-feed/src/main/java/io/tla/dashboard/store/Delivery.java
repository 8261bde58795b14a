package io.tla.dashboard.store;

/**
 * How the posted replies of a range were delivered, from {@code reply.posted} events. By path:
 * webhookResponse (the ingress answered Teams' webhook call with the reply), outbox, graph. For replies to
 * sync-reply registrations: syncAnswered (in the webhook response) and syncMissed (the deadline passed, posted
 * later by the outbox or Graph).
 */
public record Delivery(long webhookResponse, long outbox, long graph, long syncAnswered, long syncMissed) {

    /**
     * The share of sync-reply replies answered inside Teams' window, rounded to 4 decimals; null when there was
     * none.
     */
    public Double answeredShare() {
        long syncReplies = syncAnswered + syncMissed;
        if (syncReplies == 0) {
            return null;
        }
        return Math.round(syncAnswered * 10_000d / syncReplies) / 10_000d;
    }
}
