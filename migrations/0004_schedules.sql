-- Monthly schedules. Each run is an export whose idempotency key is (schedule, period),
-- so any number of schedulers yield one export per period.
CREATE TABLE schedules (
    id            BIGSERIAL PRIMARY KEY,
    account_id    BIGINT NOT NULL,
    created_by    BIGINT,
    kind          TEXT NOT NULL,
    format        TEXT NOT NULL CHECK (format IN ('xlsx', 'csv')),
    day_of_month  SMALLINT NOT NULL CHECK (day_of_month BETWEEN 1 AND 28),
    hour          SMALLINT NOT NULL CHECK (hour BETWEEN 0 AND 23),
    timezone      TEXT NOT NULL,
    notify        JSONB NOT NULL DEFAULT '{}',
    options       JSONB NOT NULL DEFAULT '{}',
    enabled       BOOLEAN NOT NULL DEFAULT true,
    next_run_at   TIMESTAMPTZ NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX schedules_due_idx ON schedules (next_run_at) WHERE enabled;
CREATE INDEX schedules_account_idx ON schedules (account_id, id);

ALTER TABLE exports
    ADD COLUMN schedule_id BIGINT REFERENCES schedules (id) ON DELETE SET NULL,
    ADD COLUMN period TEXT;
CREATE UNIQUE INDEX exports_schedule_period_idx ON exports (schedule_id, period) WHERE schedule_id IS NOT NULL;
