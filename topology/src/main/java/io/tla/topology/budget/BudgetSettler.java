package io.tla.topology.budget;

import io.tla.topology.StageOutput;
import java.math.BigDecimal;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Settles reservations in the tenant's budget after the model stage: in the day and the month the reservation was
 * booked on (not today's: a settlement may arrive after midnight), the reserved cost and tokens are replaced by the
 * real usage, or released when no provider answered. Spend never goes below zero. Thresholds already reported stay
 * reported for the period, even if settling lowers spend below them. Shares {@link BudgetGuard#TENANT_BUDGET_STORE}
 * with the guard, so both run in the task that owns the tenant, and a settlement commits with the reply it settles.
 */
public final class BudgetSettler implements Processor<String, BudgetSettlement, String, StageOutput> {

    public static final String NAME = "budget-settle";

    private KeyValueStore<String, TenantSpend> spend;

    @Override
    public void init(ProcessorContext<String, StageOutput> context) {
        this.spend = context.getStateStore(BudgetGuard.TENANT_BUDGET_STORE);
    }

    @Override
    public void process(Record<String, BudgetSettlement> record) {
        BudgetSettlement settlement = record.value();
        BudgetReservation reservation = settlement.reservation();
        BigDecimal actualCost = settlement.released() ? BigDecimal.ZERO : settlement.actual().costUsd();
        long actualTokens = settlement.released() ? 0 : settlement.actual().totalTokens();
        settle(BudgetGuard.storeKey(settlement.tenantId(), reservation.day()), reservation, actualCost, actualTokens);
        settle(BudgetGuard.storeKey(settlement.tenantId(), reservation.month()), reservation, actualCost, actualTokens);
    }

    private void settle(String key, BudgetReservation reservation, BigDecimal actualCost, long actualTokens) {
        TenantSpend current = spend.get(key);
        if (current == null) {
            // the period's record is gone (purged long after its end): nothing left to correct
            return;
        }
        spend.put(key, current.settle(reservation, actualCost, actualTokens));
    }
}
