-- The fair dispatch runs several times a second per worker; these keep each pass to the few
-- rows it needs, whatever the size of the exports table's history.

-- The exports in flight (running, or handed to Redis and waiting there), per account: the
-- dispatch counts them on every pass. Without it that count was a sequential scan of the
-- whole table.
CREATE INDEX exports_inflight_idx ON exports (account_id)
    WHERE status = 'running' OR (status = 'queued' AND dispatched_at IS NOT NULL);

-- exports_waiting_idx (account_id, id) has the same predicate and serves every query this
-- one did. Without statistics (a new table under a burst), the planner took this smaller
-- index for the per-account reads and filtered every waiting export by account instead:
-- passes of 200 ms and 50,000 buffers.
DROP INDEX exports_undispatched_idx;

-- Files past their retention, oldest first: the sweep looks every reconcile pass, and read
-- every finished export to find none.
CREATE INDEX exports_expiry_idx ON exports (expires_at) WHERE status = 'succeeded';

-- A queue table: most rows change state within seconds, so its statistics and dead rows are
-- worth refreshing sooner than the defaults' 10–20% of the table.
ALTER TABLE exports SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
