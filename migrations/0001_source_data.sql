-- The platform's source data. Table and column names are a contract shared with other
-- tools: keep them exactly. Ids are BIGINT given by the writer (a default sequence is
-- offered); every column a writer may not know is nullable or has a default.

CREATE TABLE accounts (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    plan        TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'base', 'pro', 'vip')),
    timezone    TEXT NOT NULL DEFAULT 'UTC',
    locale      TEXT NOT NULL DEFAULT 'es' CHECK (locale IN ('es', 'en', 'pt')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    email       TEXT,
    name        TEXT,
    role        TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('admin', 'agent')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX users_account_idx ON users (account_id);

CREATE TABLE api_tokens (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL,
    token_sha256  BYTEA NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at    TIMESTAMPTZ
);

CREATE TABLE sites (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    channel     TEXT NOT NULL DEFAULT 'webchat'
                CHECK (channel IN ('webchat', 'whatsapp', 'facebook', 'instagram', 'telegram', 'phone', 'email')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sites_account_idx ON sites (account_id);

CREATE TABLE contacts (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    name        TEXT,
    phone       TEXT,
    owner_id    BIGINT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX contacts_account_idx ON contacts (account_id);

CREATE TABLE chats (
    id                   BIGSERIAL PRIMARY KEY,
    account_id           BIGINT NOT NULL,
    site_id              BIGINT,
    contact_id           BIGINT,
    started_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    panel_at             TIMESTAMPTZ,
    accepted_at          TIMESTAMPTZ,
    accepted_by          BIGINT,
    first_client_msg_at  TIMESTAMPTZ,
    first_agent_msg_at   TIMESTAMPTZ,
    first_bot_msg_at     TIMESTAMPTZ,
    last_msg_at          TIMESTAMPTZ,
    closed_at            TIMESTAMPTZ,
    missed               BOOLEAN NOT NULL DEFAULT false,
    rating               SMALLINT CHECK (rating IN (-1, 1)),
    reason               TEXT,
    comment              TEXT,
    fields               JSONB NOT NULL DEFAULT '{}',
    msgs_in              INTEGER NOT NULL DEFAULT 0,
    msgs_out             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX chats_account_started_idx ON chats (account_id, started_at);

CREATE TABLE chat_events (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    chat_id     BIGINT,
    agent_id    BIGINT,
    kind        TEXT NOT NULL CHECK (kind IN ('rejected', 'transferred')),
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX chat_events_account_at_idx ON chat_events (account_id, at);

CREATE TABLE messages (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    chat_id     BIGINT,
    sender      TEXT NOT NULL CHECK (sender IN ('client', 'agent', 'bot')),
    agent_id    BIGINT,
    sent_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    body        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX messages_account_chat_idx ON messages (account_id, chat_id);

CREATE TABLE calls (
    id           BIGSERIAL PRIMARY KEY,
    account_id   BIGINT NOT NULL,
    site_id      BIGINT,
    agent_id     BIGINT,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    answered_at  TIMESTAMPTZ,
    ended_at     TIMESTAMPTZ
);
CREATE INDEX calls_account_started_idx ON calls (account_id, started_at);

CREATE TABLE offline_messages (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    site_id     BIGINT,
    agent_id    BIGINT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    body        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX offline_messages_account_created_idx ON offline_messages (account_id, created_at);

CREATE TABLE agent_presence (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    agent_id    BIGINT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('online', 'away')),
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at    TIMESTAMPTZ
);
CREATE INDEX agent_presence_account_started_idx ON agent_presence (account_id, started_at, ended_at);

CREATE TABLE bans (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    site_id     BIGINT,
    agent_id    BIGINT,
    contact_id  BIGINT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX bans_account_created_idx ON bans (account_id, created_at);

CREATE TABLE steps (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    chat_id     BIGINT,
    step        TEXT NOT NULL DEFAULT '',
    entered_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    left_at     TIMESTAMPTZ
);
CREATE INDEX steps_account_entered_idx ON steps (account_id, entered_at);

CREATE TABLE outbound_messages (
    id              BIGSERIAL PRIMARY KEY,
    account_id      BIGINT NOT NULL,
    site_id         BIGINT,
    contact_id      BIGINT,
    template        TEXT,
    body            TEXT NOT NULL DEFAULT '',
    queued          BOOLEAN NOT NULL DEFAULT false,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'delivered', 'read', 'failed')),
    channel_status  TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    status_at       TIMESTAMPTZ
);
CREATE INDEX outbound_messages_account_created_idx ON outbound_messages (account_id, created_at);
