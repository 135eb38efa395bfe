-- Every state change of an export, written by a trigger in the same transaction as the
-- change, so none is lost. The SSE stream replays from here (Last-Event-ID); Redis pub/sub
-- only wakes the API up.
CREATE TABLE export_events (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    export_id   BIGINT NOT NULL,
    status      TEXT NOT NULL,
    progress    SMALLINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX export_events_account_idx ON export_events (account_id, id);

CREATE FUNCTION exports_record_event() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO export_events (account_id, export_id, status, progress)
        VALUES (NEW.account_id, NEW.id, NEW.status, NEW.progress);
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER exports_record_event AFTER INSERT OR UPDATE OF status ON exports
    FOR EACH ROW EXECUTE FUNCTION exports_record_event();

-- Every delivery attempt of a notification, successful or not.
CREATE TABLE notification_attempts (
    id               BIGSERIAL PRIMARY KEY,
    notification_id  BIGINT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    attempt          INTEGER NOT NULL,
    ok               BOOLEAN NOT NULL,
    error            TEXT,
    at               TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX notification_attempts_idx ON notification_attempts (notification_id);
