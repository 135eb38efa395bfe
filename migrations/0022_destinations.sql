-- Destinations: where an account's finished files go besides exportd's own bucket. Their
-- secrets are sealed with the operator's key (EXPORTD_ENCRYPTION_KEY) and never shown.
CREATE TABLE destinations (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('slack')),
    name        TEXT NOT NULL,
    -- What may be shown: for Slack, the webhook's host.
    settings    JSONB NOT NULL DEFAULT '{}',
    secret      BYTEA NOT NULL,
    key_id      TEXT NOT NULL,
    created_by  BIGINT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX destinations_account_idx ON destinations (account_id, id);

-- Exports and schedules name the destinations their file goes to; each delivery is a
-- notification row (channel 'slack', recipient 'destination:<id>'), exactly once, retried.
ALTER TABLE exports ADD COLUMN deliver BIGINT[] NOT NULL DEFAULT '{}';
ALTER TABLE schedules ADD COLUMN deliver BIGINT[] NOT NULL DEFAULT '{}';
ALTER TABLE notifications DROP CONSTRAINT notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check
    CHECK (channel IN ('email', 'webhook', 'in_app', 'slack'));
