-- When each account last had an export handed to the workers: among accounts with as few
-- exports in flight, the one served longest ago goes next (round robin), so accounts with
-- low export ids cannot take every turn.
CREATE TABLE dispatch_turns (
    account_id  BIGINT PRIMARY KEY,
    served_at   TIMESTAMPTZ NOT NULL
);
