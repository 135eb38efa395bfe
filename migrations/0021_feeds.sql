-- Feeds: a schedule in feed mode exports, on each run, the rows that became final since its
-- previous run: sessions by the instant they closed, campaign messages by the instant
-- their status last changed (a message is a new row for each status it reaches). Which
-- rows each run holds is decided once, when the run is made, in feed_rows: a (row,
-- version) belongs to at most one run of a schedule (the primary key), so the files of
-- consecutive runs never overlap, and a retried run writes the same rows. `at` is the
-- row's instant when it was taken (close, or status change).
ALTER TABLE schedules ADD COLUMN feed BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE exports
    ADD COLUMN feed_from TIMESTAMPTZ,
    ADD COLUMN feed_to   TIMESTAMPTZ;

CREATE TABLE feed_rows (
    schedule_id BIGINT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    row_id      BIGINT NOT NULL,
    version     TEXT NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL,
    export_id   BIGINT NOT NULL,
    PRIMARY KEY (schedule_id, row_id, version)
);
CREATE INDEX feed_rows_export_idx ON feed_rows (export_id, row_id);
