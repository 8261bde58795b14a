-- Telemetry events of tla.telemetry.v1, one row per event id (a re-delivered event is ignored).
-- Portable between SQLite and PostgreSQL: TEXT, BIGINT and DOUBLE PRECISION only; times are epoch millis (UTC).
-- The attributes JSON is kept whole so later queries can use fields not extracted here; telemetry carries no
-- message text.
CREATE TABLE telemetry_event (
    event_id        TEXT             NOT NULL PRIMARY KEY,
    type            TEXT             NOT NULL,
    tenant_id       TEXT             NOT NULL,
    conversation_id TEXT,
    message_id      TEXT,
    at_ms           BIGINT           NOT NULL,
    decision        TEXT,
    kind            TEXT,
    provider        TEXT,
    outcome         TEXT,
    cost_usd        DOUBLE PRECISION,
    latency_ms      DOUBLE PRECISION,
    end_to_end_ms   DOUBLE PRECISION,
    input_tokens    BIGINT,
    output_tokens   BIGINT,
    attributes      TEXT             NOT NULL,
    stored_at_ms    BIGINT           NOT NULL
);

-- "today" and /api/metrics scan by time, per type, optionally per tenant.
CREATE INDEX telemetry_event_at ON telemetry_event (at_ms, type);
CREATE INDEX telemetry_event_tenant_at ON telemetry_event (tenant_id, at_ms);
