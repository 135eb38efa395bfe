-- When each account last had an export handed to the workers: among accounts with as few
-- exports in flight, the one served longest ago goes next (round robin), so accounts with
-- low export ids cannot take every turn.
CREATE TABLE dispatch_turns (
    account_id  BIGINT PRIMARY KEY,
    served_at   TIMESTAMPTZ NOT NULL
);

-- Each account's waiting exports in order, so a hand-over reads only the first few of each.
CREATE INDEX exports_waiting_idx ON exports (account_id, id)
    WHERE status = 'queued' AND dispatched_at IS NULL;
