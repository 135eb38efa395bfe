-- The dispatcher looks for accepted exports never handed to Redis, every poll interval;
-- the API counts an account's active exports on every request.
CREATE INDEX exports_undispatched_idx ON exports (id) WHERE status = 'queued' AND dispatched_at IS NULL;
CREATE INDEX exports_account_active_idx ON exports (account_id) WHERE status IN ('queued', 'running');
