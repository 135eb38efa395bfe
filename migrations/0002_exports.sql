-- exportd's own tables. Postgres is the queue of record: Redis only carries work.

CREATE TABLE exports (
    id                BIGSERIAL PRIMARY KEY,
    account_id        BIGINT NOT NULL,
    requested_by      BIGINT,
    kind              TEXT NOT NULL,
    format            TEXT NOT NULL CHECK (format IN ('xlsx', 'csv')),
    range_from        DATE NOT NULL,
    range_to          DATE NOT NULL,
    timezone          TEXT NOT NULL,
    options           JSONB NOT NULL DEFAULT '{}',
    notify            JSONB NOT NULL DEFAULT '{}',
    status            TEXT NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'expired')),
    progress          SMALLINT NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    attempts          INTEGER NOT NULL DEFAULT 0,
    error             TEXT,
    error_code        TEXT,
    -- lease: owner + expiry, renewed by heartbeat; lease_token is the fencing token
    lease_owner       TEXT,
    lease_expires_at  TIMESTAMPTZ,
    lease_token       BIGINT NOT NULL DEFAULT 0,
    -- dispatch bookkeeping: when the export was last handed to Redis, and when it may run
    dispatched_at     TIMESTAMPTZ,
    dispatch_task_id  TEXT,
    run_after         TIMESTAMPTZ NOT NULL DEFAULT now(),
    idempotency_key   TEXT,
    request_hash      TEXT,
    file_name         TEXT,
    file_key          TEXT,
    file_bytes        BIGINT,
    expires_at        TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at        TIMESTAMPTZ,
    finished_at       TIMESTAMPTZ,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (range_from <= range_to)
);
CREATE UNIQUE INDEX exports_idempotency_idx ON exports (account_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX exports_account_idx ON exports (account_id, id DESC);
CREATE INDEX exports_active_idx ON exports (status, run_after) WHERE status IN ('queued', 'running');

-- One row per (export, channel, recipient): sending marks it sent, a retry sends only
-- what is not yet sent.
CREATE TABLE notifications (
    id             BIGSERIAL PRIMARY KEY,
    export_id      BIGINT NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    account_id     BIGINT NOT NULL,
    user_id        BIGINT,
    channel        TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'in_app')),
    recipient      TEXT NOT NULL,
    event          TEXT NOT NULL CHECK (event IN ('succeeded', 'failed')),
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    dispatched_at  TIMESTAMPTZ,
    dispatch_task_id TEXT,
    run_after      TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at        TIMESTAMPTZ,
    read_at        TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (export_id, channel, recipient)
);
CREATE INDEX notifications_pending_idx ON notifications (run_after) WHERE status = 'pending';
CREATE INDEX notifications_feed_idx ON notifications (account_id, user_id, id DESC) WHERE channel = 'in_app';
