//! The COPY streams the seeder writes, one per table, opened together and finished in
//! one order.

use sqlx::PgPool;

use super::params::SeedSummary;
use crate::copy::Copy;

/// One COPY stream per table; `messages` is skipped unless asked for.
pub(super) struct Tables {
    pub(super) chats: Copy,
    pub(super) messages: Copy,
    pub(super) events: Copy,
    pub(super) calls: Copy,
    pub(super) offline: Copy,
    pub(super) presence: Copy,
    pub(super) bans: Copy,
    pub(super) steps: Copy,
}

impl Tables {
    pub(super) async fn open(pool: &PgPool, with_messages: bool) -> anyhow::Result<Tables> {
        let chats = Copy::open(pool, "COPY chats (id, account_id, site_id, contact_id, started_at, panel_at, accepted_at, accepted_by, first_client_msg_at, first_agent_msg_at, first_bot_msg_at, last_msg_at, closed_at, missed, rating, reason, comment, fields, msgs_in, msgs_out) FROM STDIN").await?;
        let messages = if with_messages {
            Copy::open(
                pool,
                "COPY messages (account_id, chat_id, sender, agent_id, sent_at, body) FROM STDIN",
            )
            .await?
        } else {
            Copy::skipped()
        };
        let events = Copy::open(
            pool,
            "COPY chat_events (account_id, chat_id, site_id, agent_id, kind, at) FROM STDIN",
        )
        .await?;
        let calls = Copy::open(
            pool,
            "COPY calls (account_id, site_id, agent_id, started_at, answered_at, ended_at) FROM STDIN",
        )
        .await?;
        let offline = Copy::open(
            pool,
            "COPY offline_messages (account_id, site_id, agent_id, created_at, body) FROM STDIN",
        )
        .await?;
        let presence = Copy::open(
            pool,
            "COPY agent_presence (account_id, agent_id, status, started_at, ended_at) FROM STDIN",
        )
        .await?;
        let bans = Copy::open(
            pool,
            "COPY bans (account_id, site_id, agent_id, contact_id, created_at) FROM STDIN",
        )
        .await?;
        let steps = Copy::open(
            pool,
            "COPY steps (account_id, chat_id, step, entered_at, left_at) FROM STDIN",
        )
        .await?;
        Ok(Tables {
            chats,
            messages,
            events,
            calls,
            offline,
            presence,
            bans,
            steps,
        })
    }

    /// Ends every stream, and counts their rows into `sum`.
    pub(super) async fn finish(self, sum: &mut SeedSummary) -> anyhow::Result<()> {
        sum.chats = self.chats.finish().await?;
        sum.messages = self.messages.finish().await?;
        sum.chat_events = self.events.finish().await?;
        sum.calls = self.calls.finish().await?;
        sum.offline_messages = self.offline.finish().await?;
        sum.presence = self.presence.finish().await?;
        sum.bans = self.bans.finish().await?;
        sum.steps = self.steps.finish().await?;
        Ok(())
    }
}
