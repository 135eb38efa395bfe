-- Row-level reports (seed 000): sessions in detail and campaign results.
--
-- The `text` filter finds chats by a word or phrase in any message, ignoring case and
-- accents, through a trigram index over the folded body (pg_trgm and unaccent ship with
-- Postgres' contrib). `unaccent()` is only STABLE, so an index needs this IMMUTABLE wrapper
-- naming its dictionary.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE FUNCTION exportd_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;
CREATE INDEX messages_body_fold_trgm_idx ON messages USING gin (exportd_fold(body) gin_trgm_ops);

-- A session's transfers and steps, looked up per exported row.
CREATE INDEX chat_events_transfers_idx ON chat_events (account_id, chat_id, at)
    WHERE kind = 'transferred';
CREATE INDEX steps_account_chat_idx ON steps (account_id, chat_id, step);
