package io.tla.dashboard.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.tla.schemas.Json;
import io.tla.schemas.Topics;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * {@code GET /api/replies/failed}: the newest replies that did not reach their conversation, each with the
 * {@code ./tla replay} command that re-publishes it from its dead-letter topic.
 *
 * <ul>
 *   <li>{@code reply.failed} (stage {@code graph-sink}): the Graph connector gave up and dead-lettered the reply
 *       to {@code teams.replies.dlq.v1} with {@code tla.error.reason} = the event's {@code reason}.</li>
 *   <li>{@code reply.emitted} with {@code kind} = {@code failed} (stage {@code topology}): no model answered; the
 *       message went to {@code teams.messages.dlq.v1} with the reason the same message's {@code model.call} event
 *       carries as {@code error}. A refusal by the personal-data policy is also a failed reply, but nothing was
 *       dead-lettered: its reason is {@code pii-refused} and it has no replay command.</li>
 * </ul>
 */
public final class FailedRepliesQuery {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;

    static final String STAGE_GRAPH_SINK = "graph-sink";
    static final String STAGE_TOPOLOGY = "topology";
    static final String PII_REFUSED = "pii-refused";

    /** Its WHERE must stay word for word that of the partial index telemetry_event_failed_reply (V2_1). */
    static final String FAILED = "SELECT type, tenant_id, conversation_id, message_id, at_ms, attributes "
            + "FROM telemetry_event WHERE type = 'reply.failed' OR (type = 'reply.emitted' AND kind = 'failed') "
            + "ORDER BY at_ms DESC, event_id DESC LIMIT ?";

    /**
     * What the topology recorded about the same message: its failed model call, or its refusal for personal data.
     * They are emitted with the reply (same instant); the window allows for producers that stamp them earlier.
     */
    private static final String CAUSE = "SELECT type, attributes FROM telemetry_event "
            + "WHERE tenant_id = ? AND at_ms >= ? AND at_ms <= ? AND message_id = ? "
            + "AND type IN ('model.call', 'pii.detected') ORDER BY at_ms DESC";
    private static final long CAUSE_WINDOW_MS = 60_000;

    /** Values that a POSIX shell takes as one word without quoting. */
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9._:@%+=,/-]+");

    public record FailedReply(Instant at, String tenantId, String conversationId, String messageId, String replyId,
                              String stage, String reason, Integer status, String code, Integer attempts,
                              String replayCommand) {
    }

    private FailedRepliesQuery() {
    }

    /** The newest {@code limit} failed replies, newest first. */
    public static List<FailedReply> run(DataSource reader, int limit) throws SQLException {
        List<FailedReply> result = new ArrayList<>();
        try (Connection connection = reader.getConnection()) {
            try (PreparedStatement statement = connection.prepareStatement(FAILED)) {
                statement.setInt(1, limit);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        String type = rs.getString(1);
                        String tenant = rs.getString(2);
                        String conversation = rs.getString(3);
                        String message = rs.getString(4);
                        long at = rs.getLong(5);
                        JsonNode attributes = parse(rs.getString(6));
                        if ("reply.failed".equals(type)) {
                            String reason = text(attributes, "reason");
                            result.add(new FailedReply(Instant.ofEpochMilli(at), tenant, conversation, message,
                                    text(attributes, "replyId"), STAGE_GRAPH_SINK, reason, integer(attributes, "status"),
                                    text(attributes, "code"), integer(attributes, "attempts"),
                                    replayCommand(Topics.REPLIES_DLQ.name(), tenant, reason)));
                        } else {
                            result.add(new FailedReply(Instant.ofEpochMilli(at), tenant, conversation, message,
                                    text(attributes, "replyId"), STAGE_TOPOLOGY, null, null, null, null, null));
                        }
                    }
                }
            }
            for (int i = 0; i < result.size(); i++) {
                FailedReply r = result.get(i);
                if (STAGE_TOPOLOGY.equals(r.stage())) {
                    result.set(i, withCause(connection, r));
                }
            }
        }
        return List.copyOf(result);
    }

    private static FailedReply withCause(Connection connection, FailedReply r) throws SQLException {
        String reason = null;
        boolean refused = false;
        if (r.messageId() != null) {
            try (PreparedStatement statement = connection.prepareStatement(CAUSE)) {
                long at = r.at().toEpochMilli();
                statement.setString(1, r.tenantId());
                statement.setLong(2, at - CAUSE_WINDOW_MS);
                statement.setLong(3, at);
                statement.setString(4, r.messageId());
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next() && reason == null && !refused) {
                        JsonNode attributes = parse(rs.getString(2));
                        if ("model.call".equals(rs.getString(1))) {
                            reason = text(attributes, "error");
                        } else {
                            refused = "refused".equals(text(attributes, "action"));
                        }
                    }
                }
            }
        }
        if (refused) {
            return new FailedReply(r.at(), r.tenantId(), r.conversationId(), r.messageId(), r.replyId(), r.stage(),
                    PII_REFUSED, null, null, null, null);
        }
        return new FailedReply(r.at(), r.tenantId(), r.conversationId(), r.messageId(), r.replyId(), r.stage(),
                reason, null, null, null, replayCommand(Topics.MESSAGES_DLQ.name(), r.tenantId(), reason));
    }

    /** {@code ./tla replay --from DLQ --tenant T --error REASON}; without {@code --error} when the reason is unknown. */
    static String replayCommand(String dlq, String tenant, String reason) {
        StringBuilder command = new StringBuilder("./tla replay --from ").append(dlq);
        command.append(" --tenant ").append(shellWord(tenant));
        if (reason != null && !reason.isBlank()) {
            command.append(" --error ").append(shellWord(reason));
        }
        return command.toString();
    }

    /** Quoted only when needed, so the usual GUIDs and reasons read as the contract shows them. */
    static String shellWord(String value) {
        if (SHELL_SAFE.matcher(value).matches()) {
            return value;
        }
        return "'" + value.replace("'", "'\\''") + "'";
    }

    private static JsonNode parse(String json) {
        try {
            return json == null ? MissingNode.getInstance() : Json.mapper().readTree(json);
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }

    private static String text(JsonNode attributes, String field) {
        JsonNode value = attributes.get(field);
        return value != null && value.isTextual() && !value.asText().isBlank() ? value.asText() : null;
    }

    /** An integer attribute, written as a number or as digits (reply.posted writes its status as text). */
    private static Integer integer(JsonNode attributes, String field) {
        JsonNode value = attributes.get(field);
        if (value == null) {
            return null;
        }
        if (value.isIntegralNumber() && value.canConvertToInt()) {
            return value.intValue();
        }
        if (value.isTextual() && value.asText().matches("-?\\d{1,9}")) {
            return Integer.parseInt(value.asText());
        }
        return null;
    }

    /** The JSON of one failed reply, field by field as documented in docs/api.md. */
    static Map<String, Object> json(FailedReply r) {
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("at", r.at().toString());
        reply.put("tenantId", r.tenantId());
        reply.put("conversationId", r.conversationId());
        reply.put("messageId", r.messageId());
        reply.put("replyId", r.replyId());
        reply.put("stage", r.stage());
        reply.put("reason", r.reason());
        reply.put("status", r.status());
        reply.put("code", r.code());
        reply.put("attempts", r.attempts());
        reply.put("replayCommand", r.replayCommand());
        return reply;
    }
}
