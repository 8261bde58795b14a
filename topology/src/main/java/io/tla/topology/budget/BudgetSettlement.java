package io.tla.topology.budget;

import io.tla.schemas.Usage;

/**
 * What a reservation came to once the model stage finished with a message: the real usage (the reservation is
 * replaced by it) or, when no provider answered, nothing (the reservation is released). Passed from the model
 * stage to {@code budget-settle} within the tenant's task, in the transaction of the reply.
 */
public record BudgetSettlement(String tenantId, String messageId, BudgetReservation reservation, Usage actual) {

    public static BudgetSettlement release(String tenantId, String messageId, BudgetReservation reservation) {
        return new BudgetSettlement(tenantId, messageId, reservation, null);
    }

    public boolean released() {
        return actual == null;
    }
}
