-- Verification of the model's answers, per provider and model. Same SQL on SQLite and PostgreSQL: TEXT and
-- BIGINT only; times are epoch millis (UTC).
--
-- model_quality_rollup: per tenant, UTC hour (hour_ms), provider and model ('' when not known) what the
-- model.call events' `attempts` and `verification` attributes say (docs/api.md, GET /api/quality):
--   answers          checked provider answers (attempts)
--   passed           of those, answers no check found a problem in
--   wrong_language, unchanged, glossary_miss, malformed
--                    answers with that problem (an answer may have several)
--   retried, fell_back, kept_unverified
--                    answers after which the same provider was asked again, the next provider was asked, or
--                    which were sent marked unverified
--   verified, unverified, not_checked
--                    messages whose final answer had that status, under the provider and model that gave it
-- The store adds each new model.call event in the transaction that stores it (a re-delivered event id adds
-- nothing); V6.1 adds the model.call events stored before this version.
CREATE TABLE model_quality_rollup (
    tenant_id       TEXT   NOT NULL,
    hour_ms         BIGINT NOT NULL,
    provider        TEXT   NOT NULL,
    model           TEXT   NOT NULL,
    answers         BIGINT NOT NULL DEFAULT 0,
    passed          BIGINT NOT NULL DEFAULT 0,
    wrong_language  BIGINT NOT NULL DEFAULT 0,
    unchanged       BIGINT NOT NULL DEFAULT 0,
    glossary_miss   BIGINT NOT NULL DEFAULT 0,
    malformed       BIGINT NOT NULL DEFAULT 0,
    retried         BIGINT NOT NULL DEFAULT 0,
    fell_back       BIGINT NOT NULL DEFAULT 0,
    kept_unverified BIGINT NOT NULL DEFAULT 0,
    verified        BIGINT NOT NULL DEFAULT 0,
    unverified      BIGINT NOT NULL DEFAULT 0,
    not_checked     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, hour_ms, provider, model)
);

-- Retention deletes by hour.
CREATE INDEX model_quality_rollup_hour ON model_quality_rollup (hour_ms);

-- The same counters over all tenants: the all-tenants view of 30 days reads 720 hours × models rows.
CREATE TABLE model_quality_rollup_all (
    hour_ms         BIGINT NOT NULL,
    provider        TEXT   NOT NULL,
    model           TEXT   NOT NULL,
    answers         BIGINT NOT NULL DEFAULT 0,
    passed          BIGINT NOT NULL DEFAULT 0,
    wrong_language  BIGINT NOT NULL DEFAULT 0,
    unchanged       BIGINT NOT NULL DEFAULT 0,
    glossary_miss   BIGINT NOT NULL DEFAULT 0,
    malformed       BIGINT NOT NULL DEFAULT 0,
    retried         BIGINT NOT NULL DEFAULT 0,
    fell_back       BIGINT NOT NULL DEFAULT 0,
    kept_unverified BIGINT NOT NULL DEFAULT 0,
    verified        BIGINT NOT NULL DEFAULT 0,
    unverified      BIGINT NOT NULL DEFAULT 0,
    not_checked     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (hour_ms, provider, model)
);
