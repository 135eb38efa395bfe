-- Rollups of the inbox's conversation templates (`conversations`, seed 003), in the same
-- series and blocks as the other kinds' (see 0007_rollups.sql). They serve reports over
-- every site and owner; a report narrowed by `sites` or `owners` reads the source. Integer
-- sums (microseconds) and sets only, so blocks add up to exactly what the source gives.

-- Conversations started in the block, per site.
CREATE TABLE rollup_conv_sites (
    series_id  INTEGER NOT NULL,
    level      SMALLINT NOT NULL,
    block      INTEGER NOT NULL,
    site_id    BIGINT,
    chats      BIGINT NOT NULL
);
CREATE INDEX rollup_conv_sites_block_idx ON rollup_conv_sites (series_id, level, block);

-- Per owner (the contact's `owner_id`, NULL for none): conversations, the distinct contacts
-- themselves (sorted ids; distinct contacts over a range do not add up), and for each first
-- response (manual, automatic, overall) the sum in microseconds and the count of the
-- conversations it is measured on.
CREATE TABLE rollup_conv_owners (
    series_id  INTEGER NOT NULL,
    level      SMALLINT NOT NULL,
    block      INTEGER NOT NULL,
    owner_id   BIGINT,
    chats      BIGINT NOT NULL,
    contacts   BIGINT[] NOT NULL,
    manual_us  BIGINT NOT NULL,
    manual_n   BIGINT NOT NULL,
    auto_us    BIGINT NOT NULL,
    auto_n     BIGINT NOT NULL,
    first_us   BIGINT NOT NULL,
    first_n    BIGINT NOT NULL
);
CREATE INDEX rollup_conv_owners_block_idx ON rollup_conv_owners (series_id, level, block);

-- Per local hour (date and hour, as the sheet lists them), the conversations started.
CREATE TABLE rollup_conv_hours (
    series_id  INTEGER NOT NULL,
    level      SMALLINT NOT NULL,
    block      INTEGER NOT NULL,
    hour       TIMESTAMP NOT NULL,
    chats      BIGINT NOT NULL
);
CREATE INDEX rollup_conv_hours_block_idx ON rollup_conv_hours (series_id, level, block);

-- Per user (`accepted_by`, NULL for none): open and closed conversations and the sums of
-- their messages received and sent.
CREATE TABLE rollup_conv_users (
    series_id  INTEGER NOT NULL,
    level      SMALLINT NOT NULL,
    block      INTEGER NOT NULL,
    user_id    BIGINT,
    open       BIGINT NOT NULL,
    closed     BIGINT NOT NULL,
    msgs_in    BIGINT NOT NULL,
    msgs_out   BIGINT NOT NULL
);
CREATE INDEX rollup_conv_users_block_idx ON rollup_conv_users (series_id, level, block);

-- A contact's conversations, found by the marking trigger below.
CREATE INDEX chats_account_contact_idx ON chats (account_id, contact_id);

-- A conversation's owner is its contact's: a contact given another owner (or added, or
-- removed) marks the start of each of its conversations, grouped by UTC day so that a bulk
-- reassignment leaves one mark a day, not one a conversation.
CREATE FUNCTION contacts_rollup_mark_changed(changed_ids BIGINT[], changed_accounts BIGINT[])
RETURNS void LANGUAGE sql AS $body$
    INSERT INTO rollup_marks (account_id, lo, hi)
    SELECT ch.account_id, min(ch.started_at), max(ch.started_at)
      FROM unnest(changed_accounts, changed_ids) AS k (account_id, id)
      JOIN chats ch ON ch.account_id = k.account_id AND ch.contact_id = k.id
     WHERE ch.started_at < clock_timestamp() - rollup_settle()
     GROUP BY ch.account_id, date_trunc('day', ch.started_at AT TIME ZONE 'UTC')
$body$;

CREATE FUNCTION contacts_rollup_mark() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    ids BIGINT[];
    accounts BIGINT[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO rollup_marks (account_id, lo, hi)
        SELECT account_id, '-infinity', 'infinity' FROM rollup_series GROUP BY account_id;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(id), array_agg(account_id) INTO ids, accounts FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(id), array_agg(account_id) INTO ids, accounts FROM old_rows;
    ELSE
        -- Rows whose account, id or owner changed, on either side of the update.
        SELECT array_agg(c.id), array_agg(c.account_id) INTO ids, accounts
          FROM (SELECT n.account_id, n.id FROM new_rows n
                 WHERE NOT EXISTS (SELECT 1 FROM old_rows o
                                    WHERE o.id = n.id AND o.account_id = n.account_id
                                      AND o.owner_id IS NOT DISTINCT FROM n.owner_id)
                UNION
                SELECT o.account_id, o.id FROM old_rows o
                 WHERE NOT EXISTS (SELECT 1 FROM new_rows n
                                    WHERE o.id = n.id AND o.account_id = n.account_id
                                      AND o.owner_id IS NOT DISTINCT FROM n.owner_id)) c;
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM contacts_rollup_mark_changed(ids, accounts);
    END IF;
    RETURN NULL;
END
$body$;

CREATE TRIGGER contacts_rollup_insert AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION contacts_rollup_mark();
CREATE TRIGGER contacts_rollup_update AFTER UPDATE ON contacts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION contacts_rollup_mark();
CREATE TRIGGER contacts_rollup_delete AFTER DELETE ON contacts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION contacts_rollup_mark();
CREATE TRIGGER contacts_rollup_truncate AFTER TRUNCATE ON contacts
    FOR EACH STATEMENT EXECUTE FUNCTION contacts_rollup_mark();

-- Blocks built before this migration have none of these rows: every series is rebuilt.
INSERT INTO rollup_marks (account_id, lo, hi)
SELECT account_id, '-infinity', 'infinity' FROM rollup_series GROUP BY account_id;
