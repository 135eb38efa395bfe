-- Statistics of the rollup tables kept fresh by autovacuum as they grow.
--
-- The builder analyzes them itself only after a pass that built much (a first build, days
-- caught up): analyzing every table took 1.5 s of a closed day's rebuild. A day's rows are
-- about 1 % of a large account's, so at the default 10 % a table would go weeks without
-- fresh statistics; 2 % is a few days of an account's passes. The sets are never filtered,
-- joined or grouped on, and sampling them was most of the time an `ANALYZE` took: they get
-- no statistics.
ALTER TABLE rollup_blocks SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE rollup_cells SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE rollup_presence SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE rollup_steps SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE rollup_conv_sites SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE rollup_conv_owners SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE rollup_conv_hours SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE rollup_conv_users SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE rollup_agent_chats SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE rollup_agent_messages SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE rollup_sessions SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE rollup_session_hours SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE rollup_session_days SET (autovacuum_analyze_scale_factor = 0.02);

ALTER TABLE rollup_conv_owners ALTER COLUMN contacts SET STATISTICS 0;
ALTER TABLE rollup_sessions ALTER COLUMN contacts SET STATISTICS 0;
ALTER TABLE rollup_agent_chats ALTER COLUMN sites SET STATISTICS 0,
                               ALTER COLUMN starts SET STATISTICS 0,
                               ALTER COLUMN ends SET STATISTICS 0;
