-- Rollups of the bot platform's reports (seed 000), `steps`, `agents_activity` and
-- `sessions`, in the same series and blocks as the global report's (see 0007_rollups.sql).
-- Integer sums, exact intervals (microseconds) and sets only, so blocks add up to exactly
-- what the source tables give.

-- Steps: per block, per (site, step), the rows entered, and the sum and count of the
-- durations of those that left.
CREATE TABLE rollup_steps (
    series_id  INTEGER NOT NULL,
    level      SMALLINT NOT NULL,
    block      INTEGER NOT NULL,
    site_id    BIGINT,
    step       TEXT NOT NULL,
    times      BIGINT NOT NULL,
    dur_us     BIGINT NOT NULL,
    dur_n      BIGINT NOT NULL
);
CREATE INDEX rollup_steps_block_idx ON rollup_steps (series_id, level, block);

-- Agents' chats started in the block: per agent, sessions taken and the union of their
-- `[accepted_at, end)` as disjoint sorted intervals (microseconds since the epoch), so that
-- the unions of several blocks merge exactly. Rows with `by_site` are per (site, agent), for
-- reports narrowed by site; the others are over all sites (`site_id` NULL), where an
-- agent's intervals merge into far fewer.
CREATE TABLE rollup_agent_chats (
    series_id  INTEGER NOT NULL,
    level      SMALLINT NOT NULL,
    block      INTEGER NOT NULL,
    by_site    BOOLEAN NOT NULL,
    site_id    BIGINT,
    agent_id   BIGINT NOT NULL,
    sessions   BIGINT NOT NULL,
    starts     BIGINT[] NOT NULL,
    ends       BIGINT[] NOT NULL
);
CREATE INDEX rollup_agent_chats_block_idx ON rollup_agent_chats (series_id, level, block, by_site);

-- Agents' messages sent in the block, per (site of the chat, agent); NULL when the chat is
-- unknown or has no site.
CREATE TABLE rollup_agent_messages (
    series_id  INTEGER NOT NULL,
    level      SMALLINT NOT NULL,
    block      INTEGER NOT NULL,
    site_id    BIGINT,
    agent_id   BIGINT NOT NULL,
    messages   BIGINT NOT NULL
);
CREATE INDEX rollup_agent_messages_block_idx ON rollup_agent_messages (series_id, level, block);

-- Late writes to steps and messages mark the instants they were entered or sent at, as
-- 0007's triggers do for the other tables.
DO $migration$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('steps', 'entered_at'), ('messages', 'sent_at')) AS v (tbl, at)
    LOOP
        EXECUTE format($fn$
            CREATE FUNCTION %1$s_rollup_mark() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN
                IF TG_OP = 'TRUNCATE' THEN
                    INSERT INTO rollup_marks (account_id, lo, hi)
                    SELECT account_id, '-infinity', 'infinity' FROM rollup_series GROUP BY account_id;
                ELSIF TG_OP = 'INSERT' THEN
                    INSERT INTO rollup_marks (account_id, lo, hi)
                    SELECT account_id, min(%2$s), max(%2$s) FROM new_rows
                     WHERE account_id IS NOT NULL AND %2$s < clock_timestamp() - rollup_settle()
                     GROUP BY account_id;
                ELSIF TG_OP = 'DELETE' THEN
                    INSERT INTO rollup_marks (account_id, lo, hi)
                    SELECT account_id, min(%2$s), max(%2$s) FROM old_rows
                     WHERE account_id IS NOT NULL AND %2$s < clock_timestamp() - rollup_settle()
                     GROUP BY account_id;
                ELSE
                    INSERT INTO rollup_marks (account_id, lo, hi)
                    SELECT account_id, min(%2$s), max(%2$s)
                      FROM (SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows) r
                     WHERE account_id IS NOT NULL AND %2$s < clock_timestamp() - rollup_settle()
                     GROUP BY account_id;
                END IF;
                RETURN NULL;
            END
            $body$
        $fn$, t.tbl, t.at);
        EXECUTE format('CREATE TRIGGER %1$s_rollup_insert AFTER INSERT ON %1$I
                        REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION %1$s_rollup_mark()', t.tbl);
        EXECUTE format('CREATE TRIGGER %1$s_rollup_update AFTER UPDATE ON %1$I
                        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION %1$s_rollup_mark()', t.tbl);
        EXECUTE format('CREATE TRIGGER %1$s_rollup_delete AFTER DELETE ON %1$I
                        REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION %1$s_rollup_mark()', t.tbl);
        EXECUTE format('CREATE TRIGGER %1$s_rollup_truncate AFTER TRUNCATE ON %1$I
                        FOR EACH STATEMENT EXECUTE FUNCTION %1$s_rollup_mark()', t.tbl);
    END LOOP;
END
$migration$;

-- A step and a message belong to a site through their chat, and happen while the chat
-- lasts: a late write to a chat now marks from its start to its end, not its start alone.
CREATE OR REPLACE FUNCTION chats_rollup_mark() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO rollup_marks (account_id, lo, hi)
        SELECT account_id, '-infinity', 'infinity' FROM rollup_series GROUP BY account_id;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO rollup_marks (account_id, lo, hi)
        SELECT account_id, min(started_at),
               max(greatest(started_at, closed_at, last_msg_at))
          FROM new_rows
         WHERE account_id IS NOT NULL AND started_at < clock_timestamp() - rollup_settle()
         GROUP BY account_id;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO rollup_marks (account_id, lo, hi)
        SELECT account_id, min(started_at),
               max(greatest(started_at, closed_at, last_msg_at))
          FROM old_rows
         WHERE account_id IS NOT NULL AND started_at < clock_timestamp() - rollup_settle()
         GROUP BY account_id;
    ELSE
        INSERT INTO rollup_marks (account_id, lo, hi)
        SELECT account_id, min(started_at),
               max(greatest(started_at, closed_at, last_msg_at))
          FROM (SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows) r
         WHERE account_id IS NOT NULL AND started_at < clock_timestamp() - rollup_settle()
         GROUP BY account_id;
    END IF;
    RETURN NULL;
END
$body$;


-- Sessions (`sessions`): per block and site, the sessions, those with panel, the abandoned
-- ones and the distinct contacts themselves (sorted ids), since distinct contacts over a
-- range do not add up; per block, site and local hour, the sessions; and per local day
-- (level 0 only) and site, the traffic row exactly as the report computes it for that day.
CREATE TABLE rollup_sessions (
    series_id  INTEGER NOT NULL,
    level      SMALLINT NOT NULL,
    block      INTEGER NOT NULL,
    site_id    BIGINT NOT NULL,
    sessions   BIGINT NOT NULL,
    panel      BIGINT NOT NULL,
    abandoned  BIGINT NOT NULL,
    contacts   BIGINT[] NOT NULL
);
CREATE INDEX rollup_sessions_block_idx ON rollup_sessions (series_id, level, block);

CREATE TABLE rollup_session_hours (
    series_id  INTEGER NOT NULL,
    level      SMALLINT NOT NULL,
    block      INTEGER NOT NULL,
    site_id    BIGINT NOT NULL,
    hour       SMALLINT NOT NULL,
    sessions   BIGINT NOT NULL
);
CREATE INDEX rollup_session_hours_block_idx ON rollup_session_hours (series_id, level, block);

CREATE TABLE rollup_session_days (
    series_id  INTEGER NOT NULL,
    level      SMALLINT NOT NULL,
    block      INTEGER NOT NULL,
    site_id    BIGINT NOT NULL,
    day        DATE NOT NULL,
    sessions   BIGINT NOT NULL,
    contacts   BIGINT NOT NULL,
    msgs_in    BIGINT NOT NULL,
    msgs_out   BIGINT NOT NULL,
    length_ms  FLOAT8 NOT NULL,
    wait_ms    FLOAT8 NOT NULL,
    abandoned  BIGINT NOT NULL
);
CREATE INDEX rollup_session_days_block_idx ON rollup_session_days (series_id, level, block);

-- Blocks built before this migration have none of these rows: every series is rebuilt.
INSERT INTO rollup_marks (account_id, lo, hi)
SELECT account_id, '-infinity', 'infinity' FROM rollup_series GROUP BY account_id;
