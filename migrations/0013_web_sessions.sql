-- Sign-in sessions of the admin web page. Only the sha256 of a session's cookie is stored;
-- each session has its own CSRF token, which every state-changing request made with the
-- cookie must echo in `X-CSRF-Token`.
CREATE TABLE web_sessions (
    id_sha256   BYTEA PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    csrf_token  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);

-- The nonces of one-time sign-in links already used, kept until the link would expire.
CREATE TABLE web_handovers_used (
    nonce       TEXT PRIMARY KEY,
    expires_at  TIMESTAMPTZ NOT NULL
);
