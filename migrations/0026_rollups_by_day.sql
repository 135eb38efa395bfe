-- Sets are kept by day, agents' busy intervals as the chats gave them, and blocks every
-- other level.
--
-- A table of sets (contacts, busy intervals) has rows for days only: a union over more
-- days hardly shrinks them, so a block above a day cost as much to build as its days and
-- saved its reads nothing (`exportd bench rollups`: two thirds of a first build). Reports
-- read such a table over the days of the blocks they read.
--
-- An agent's chats of a day are kept in one row: each chat's site and busy interval, as
-- the chats gave them. A row per (day, site, agent) held about one chat each, and merging
-- intervals in SQL sorted every chat. The read filters the sites and merges the intervals.
--
-- Blocks are built at levels 0, 2, 4 and 6 (1, 4, 16 and 64 days), each from the four
-- blocks under it: a large account's cells fill its (site, agent) pairs within days, so a
-- level of twice the days was hardly smaller than the one below it, and wrote every cell
-- again.
--
-- The rows built before have another shape, so every rollup is dropped and built again
-- (they are a cache: reports read the source tables meanwhile).

TRUNCATE rollup_blocks, rollup_cells, rollup_presence, rollup_conv_sites, rollup_conv_owners,
         rollup_conv_hours, rollup_conv_users, rollup_sessions, rollup_session_hours,
         rollup_session_days, rollup_steps, rollup_agent_messages;

DROP TABLE rollup_agent_chats;
-- One row per (day, agent): element i of the arrays is one chat the agent took, its site
-- (NULL when it has none) and its busy interval in microseconds since the epoch, from
-- `accepted_at` to `closed_at` (`last_msg_at` while open); NULL where the chat lacks it.
CREATE UNLOGGED TABLE rollup_agent_chats (
    series_id  INTEGER NOT NULL,
    level      SMALLINT NOT NULL,
    block      INTEGER NOT NULL,
    agent_id   BIGINT NOT NULL,
    sites      BIGINT[] NOT NULL,
    starts     BIGINT[] NOT NULL,
    ends       BIGINT[] NOT NULL
);
CREATE INDEX rollup_agent_chats_block_idx ON rollup_agent_chats (series_id, level, block);
