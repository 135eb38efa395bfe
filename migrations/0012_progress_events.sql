-- Progress is an event too, so event streams (the CLI's bar, the web page) move while an
-- export runs, not only when its state changes.
CREATE OR REPLACE FUNCTION exports_record_event() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status
       OR NEW.progress IS DISTINCT FROM OLD.progress THEN
        INSERT INTO export_events (account_id, export_id, status, progress)
        VALUES (NEW.account_id, NEW.id, NEW.status, NEW.progress);
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER exports_record_event ON exports;
CREATE TRIGGER exports_record_event AFTER INSERT OR UPDATE OF status, progress ON exports
    FOR EACH ROW EXECUTE FUNCTION exports_record_event();
