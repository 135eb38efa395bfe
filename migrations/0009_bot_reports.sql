-- The bot platform's reports (seed 000) read agents' messages by time, and steps by time
-- with what they group by, without visiting the heap.
CREATE INDEX messages_agent_sent_idx ON messages (account_id, sent_at)
    INCLUDE (agent_id, chat_id) WHERE sender = 'agent';
CREATE INDEX steps_account_entered_cover_idx ON steps (account_id, entered_at)
    INCLUDE (chat_id, step, left_at);
DROP INDEX IF EXISTS steps_account_entered_idx;
-- Busy time walks each agent's chats in the order they were taken.
CREATE INDEX chats_account_agent_idx ON chats (account_id, accepted_by, accepted_at)
    WHERE accepted_by IS NOT NULL;
