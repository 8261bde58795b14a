-- /api/replies/failed reads the newest failed replies. Failures are rare, so without this index the query walks
-- the whole time index backwards (about 1 s at 1.2 million events on SQLite); a partial index holds only them.
-- Its WHERE is the query's WHERE, word for word: SQLite uses a partial index only when the query repeats it.
CREATE INDEX telemetry_event_failed_reply ON telemetry_event (at_ms)
    WHERE type = 'reply.failed' OR (type = 'reply.emitted' AND kind = 'failed');
