-- Change tracking for rollups that costs the platform's writes next to nothing.
--
-- Before: a statement trigger with transition tables on every write to nine tables, and a
-- row in `rollup_marks` for every write about a settled instant. Now: row triggers whose
-- WHEN clause (evaluated in C, no function call) lets through only writes about instants
-- older than `rollup_settle()`, the ones that can touch a day already rolled up; each such
-- write marks its UTC day in `rollup_dirty`, one row per (account, day) however many
-- writes (`ON CONFLICT DO NOTHING`). A write about now, the platform's normal case, runs no
-- trigger at all.
--
-- The builder moves dirty days to `rollup_pending` with the transaction horizon of that
-- moment, and rebuilds them once every transaction that might still have been writing
-- them has ended (see worker/src/rollup/build.rs). Reports treat a dirty or pending day as
-- unbuilt: they read it from the source tables.

-- A WHEN clause is not planned: a function call in it would run for every row written, so
-- the triggers below spell out `rollup_settle()`'s value, '6 hours'.

-- Days since 1970-01-01 in UTC.
CREATE FUNCTION exportd_utc_day(t TIMESTAMPTZ) RETURNS INTEGER LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT floor(extract(epoch FROM t) / 86400)::int $$;

-- Marks every day whose rollups may be stale; the day `-2147483648` stands for all of an
-- account's days (a TRUNCATE).
CREATE TABLE rollup_dirty (
    account_id  BIGINT NOT NULL,
    day         INTEGER NOT NULL,
    PRIMARY KEY (account_id, day)
);

-- Dirty days taken by the builder, with the transaction horizon when they were taken: they
-- are rebuilt once `pg_snapshot_xmin` has passed `next_xid`.
CREATE TABLE rollup_pending (
    account_id  BIGINT NOT NULL,
    day         INTEGER NOT NULL,
    next_xid    xid8 NOT NULL,
    PRIMARY KEY (account_id, day)
);

-- What the old marks said, as days.
INSERT INTO rollup_dirty (account_id, day)
SELECT DISTINCT account_id,
       CASE WHEN lo = '-infinity' OR hi = 'infinity' THEN -2147483648 ELSE d END
  FROM rollup_marks m,
       LATERAL generate_series(exportd_utc_day(greatest(lo, '1970-01-01Z')),
                               exportd_utc_day(least(hi, now()))) AS d
ON CONFLICT DO NOTHING;

-- The old triggers and their functions.
DO $migration$
DECLARE
    t TEXT;
    op TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['chats', 'calls', 'chat_events', 'offline_messages', 'bans',
                             'agent_presence', 'steps', 'messages', 'contacts'] LOOP
        FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
            EXECUTE format('DROP TRIGGER IF EXISTS %1$s_rollup_%2$s ON %1$I', t, op);
        END LOOP;
        EXECUTE format('DROP FUNCTION IF EXISTS %s_rollup_mark()', t);
    END LOOP;
END
$migration$;
DROP FUNCTION IF EXISTS contacts_rollup_mark_changed(BIGINT[], BIGINT[]);
DROP TABLE rollup_marks;

-- Marks one UTC day of an account. A transaction marks a day once: the rows of a COPY of a
-- settled day after the first cost a settings lookup, not an insert.
CREATE FUNCTION rollup_dirty_day(account BIGINT, d INTEGER) RETURNS void LANGUAGE plpgsql AS $body$
DECLARE
    k TEXT := account || ':' || d;
BEGIN
    IF current_setting('exportd.dirty', true) IS DISTINCT FROM k THEN
        INSERT INTO rollup_dirty (account_id, day) VALUES (account, d) ON CONFLICT DO NOTHING;
        PERFORM set_config('exportd.dirty', k, true);
    END IF;
END
$body$;

-- Marks the UTC days of `[lo, hi]` (capped at now) for an account.
CREATE FUNCTION rollup_dirty_span(account BIGINT, lo TIMESTAMPTZ, hi TIMESTAMPTZ) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO rollup_dirty (account_id, day)
    SELECT account, d
      FROM generate_series(exportd_utc_day(lo), exportd_utc_day(greatest(lo, least(hi, now())))) AS d
    ON CONFLICT DO NOTHING
$$;

-- A TRUNCATE leaves every day of every account with rollups dirty.
CREATE FUNCTION rollup_dirty_all() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    INSERT INTO rollup_dirty (account_id, day)
    SELECT DISTINCT account_id, -2147483648 FROM rollup_series
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$body$;

-- Tables whose rows fall on one instant: each write about a settled instant marks its day
-- (the old and the new row's, for an update).
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
        EXECUTE format($fn$
            CREATE FUNCTION %1$s_rollup_dirty() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN
                IF TG_OP <> 'INSERT' AND OLD.%2$I < now() - rollup_settle() THEN
                    PERFORM rollup_dirty_day(OLD.account_id, exportd_utc_day(OLD.%2$I));
                END IF;
                IF TG_OP <> 'DELETE' AND NEW.%2$I < now() - rollup_settle()
                   AND (TG_OP = 'INSERT' OR exportd_utc_day(NEW.%2$I) <> exportd_utc_day(OLD.%2$I)
                        OR NEW.account_id <> OLD.account_id) THEN
                    PERFORM rollup_dirty_day(NEW.account_id, exportd_utc_day(NEW.%2$I));
                END IF;
                RETURN NULL;
            END
            $body$
        $fn$, t.tbl, t.at);
        EXECUTE format('CREATE TRIGGER %1$s_rollup_insert AFTER INSERT ON %1$I FOR EACH ROW
                        WHEN (NEW.%2$I < now() - interval ''6 hours'')
                        EXECUTE FUNCTION %1$s_rollup_dirty()', t.tbl, t.at);
        EXECUTE format('CREATE TRIGGER %1$s_rollup_update AFTER UPDATE ON %1$I FOR EACH ROW
                        WHEN ((OLD.%2$I < now() - interval ''6 hours'' OR NEW.%2$I < now() - interval ''6 hours'')
                              AND OLD IS DISTINCT FROM NEW)
                        EXECUTE FUNCTION %1$s_rollup_dirty()', t.tbl, t.at);
        EXECUTE format('CREATE TRIGGER %1$s_rollup_delete AFTER DELETE ON %1$I FOR EACH ROW
                        WHEN (OLD.%2$I < now() - interval ''6 hours'')
                        EXECUTE FUNCTION %1$s_rollup_dirty()', t.tbl, t.at);
        EXECUTE format('CREATE TRIGGER %1$s_rollup_truncate AFTER TRUNCATE ON %1$I
                        FOR EACH STATEMENT EXECUTE FUNCTION rollup_dirty_all()', t.tbl);
    END LOOP;
END
$migration$;

-- Chats fall on their start. Their steps and messages belong to a site through them, so a
-- chat deleted or moved to another site marks every day it lasted.
CREATE FUNCTION chats_rollup_dirty() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (OLD.site_id IS DISTINCT FROM NEW.site_id
                                                 OR OLD.account_id <> NEW.account_id)) THEN
        PERFORM rollup_dirty_span(OLD.account_id, OLD.started_at,
                                  greatest(OLD.started_at, OLD.closed_at, OLD.last_msg_at));
    ELSIF TG_OP = 'UPDATE' AND OLD.started_at < now() - rollup_settle() THEN
        PERFORM rollup_dirty_day(OLD.account_id, exportd_utc_day(OLD.started_at));
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.started_at < now() - rollup_settle()
       AND (TG_OP = 'INSERT' OR exportd_utc_day(NEW.started_at) <> exportd_utc_day(OLD.started_at)
            OR OLD.site_id IS DISTINCT FROM NEW.site_id OR OLD.account_id <> NEW.account_id) THEN
        IF TG_OP = 'INSERT' THEN
            PERFORM rollup_dirty_day(NEW.account_id, exportd_utc_day(NEW.started_at));
        ELSE
            PERFORM rollup_dirty_span(NEW.account_id, NEW.started_at,
                                      greatest(NEW.started_at, NEW.closed_at, NEW.last_msg_at));
        END IF;
    END IF;
    RETURN NULL;
END
$body$;
CREATE TRIGGER chats_rollup_insert AFTER INSERT ON chats FOR EACH ROW
    WHEN (NEW.started_at < now() - interval '6 hours')
    EXECUTE FUNCTION chats_rollup_dirty();
CREATE TRIGGER chats_rollup_update AFTER UPDATE ON chats FOR EACH ROW
    WHEN ((OLD.started_at < now() - interval '6 hours' OR NEW.started_at < now() - interval '6 hours')
          AND (OLD.started_at, OLD.site_id, OLD.account_id)
              IS DISTINCT FROM (NEW.started_at, NEW.site_id, NEW.account_id))
    EXECUTE FUNCTION chats_rollup_dirty();

-- The common late write, a settled chat's counters or times updated in place (a message in
-- a long conversation): the shortest function, one insert that finds the day marked.
CREATE FUNCTION chats_rollup_touch() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    INSERT INTO rollup_dirty (account_id, day)
    VALUES (NEW.account_id, exportd_utc_day(NEW.started_at)) ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$body$;
CREATE TRIGGER chats_rollup_touch AFTER UPDATE ON chats FOR EACH ROW
    WHEN (OLD.started_at < now() - interval '6 hours'
          AND (OLD.started_at, OLD.site_id, OLD.account_id)
              IS NOT DISTINCT FROM (NEW.started_at, NEW.site_id, NEW.account_id)
          AND OLD IS DISTINCT FROM NEW)
    EXECUTE FUNCTION chats_rollup_touch();
CREATE TRIGGER chats_rollup_delete AFTER DELETE ON chats FOR EACH ROW
    WHEN (OLD.started_at < now() - interval '6 hours')
    EXECUTE FUNCTION chats_rollup_dirty();
CREATE TRIGGER chats_rollup_truncate AFTER TRUNCATE ON chats
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_dirty_all();

-- Presence intervals are clipped to each day, and an open one counts up to now: closing an
-- interval now changes no settled day. A write marks the settled days between the old and
-- the new end, or, when anything else changed, every settled day of both.
CREATE FUNCTION agent_presence_rollup_dirty() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.account_id, OLD.agent_id, OLD.status, OLD.started_at)
                            IS NOT DISTINCT FROM (NEW.account_id, NEW.agent_id, NEW.status, NEW.started_at) THEN
        PERFORM rollup_dirty_span(NEW.account_id,
                                  least(coalesce(OLD.ended_at, 'infinity'), coalesce(NEW.ended_at, 'infinity')),
                                  greatest(coalesce(OLD.ended_at, 'infinity'), coalesce(NEW.ended_at, 'infinity')));
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM rollup_dirty_span(OLD.account_id, OLD.started_at, coalesce(OLD.ended_at, 'infinity'));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM rollup_dirty_span(NEW.account_id, NEW.started_at, coalesce(NEW.ended_at, 'infinity'));
    END IF;
    RETURN NULL;
END
$body$;
CREATE TRIGGER agent_presence_rollup_insert AFTER INSERT ON agent_presence FOR EACH ROW
    WHEN (NEW.started_at < now() - interval '6 hours')
    EXECUTE FUNCTION agent_presence_rollup_dirty();
CREATE TRIGGER agent_presence_rollup_update AFTER UPDATE ON agent_presence FOR EACH ROW
    WHEN (least(coalesce(OLD.ended_at, 'infinity'), coalesce(NEW.ended_at, 'infinity')) < now() - interval '6 hours'
          OR ((OLD.started_at < now() - interval '6 hours' OR NEW.started_at < now() - interval '6 hours')
              AND (OLD.account_id, OLD.agent_id, OLD.status, OLD.started_at)
                  IS DISTINCT FROM (NEW.account_id, NEW.agent_id, NEW.status, NEW.started_at)))
    EXECUTE FUNCTION agent_presence_rollup_dirty();
CREATE TRIGGER agent_presence_rollup_delete AFTER DELETE ON agent_presence FOR EACH ROW
    WHEN (OLD.started_at < now() - interval '6 hours')
    EXECUTE FUNCTION agent_presence_rollup_dirty();
CREATE TRIGGER agent_presence_rollup_truncate AFTER TRUNCATE ON agent_presence
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_dirty_all();

-- A conversation's owner is its contact's: a contact given another owner (or added with
-- one, or removed) marks the settled days of its conversations.
CREATE FUNCTION contacts_rollup_dirty() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    -- OLD is NULL on an insert and NEW on a delete.
    INSERT INTO rollup_dirty (account_id, day)
    SELECT DISTINCT ch.account_id, exportd_utc_day(ch.started_at)
      FROM chats ch
     WHERE (ch.account_id, ch.contact_id) IN ((OLD.account_id, OLD.id), (NEW.account_id, NEW.id))
       AND ch.started_at < now() - rollup_settle()
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$body$;
CREATE TRIGGER contacts_rollup_insert AFTER INSERT ON contacts FOR EACH ROW
    WHEN (NEW.owner_id IS NOT NULL)
    EXECUTE FUNCTION contacts_rollup_dirty();
CREATE TRIGGER contacts_rollup_update AFTER UPDATE ON contacts FOR EACH ROW
    WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.id <> NEW.id OR OLD.account_id <> NEW.account_id)
    EXECUTE FUNCTION contacts_rollup_dirty();
CREATE TRIGGER contacts_rollup_delete AFTER DELETE ON contacts FOR EACH ROW
    WHEN (OLD.owner_id IS NOT NULL)
    EXECUTE FUNCTION contacts_rollup_dirty();
CREATE TRIGGER contacts_rollup_truncate AFTER TRUNCATE ON contacts
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_dirty_all();
