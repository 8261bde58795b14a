package io.tla.dashboard.store;

import io.tla.schemas.TelemetryEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds the {@code model.call} events stored before V6 to the verification rollups: a pipeline that verified
 * answers before this store knew how to count them left {@code attempts} and {@code verification} in the raw
 * attributes. Runs once, in Flyway's transaction with its history row; events already past the raw retention
 * are not counted.
 */
final class V6_1__Backfill_model_quality extends BaseJavaMigration {

    private static final Logger log = LoggerFactory.getLogger(V6_1__Backfill_model_quality.class);
    private static final int CHUNK = 10_000;

    @Override
    public void migrate(Context context) throws SQLException {
        Connection connection = context.getConnection();
        long calls = 0;
        long counted = 0;
        String after = "";
        while (true) {
            // Read a chunk whole, by primary key, before writing: no cursor stays open while rows are written.
            List<StoredEvent> chunk = new ArrayList<>();
            try (PreparedStatement statement = connection.prepareStatement("SELECT event_id, type, tenant_id, "
                    + "conversation_id, message_id, at_ms, attributes FROM telemetry_event "
                    + "WHERE type = ? AND event_id > ? ORDER BY event_id LIMIT " + CHUNK)) {
                statement.setString(1, DashboardStore.MODEL_CALL);
                statement.setString(2, after);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        chunk.add(StoredEvent.from(new TelemetryEvent(rs.getString(1), rs.getString(2),
                                rs.getString(3), rs.getString(4), rs.getString(5),
                                Instant.ofEpochMilli(rs.getLong(6)),
                                V3__Backfill_rollups_and_audit.attributes(rs.getString(7)))));
                    }
                }
            }
            if (chunk.isEmpty()) {
                break;
            }
            QualityRollups.Batch batch = new QualityRollups.Batch();
            for (StoredEvent event : chunk) {
                batch.add(event);
                if (event.quality() != null) {
                    counted++;
                }
            }
            // Upserts add, so writing in chunks gives the same rows as one write.
            batch.write(connection);
            calls += chunk.size();
            after = chunk.get(chunk.size() - 1).eventId();
        }
        log.info("event=dashboard_model_quality_backfilled model_calls={} with_verification={}", calls, counted);
    }
}
