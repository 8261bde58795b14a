package io.tla.topology.budget;

import io.tla.topology.StageOutput;
import java.math.BigDecimal;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Settles reservations in the tenant's budget after the model stage: the reserved estimate is replaced by the
 * real usage, or released when no provider answered. Shares {@link BudgetGuard#TENANT_BUDGET_STORE} with the
 * guard; both run on records keyed by tenant, so they run in the same task.
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
        String key = BudgetGuard.storeKey(settlement.tenantId(), reservation.day());
        TenantSpend current = spend.get(key);
        if (current == null) {
            // the day's entry is gone (a settlement for a purged day): nothing to correct
            return;
        }
        BigDecimal actualCost = settlement.released() ? BigDecimal.ZERO : settlement.actual().costUsd();
        long actualTokens = settlement.released() ? 0 : settlement.actual().totalTokens();
        spend.put(key, current.settle(reservation, actualCost, actualTokens));
    }
}
