package io.tla.dashboard.store;

import java.time.Instant;
import java.util.List;

/**
 * The verification of the model's answers over the hours [from, to), of one tenant or (tenant null) of all:
 * per provider and model, most checked answers first, at most {@link DashboardStore#MAX_QUALITY_ROWS} rows
 * ({@code truncated} when there were more), and the totals over all of them.
 */
public record QualityReport(Instant from, Instant to, String tenant, List<QualityStats> models, QualityStats totals,
                            boolean truncated) {

    public QualityReport {
        models = List.copyOf(models);
    }
}
