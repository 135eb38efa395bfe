-- The account cap of POST /v1/exports, exact under concurrency. Two requests of one account
-- inserting at the same instant each counted the other's export as not there yet (one
-- statement counts with the snapshot it started with), so 40 concurrent requests under a
-- cap of 4 could insert 5.
--
-- The insert (exports::insert_if_room, one statement for the requests the API gathered)
-- calls this function for each account's count. It first takes a transaction-scoped lock
-- for the account, held until the insert commits; then, being VOLATILE, it counts with a
-- snapshot taken after the lock, which sees every export of the account committed before.
-- Inserts for one account are admitted one after another; other accounts do not wait. The lock
-- space (7401, account id folded into 32 bits) is this function's alone: two accounts that
-- fold to the same key only wait for each other.
CREATE FUNCTION exports_active_for_admission(account BIGINT, upto BIGINT) RETURNS BIGINT
LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(7401, (account % 2147483647)::int4);
    SELECT count(*) FROM (
        SELECT 1 FROM exports
         WHERE account_id = account AND status IN ('queued', 'running')
         LIMIT upto) a;
$$;
