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
 * Fills V4's delivery columns for the {@code reply.posted} events stored before it: their {@code sink} and
 * {@code sync_reply}, and their delivery counters in the rollups (their other counters are there already).
 * Runs once, in Flyway's transaction with its history row.
 */
final class V4_1__Backfill_delivery_path extends BaseJavaMigration {

    private static final Logger log = LoggerFactory.getLogger(V4_1__Backfill_delivery_path.class);
    private static final int CHUNK = 10_000;

    @Override
    public void migrate(Context context) throws SQLException {
        Connection connection = context.getConnection();
        long posts = 0;
        String after = "";
        while (true) {
            // Read a chunk whole, by primary key, before updating its rows: no cursor stays open over a table
            // being written (SQLite would not promise what such a cursor sees).
            List<StoredEvent> chunk = new ArrayList<>();
            try (PreparedStatement statement = connection.prepareStatement("SELECT event_id, type, tenant_id, "
                    + "conversation_id, message_id, at_ms, attributes FROM telemetry_event "
                    + "WHERE type = ? AND event_id > ? ORDER BY event_id LIMIT " + CHUNK)) {
                statement.setString(1, DashboardStore.REPLY_POSTED);
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
            // Only the minute rollups exist at this version; V5.1 derives the hours and days from them.
            Rollups.Batch batch = Rollups.Batch.v4Schema();
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE telemetry_event SET sink = ?, sync_reply = ? WHERE event_id = ?")) {
                for (StoredEvent event : chunk) {
                    batch.addDelivery(event);
                    update.setString(1, event.sink());
                    update.setString(2, event.syncReply());
                    update.setString(3, event.eventId());
                    update.addBatch();
                }
                update.executeBatch();
            }
            // Upserts add, so writing in chunks gives the same rows as one write.
            batch.write(connection);
            posts += chunk.size();
            after = chunk.get(chunk.size() - 1).eventId();
        }
        log.info("event=dashboard_delivery_backfilled posts={}", posts);
    }
}
