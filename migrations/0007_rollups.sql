-- Rollups of the global report for closed local days, so a 90-day report of a large account
-- reads a few hundred thousand precomputed cells instead of every source row.
--
-- A series is one account in one timezone (local days depend on it). Its blocks are dyadic:
-- a block of level k covers the 2^k local days [block * 2^k, (block + 1) * 2^k), counted
-- from 1970-01-01, so any range of days is covered by a few blocks. Level 0 is built from
-- the source tables, one local day at a time; level k from its two children.
--
-- Nothing here is trusted blindly: every write to a source table about an instant older
-- than `rollup_settle()` leaves a mark, and a block that overlaps a mark is not used until
-- the rollup job has rebuilt it. Writes about recent instants (the normal case: today's
-- chats) leave no mark, and the job only builds a day once every transaction that could
-- have written such an unmarked row has ended (see `rollup_checkpoints`).

-- How long after an instant a write about it can come without leaving a mark.
CREATE FUNCTION rollup_settle() RETURNS interval LANGUAGE sql IMMUTABLE AS $$ SELECT interval '6 hours' $$;

CREATE TABLE rollup_series (
    id          SERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    tz          TEXT NOT NULL,
    -- Set when the account's timezone changed: no report plans with the series any more,
    -- and it is deleted once the reports that did have had time to finish.
    retired_at  TIMESTAMPTZ,
    UNIQUE (account_id, tz)
);

CREATE TABLE rollup_blocks (
    series_id  INTEGER NOT NULL REFERENCES rollup_series (id) ON DELETE CASCADE,
    level      SMALLINT NOT NULL,
    block      INTEGER NOT NULL,
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    built_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (series_id, level, block)
);

-- One row per (site, agent) with activity in the block; the by-site metrics are kept on
-- rows whose agent is NULL too. Sums and counts only, so blocks add up exactly.
CREATE TABLE rollup_cells (
    series_id       INTEGER NOT NULL,
    level           SMALLINT NOT NULL,
    block           INTEGER NOT NULL,
    site_id         BIGINT,
    agent_id        BIGINT,
    chats_accepted  INTEGER NOT NULL,
    chats_missed    INTEGER NOT NULL,
    no_reply        INTEGER NOT NULL,
    frt_sum         FLOAT8 NOT NULL,
    frt_n           INTEGER NOT NULL,
    dur_sum         FLOAT8 NOT NULL,
    dur_n           INTEGER NOT NULL,
    pos             INTEGER NOT NULL,
    neg             INTEGER NOT NULL,
    calls_answered  INTEGER NOT NULL,
    calls_missed    INTEGER NOT NULL,
    transferred     INTEGER NOT NULL,
    rejected        INTEGER NOT NULL,
    offline         INTEGER NOT NULL,
    bans            INTEGER NOT NULL
);
-- With the site, a report can sum its blocks a few sites at a time.
CREATE INDEX rollup_cells_block_idx ON rollup_cells (series_id, level, block, site_id);

-- Presence clipped to the block, per agent.
CREATE TABLE rollup_presence (
    series_id    INTEGER NOT NULL,
    level        SMALLINT NOT NULL,
    block        INTEGER NOT NULL,
    agent_id     BIGINT NOT NULL,
    online_secs  FLOAT8 NOT NULL,
    away_secs    FLOAT8 NOT NULL
);
CREATE INDEX rollup_presence_block_idx ON rollup_presence (series_id, level, block);

-- Spans of time whose rollups may be stale: `[lo, hi]` of the rows a late write touched.
CREATE TABLE rollup_marks (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    lo          TIMESTAMPTZ NOT NULL,
    hi          TIMESTAMPTZ NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX rollup_marks_account_idx ON rollup_marks (account_id, lo);

-- The rollup job's clock: at `at`, every transaction id below `next_xid` had been assigned.
-- Once the oldest running transaction is at or past `next_xid`, every write that happened before
-- `at` is visible, so days ending before `at - rollup_settle()` can be built.
CREATE TABLE rollup_checkpoints (
    at    TIMESTAMPTZ PRIMARY KEY,
    next_xid  xid8 NOT NULL
);

-- Chat events whose site is unknown (written before their chat) are never rolled up: the
-- report looks their site up each time.
CREATE INDEX chat_events_unsited_idx ON chat_events (account_id, at) WHERE site_id IS NULL;

-- One statement-level trigger per source table and operation leaves at most one mark per
-- account per statement, and only for rows about instants older than `rollup_settle()`.
DO $migration$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('chats', 'started_at', 'started_at'),
        ('calls', 'started_at', 'started_at'),
        ('chat_events', 'at', 'at'),
        ('offline_messages', 'created_at', 'created_at'),
        ('bans', 'created_at', 'created_at'),
        ('agent_presence', 'started_at', $$coalesce(ended_at, 'infinity')$$)
    ) AS v (tbl, lo, hi)
    LOOP
        EXECUTE format($fn$
            CREATE FUNCTION %1$s_rollup_mark() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN
                IF TG_OP = 'TRUNCATE' THEN
                    INSERT INTO rollup_marks (account_id, lo, hi)
                    SELECT account_id, '-infinity', 'infinity' FROM rollup_series GROUP BY account_id;
                ELSIF TG_OP = 'INSERT' THEN
                    INSERT INTO rollup_marks (account_id, lo, hi)
                    SELECT account_id, min(%2$s), max(%3$s) FROM new_rows
                     WHERE account_id IS NOT NULL AND %2$s < clock_timestamp() - rollup_settle()
                     GROUP BY account_id;
                ELSIF TG_OP = 'DELETE' THEN
                    INSERT INTO rollup_marks (account_id, lo, hi)
                    SELECT account_id, min(%2$s), max(%3$s) FROM old_rows
                     WHERE account_id IS NOT NULL AND %2$s < clock_timestamp() - rollup_settle()
                     GROUP BY account_id;
                ELSE
                    INSERT INTO rollup_marks (account_id, lo, hi)
                    SELECT account_id, min(%2$s), max(%3$s)
                      FROM (SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows) r
                     WHERE account_id IS NOT NULL AND %2$s < clock_timestamp() - rollup_settle()
                     GROUP BY account_id;
                END IF;
                RETURN NULL;
            END
            $body$
        $fn$, t.tbl, t.lo, t.hi);
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
