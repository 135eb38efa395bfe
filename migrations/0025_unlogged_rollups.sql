-- Rollup rows and the blocks that say they are built are a cache of the source tables:
-- every one of them can be built again from the source, and reports read the source where
-- no block is. So they are kept out of the WAL.
--
-- Built into WAL they cost the primary gigabytes on a large account's first build, and the
-- change-tracking slot had to decode all of it (`exportd bench rollups`: the slot's reads
-- were a quarter of the build's time) or be invalidated past `max_slot_wal_keep_size`.
--
-- What this gives up, and why it is safe: after a crash, and on a standby promoted to
-- primary, unlogged tables start empty. `rollup_blocks` is unlogged too, so no block ever
-- claims rows that are gone: with no blocks, reports read the source, and the builder builds
-- everything again. The marks (`rollup_dirty`, `rollup_pending`, …) and `rollup_series`
-- stay logged. Reports read rollups on the primary only, never on a replica.

ALTER TABLE rollup_blocks SET UNLOGGED;
ALTER TABLE rollup_cells SET UNLOGGED;
ALTER TABLE rollup_presence SET UNLOGGED;
ALTER TABLE rollup_conv_sites SET UNLOGGED;
ALTER TABLE rollup_conv_owners SET UNLOGGED;
ALTER TABLE rollup_conv_hours SET UNLOGGED;
ALTER TABLE rollup_conv_users SET UNLOGGED;
ALTER TABLE rollup_sessions SET UNLOGGED;
ALTER TABLE rollup_session_hours SET UNLOGGED;
ALTER TABLE rollup_session_days SET UNLOGGED;
ALTER TABLE rollup_steps SET UNLOGGED;
ALTER TABLE rollup_agent_chats SET UNLOGGED;
ALTER TABLE rollup_agent_messages SET UNLOGGED;
