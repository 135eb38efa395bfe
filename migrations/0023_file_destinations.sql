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

-- A delivery to a destination that failed for good is told to the export's email
-- recipients: a row of event 'delivery_failed' beside their 'succeeded' one.
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('succeeded', 'failed', 'delivery_failed'));
ALTER TABLE notifications DROP CONSTRAINT notifications_export_id_channel_recipient_key;
ALTER TABLE notifications ADD CONSTRAINT notifications_export_id_channel_recipient_event_key
    UNIQUE (export_id, channel, recipient, event);
