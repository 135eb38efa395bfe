-- Export events become visible in the order of their ids.
--
-- A stream sends an account's events after the last id it sent. The trigger used to write
-- an event as soon as its export changed, so an event written early in a transaction that
-- committed late (an export's finish, which records its notifications after) could get a
-- lower id than another export's progress committed meanwhile. A stream that had sent the
-- later one never sent the earlier: the page showed a finished export as still running.
--
-- The event is now written when its transaction commits (a deferred trigger), under a
-- lock of its account held until the commit is visible. An account's event takes its id
-- only after every event of the account with a lower id is visible, and a stream reads
-- one account's events, so reading "after the last id sent" misses none. The lock is held
-- for the commit alone, only by transactions that change an export's state or progress,
-- and each such transaction changes exports of one account (so no two wait on each other
-- in turn).
CREATE OR REPLACE FUNCTION exports_record_event() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status
       OR NEW.progress IS DISTINCT FROM OLD.progress THEN
        PERFORM pg_advisory_xact_lock(7403, (NEW.account_id % 2147483647)::int4);
        INSERT INTO export_events (account_id, export_id, status, progress)
        VALUES (NEW.account_id, NEW.id, NEW.status, NEW.progress);
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER exports_record_event ON exports;
CREATE CONSTRAINT TRIGGER exports_record_event AFTER INSERT OR UPDATE OF status, progress ON exports
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION exports_record_event();
