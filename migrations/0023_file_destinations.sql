-- S3 and SFTP destinations: the customer's bucket or server gets the file itself. Their
-- deliveries are notification rows like Slack's (channel 's3' or 'sftp', recipient
-- 'destination:<id>'), and a delivered row records what was written where.
ALTER TABLE destinations DROP CONSTRAINT destinations_kind_check;
ALTER TABLE destinations ADD CONSTRAINT destinations_kind_check
    CHECK (kind IN ('slack', 's3', 'sftp'));
ALTER TABLE notifications DROP CONSTRAINT notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check
    CHECK (channel IN ('email', 'webhook', 'in_app', 'slack', 's3', 'sftp'));
ALTER TABLE notifications ADD COLUMN written TEXT;
