-- Each account signs its webhooks with a secret of its own (Standard Webhooks, `whsec_…`),
-- shown once when made and rotatable. After a rotation the previous secret also signs
-- deliveries for a day, so receivers can switch without missing one.
CREATE TABLE webhook_secrets (
    account_id      BIGINT PRIMARY KEY,
    secret          TEXT NOT NULL,
    previous_secret TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    rotated_at      TIMESTAMPTZ
);
