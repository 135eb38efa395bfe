//! Deterministic synthetic data for one account: sites, agents, contacts, chats with
//! business-hour peaks, missed and unanswered chats, transfers and rejections, ratings,
//! messages that match each chat's `first_*_msg_at`, calls, offline messages, presence and
//! bans. Rows stream into Postgres through COPY, one connection per table, so a million
//! chats take about a minute.

mod account;
mod activity;
mod args;
mod chat;
mod clock;
mod params;
mod tables;

use std::time::Instant;

use chrono::Duration;
use rand::{Rng, SeedableRng, rngs::SmallRng};
use sqlx::{Executor, PgPool};

use crate::copy::next_ids;

pub use args::SeedArgs;
pub use params::{SeedParams, SeedSummary};

/// Seeds one account. Deterministic for the same parameters.
pub async fn seed(pool: &PgPool, p: &SeedParams) -> anyhow::Result<SeedSummary> {
    let started = Instant::now();
    let mut rng = SmallRng::seed_from_u64(p.seed);
    let mut sum = SeedSummary::default();

    let total_chats = p.chats_per_day as i64 * p.days as i64;
    let account = account::create(pool, p, total_chats).await?;
    sum.account_id = account.id;
    sum.admin_user_id = account.admin_user_id;

    let first_chat = next_ids(pool, "chats", total_chats.max(1)).await?;
    let mut out = tables::Tables::open(pool, p.messages).await?;

    let mut chat_id = first_chat;
    let first_day = p.last_day - Duration::days(p.days as i64 - 1);
    for d in 0..p.days {
        let day = first_day + Duration::days(d as i64);
        for _ in 0..p.chats_per_day {
            chat::write(&mut rng, p, &account, &mut out, day, chat_id).await?;
            chat_id += 1;
        }
        activity::calls(&mut rng, p, &account, &mut out, day).await?;
        activity::offline_messages(&mut rng, p, &account, &mut out, day).await?;
        activity::presence(&mut rng, p, &account, &mut out, day).await?;
    }
    out.finish(&mut sum).await?;
    // As a platform's tables are between writes once autovacuum has passed: with planner
    // statistics (contacts too, whose owners were just updated) and all-visible pages.
    // Without them a Postgres whose autovacuum is off reads a state no platform is in:
    // the planner took the account's 1.67 M contacts for 11,560 and hashed them all for
    // two days' conversation owners.
    pool.execute(
        "VACUUM (ANALYZE) contacts, chats, messages, chat_events, calls, offline_messages,
                          agent_presence, bans, steps",
    )
    .await?;
    sum.elapsed = started.elapsed();
    let _ = rng.next_u32();
    Ok(sum)
}
