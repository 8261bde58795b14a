package io.tla.dashboard.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills V5's hourly and daily rollups of a store upgraded in place from its minute rollups (not from the raw
 * events: those are purged after 30 days, the minutes are kept for 400). Runs once, in Flyway's transaction with
 * its history row. Each coarse row is the sum of its minutes, as the store's live writes keep it.
 */
final class V5_1__Backfill_hour_and_day_rollups extends BaseJavaMigration {

    private static final Logger log = LoggerFactory.getLogger(V5_1__Backfill_hour_and_day_rollups.class);

    @Override
    public void migrate(Context context) throws SQLException {
        Connection connection = context.getConnection();
        try (Statement statement = connection.createStatement()) {
            int hours = statement.executeUpdate(fill(Rollups.Grain.HOUR, Rollups.Grain.MINUTE, true));
            int hoursAll = statement.executeUpdate(fill(Rollups.Grain.HOUR, Rollups.Grain.MINUTE, false));
            // Days from the hours just written: 60 times fewer rows to read than the minutes.
            int days = statement.executeUpdate(fill(Rollups.Grain.DAY, Rollups.Grain.HOUR, true));
            log.info("event=dashboard_hour_day_rollups_backfilled hour_rows={} hour_all_rows={} day_rows={}", hours,
                    hoursAll, days);
        }
    }

    /**
     * {@code INSERT ... SELECT} summing the finer table's rows per coarser period. The period's start is integer
     * arithmetic on the epoch millis, the same on SQLite and PostgreSQL (the values are positive, so division
     * truncates as floor does). SUM skips NULL histogram buckets and is NULL when all are, as the upserts leave them.
     */
    static String fill(Rollups.Grain coarse, Rollups.Grain fine, boolean perTenant) {
        List<String> values = Rollups.VALUE_COLUMNS;
        String start = "(" + fine.column + " / " + coarse.ms + ") * " + coarse.ms;
        String sums = values.stream().map(c -> "SUM(" + c + ")").collect(Collectors.joining(", "));
        String columns = String.join(", ", values);
        if (perTenant) {
            return "INSERT INTO " + coarse.tenantTable + " (tenant_id, " + coarse.column + ", provider, " + columns
                    + ") SELECT tenant_id, " + start + ", provider, " + sums + " FROM " + fine.tenantTable
                    + " GROUP BY tenant_id, " + start + ", provider";
        }
        return "INSERT INTO " + coarse.allTable + " (" + coarse.column + ", provider, " + columns + ") SELECT "
                + start + ", provider, " + sums + " FROM " + fine.allTable + " GROUP BY " + start + ", provider";
    }
}
