package io.tla.dashboard.store;

import com.fasterxml.jackson.core.type.TypeReference;
import io.tla.schemas.Json;
import io.tla.schemas.TelemetryEvent;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds the events stored before V2 to the rollups and the audit trail, so a store upgraded in place shows its
 * history. Runs once, in Flyway's transaction with its history row: it either completes or leaves nothing.
 * It writes the rollups as V2 created them: the delivery counters V4 adds are backfilled by V4.1.
 */
final class V3__Backfill_rollups_and_audit extends BaseJavaMigration {

    private static final Logger log = LoggerFactory.getLogger(V3__Backfill_rollups_and_audit.class);
    private static final int CHUNK = 50_000;
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    @Override
    public void migrate(Context context) throws SQLException {
        Connection connection = context.getConnection();
        long events = 0;
        Rollups.Batch batch = Rollups.Batch.v2Schema();
        List<StoredEvent> audited = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement("SELECT event_id, type, tenant_id, "
                + "conversation_id, message_id, at_ms, attributes FROM telemetry_event")) {
            statement.setFetchSize(1_000);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    StoredEvent event = StoredEvent.from(new TelemetryEvent(rs.getString(1), rs.getString(2),
                            rs.getString(3), rs.getString(4), rs.getString(5), Instant.ofEpochMilli(rs.getLong(6)),
                            attributes(rs.getString(7))));
                    batch.add(event);
                    if (event.audit() != null) {
                        audited.add(event);
                    }
                    if (++events % CHUNK == 0) {
                        // Upserts add, so writing in chunks gives the same rows as one write.
                        batch.write(connection);
                        DashboardStore.writeAudit(connection, audited);
                        batch = Rollups.Batch.v2Schema();
                        audited.clear();
                    }
                }
            }
        }
        batch.write(connection);
        DashboardStore.writeAudit(connection, audited);
        log.info("event=dashboard_rollups_backfilled events={}", events);
    }

    static Map<String, Object> attributes(String json) {
        try {
            return Json.mapper().readValue(json, MAP);
        } catch (IOException e) {
            // Stored by this store from valid JSON; an unreadable row still counts by its type.
            return Map.of();
        }
    }
}
