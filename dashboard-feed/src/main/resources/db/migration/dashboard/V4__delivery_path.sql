-- How each posted reply was delivered. Same SQL on SQLite and PostgreSQL (SQLite adds one column per statement,
-- and a NOT NULL column only with a default).
--
-- telemetry_event: the reply.posted attributes `sink` (webhook-response, outbox or graph; reply.failed names
-- the sink that failed) and `syncReply` (answered or missed, for replies to sync-reply registrations), extracted
-- like the other columns. Rows stored before this version are filled by V4.1.
ALTER TABLE telemetry_event ADD COLUMN sink TEXT;
ALTER TABLE telemetry_event ADD COLUMN sync_reply TEXT;

-- The rollups count new reply.posted events per path and, for sync-reply registrations, answered or missed
-- (see Rollups.delivery); V4.1 adds the posts stored before this version.
ALTER TABLE minute_rollup ADD COLUMN posted_webhook_response BIGINT NOT NULL DEFAULT 0;
ALTER TABLE minute_rollup ADD COLUMN posted_outbox BIGINT NOT NULL DEFAULT 0;
ALTER TABLE minute_rollup ADD COLUMN posted_graph BIGINT NOT NULL DEFAULT 0;
ALTER TABLE minute_rollup ADD COLUMN sync_answered BIGINT NOT NULL DEFAULT 0;
ALTER TABLE minute_rollup ADD COLUMN sync_missed BIGINT NOT NULL DEFAULT 0;

ALTER TABLE minute_rollup_all ADD COLUMN posted_webhook_response BIGINT NOT NULL DEFAULT 0;
ALTER TABLE minute_rollup_all ADD COLUMN posted_outbox BIGINT NOT NULL DEFAULT 0;
ALTER TABLE minute_rollup_all ADD COLUMN posted_graph BIGINT NOT NULL DEFAULT 0;
ALTER TABLE minute_rollup_all ADD COLUMN sync_answered BIGINT NOT NULL DEFAULT 0;
ALTER TABLE minute_rollup_all ADD COLUMN sync_missed BIGINT NOT NULL DEFAULT 0;
