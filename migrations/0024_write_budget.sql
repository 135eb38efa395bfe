-- The platform's writes within 5 % of the contract tables alone (`exportd bench write-path`).
--
-- 1. A conversation still open is not watched by a trigger. The platform updates a chat on
--    every message (`last_msg_at`, `msgs_in`), and a WhatsApp conversation stays open for
--    days: migration 0018 marked the chat's day on each of those writes. Now the builder
--    keeps, beside each day it builds, the chats of that day not yet settled (open, or
--    closed within `rollup_settle()`) with the row version it read (`xmin`); a report, and
--    every builder pass, compares them with the chats' current versions and marks the days
--    whose chats changed. Only a chat closed before the settle is watched by its trigger,
--    and the platform does not write to those in its normal course.
-- 2. A backfill (a `COPY` of settled rows) calls the marking function once per day of a
--    transaction, not once per row: the insert triggers' WHEN clause skips a row whose day
--    the transaction has already marked (`exportd.dirty`, set by `rollup_dirty_day`).
-- 3. Indexes on the platform's hottest tables that served one query each are gone: the
--    trigram index on every message body (the `text` filter of `sessions_detail` scans the
--    range's messages instead), each chat's steps (the `step` filter reads the range's
--    steps through their covering index), and chats by agent (busy time sorts the range's
--    chats).

DROP INDEX IF EXISTS messages_body_fold_trgm_idx;
DROP INDEX IF EXISTS steps_account_chat_idx;
DROP INDEX IF EXISTS chats_account_agent_idx;

-- The chats of a built day that were not settled when it was built, and the row version
-- read (`xmin` as a number). A day is stale once one of them has another version or is gone.
CREATE TABLE rollup_open_chats (
    series_id   INTEGER NOT NULL,
    account_id  BIGINT NOT NULL,
    chat_id     BIGINT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    row_xmin    BIGINT NOT NULL,
    PRIMARY KEY (series_id, chat_id)
);
CREATE INDEX rollup_open_chats_started_idx ON rollup_open_chats (series_id, started_at);

-- A settled chat's update marks its day only once the chat has been closed for longer than
-- the settle: an open one is the builder's to compare.
DROP TRIGGER chats_rollup_touch ON chats;
CREATE TRIGGER chats_rollup_touch AFTER UPDATE ON chats FOR EACH ROW
    WHEN (OLD.closed_at < now() - interval '6 hours'
          AND (OLD.started_at, OLD.site_id, OLD.account_id)
              IS NOT DISTINCT FROM (NEW.started_at, NEW.site_id, NEW.account_id)
          AND OLD IS DISTINCT FROM NEW
          AND current_setting('exportd.dirty', true) IS DISTINCT FROM
              (NEW.account_id::text || ':'
               || ((NEW.started_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01')::text))
    EXECUTE FUNCTION chats_rollup_touch();

-- Inserts about a settled instant: the first row of each (account, UTC day) in a
-- transaction calls the function; `rollup_dirty_day` remembers the day in `exportd.dirty`.
-- The day is spelled as `exportd_utc_day` computes it, so that no function is called here.
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
        ('messages', 'sent_at'),
        ('chats', 'started_at')
    ) AS v (tbl, at)
    LOOP
        EXECUTE format('DROP TRIGGER %1$s_rollup_insert ON %1$I', t.tbl);
        EXECUTE format('CREATE TRIGGER %1$s_rollup_insert AFTER INSERT ON %1$I FOR EACH ROW
                        WHEN (NEW.%2$I < now() - interval ''6 hours''
                              AND current_setting(''exportd.dirty'', true) IS DISTINCT FROM
                                  (NEW.account_id::text || '':''
                                   || ((NEW.%2$I AT TIME ZONE ''UTC'')::date - DATE ''1970-01-01'')::text))
                        EXECUTE FUNCTION %1$s_rollup_dirty()', t.tbl, t.at);
    END LOOP;
END
$migration$;

-- The insert path of the chats' function marks through `rollup_dirty_day`, which remembers
-- the day (it did already); so does the touch.
CREATE OR REPLACE FUNCTION chats_rollup_touch() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    PERFORM rollup_dirty_day(NEW.account_id, exportd_utc_day(NEW.started_at));
    RETURN NULL;
END
$body$;
