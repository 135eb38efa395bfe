-- The platform's writes within 5 % of the contract tables alone (`exportd bench write-path`).
--
-- Measured with migration 0018's row triggers: a trigger costs a write even when its WHEN
-- clause lets nothing through, since Postgres prepares the clause for every statement that
-- could fire it (1.12–1.20× on single-row writes, with nothing marked), and a COPY of
-- settled rows queues one call per row (3.1×). A trigger on DELETE, TRUNCATE, or an UPDATE
-- OF columns the platform's normal writes do not set costs those writes nothing.
--
-- So inserts and updates are no longer watched by triggers: the builder reads them from the
-- WAL through a logical replication slot (publication `exportd_rollups`, only the ids,
-- accounts and instants of the source tables; worker/src/rollup/changes.rs), and marks the
-- days they touch in `rollup_dirty` before a report plans and on every pass. Triggers stay
-- where the WAL cannot say which day a write left: a row deleted (its old row is not in the
-- WAL), a table truncated, and an update that moves a row to another instant, account or
-- site, or gives a contact another owner.
--
-- Indexes that served one query each are gone from the platform's hottest tables: the
-- trigram index on every message body (the `text` filter of `sessions_detail` reads the
-- range's messages instead), each chat's steps (the `step` filter reads the range's steps
-- through their covering index), chats by agent (busy time sorts the range's chats), and
-- chats by contact (a contact given another owner is noted in `rollup_owner_changes`; the
-- builder, or a report about to read blocks, finds its conversations' days in one pass over
-- the account's chats).

DROP INDEX IF EXISTS messages_body_fold_trgm_idx;
DROP INDEX IF EXISTS steps_account_chat_idx;
DROP INDEX IF EXISTS chats_account_agent_idx;
DROP INDEX IF EXISTS chats_account_contact_idx;

-- Contacts whose owner changed (or that were added or removed with one), until the days of
-- their conversations are marked: one row per contact however many writes.
CREATE TABLE rollup_owner_changes (
    account_id  BIGINT NOT NULL,
    contact_id  BIGINT NOT NULL,
    PRIMARY KEY (account_id, contact_id)
);

CREATE OR REPLACE FUNCTION contacts_rollup_dirty() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    -- OLD is NULL on an insert and NEW on a delete.
    INSERT INTO rollup_owner_changes (account_id, contact_id)
    SELECT account_id, contact_id
      FROM (VALUES (OLD.account_id, OLD.id), (NEW.account_id, NEW.id)) AS c (account_id, contact_id)
     WHERE account_id IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$body$;

-- Inserts, and updates in place, are read from the WAL.
DO $migration$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['chats', 'calls', 'chat_events', 'offline_messages', 'bans',
                             'agent_presence', 'steps', 'messages', 'contacts'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %1$s_rollup_insert ON %1$I', t);
        EXECUTE format('DROP TRIGGER IF EXISTS %1$s_rollup_update ON %1$I', t);
    END LOOP;
END
$migration$;
DROP TRIGGER IF EXISTS chats_rollup_touch ON chats;
DROP FUNCTION IF EXISTS chats_rollup_touch();

-- An update that moves a row to another instant or account marks the old row's day (and
-- the new one's); the functions are migration 0018's.
DO $migration$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('calls', 'started_at'),
        ('chat_events', 'at'),
        ('offline_messages', 'created_at'),
        ('bans', 'created_at'),
        ('steps', 'entered_at'),
        ('messages', 'sent_at')
    ) AS v (tbl, at)
    LOOP
        EXECUTE format('CREATE TRIGGER %1$s_rollup_update AFTER UPDATE OF %2$I, account_id ON %1$I
                        FOR EACH ROW
                        WHEN (OLD.%2$I < now() - interval ''6 hours'' OR NEW.%2$I < now() - interval ''6 hours'')
                        EXECUTE FUNCTION %1$s_rollup_dirty()', t.tbl, t.at);
    END LOOP;
END
$migration$;

-- A chat moved to another start, account or site: its messages and steps belong to a site
-- through it, so every day it lasted is marked.
CREATE TRIGGER chats_rollup_update AFTER UPDATE OF started_at, site_id, account_id ON chats
    FOR EACH ROW
    WHEN (OLD.started_at < now() - interval '6 hours' OR NEW.started_at < now() - interval '6 hours')
    EXECUTE FUNCTION chats_rollup_dirty();

-- A presence interval given another agent, status, start or account, or an end moved
-- earlier than a settled instant (the WAL has the new end only, not the days between the
-- two). An interval closed now, the common update, is in the WAL.
CREATE TRIGGER agent_presence_rollup_update
    AFTER UPDATE OF account_id, agent_id, status, started_at, ended_at ON agent_presence FOR EACH ROW
    WHEN (((OLD.account_id, OLD.agent_id, OLD.status, OLD.started_at)
               IS DISTINCT FROM (NEW.account_id, NEW.agent_id, NEW.status, NEW.started_at)
           AND (OLD.started_at < now() - interval '6 hours' OR NEW.started_at < now() - interval '6 hours'))
          OR (coalesce(NEW.ended_at, 'infinity') < coalesce(OLD.ended_at, 'infinity')
              AND NEW.ended_at < now() - interval '6 hours'))
    EXECUTE FUNCTION agent_presence_rollup_dirty();

-- A contact given another owner: the WAL has the new owner, not the old one, and a
-- contact's other updates (a name, a phone) should not mark its conversations.
CREATE TRIGGER contacts_rollup_update AFTER UPDATE OF owner_id, id, account_id ON contacts
    FOR EACH ROW
    WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.id <> NEW.id OR OLD.account_id <> NEW.account_id)
    EXECUTE FUNCTION contacts_rollup_dirty();

-- What the builder reads from the WAL: the ids, accounts and instants of inserts and
-- updates, never a message's body. Creating a publication takes owning the tables: where
-- exportd's role does not, the platform's owner runs this statement (docs/operations.md),
-- and exportd runs without rollups until it exists.
DO $migration$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'exportd_rollups') THEN
        CREATE PUBLICATION exportd_rollups FOR TABLE
            chats (id, account_id, started_at),
            messages (id, account_id, sent_at),
            steps (id, account_id, entered_at),
            calls (id, account_id, started_at),
            chat_events (id, account_id, at),
            offline_messages (id, account_id, created_at),
            bans (id, account_id, created_at),
            agent_presence (id, account_id, started_at, ended_at),
            contacts (id, account_id, owner_id)
        WITH (publish = 'insert, update');
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'publication exportd_rollups not created (%): rollups stay off until it exists', SQLERRM;
END
$migration$;
