-- The per-site section needs each chat event's site. Looking it up in `chats` for every
-- event is most of the report's query time on large accounts, so the site is copied onto
-- the event when it is written (a column added to the contract table; writers need not
-- know it). An event written before its chat keeps NULL here, and the report looks its
-- site up then.
ALTER TABLE chat_events ADD COLUMN site_id BIGINT;

CREATE FUNCTION chat_events_fill_site() RETURNS trigger AS $$
BEGIN
    IF NEW.site_id IS NULL AND NEW.chat_id IS NOT NULL THEN
        SELECT c.site_id INTO NEW.site_id FROM chats c WHERE c.id = NEW.chat_id AND c.account_id = NEW.account_id;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER chat_events_fill_site BEFORE INSERT ON chat_events
    FOR EACH ROW EXECUTE FUNCTION chat_events_fill_site();

UPDATE chat_events e SET site_id = c.site_id
  FROM chats c WHERE c.id = e.chat_id AND c.account_id = e.account_id AND e.site_id IS NULL;
