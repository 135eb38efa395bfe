-- Feeds: a schedule in feed mode exports, on each run, the sessions that closed since its
-- previous run. Which rows each run holds is decided once, when the run is made, in
-- feed_rows: a row belongs to at most one run of a schedule (the primary key), so the
-- files of consecutive runs never overlap, and a retried run writes the same rows.
ALTER TABLE schedules ADD COLUMN feed BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE exports
    ADD COLUMN feed_from TIMESTAMPTZ,
    ADD COLUMN feed_to   TIMESTAMPTZ;

CREATE TABLE feed_rows (
    schedule_id BIGINT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    row_id      BIGINT NOT NULL,
    export_id   BIGINT NOT NULL,
    PRIMARY KEY (schedule_id, row_id)
);
CREATE INDEX feed_rows_export_idx ON feed_rows (export_id, row_id);
